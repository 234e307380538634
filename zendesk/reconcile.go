package zendesk

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Reconciliation of comments.
//
// Zendesk documents Idempotency-Key for ticket creation only
// (developer.zendesk.com, "Idempotency" under Tickets: "Create Ticket"),
// not for ticket updates, which is how the bot comments. The driver keeps
// sending the key on updates, but does not count on it: a ticket update
// carrying a comment is resent by the transport only when it provably did
// not reach Zendesk (transport.Request.Reconciled). After an ambiguous
// failure (a timeout or reset after the request was written, any 5xx) the
// driver lists the ticket's newest comments and looks for its own: same
// author (the bot user), same body and visibility, created since the first
// attempt (less driver.ReconcileSkew for the clocks), and not a comment it
// already knew it posted. Found, the send succeeded; not found, it sends
// once more, at most driver.DefaultMaxSends times in all (driver.Reconcile).
// A failure it could not settle is remembered with the host's idempotency
// key, so that the host's retry of the same message (helpdesk.Reply does
// that) reads the ticket back first.
//
// The key goes out under a lower-case header name so that Go's net/http
// does not resend the update by itself after a reset on a reused
// connection (it does for "Idempotency-Key"), a resend the driver would
// not know about.
const (
	// reconcilePage is how many of the newest comments are read back.
	reconcilePage = 100
)

// sendComment sends a ticket update carrying a comment (see the
// reconciliation comment above); hostKey is the host's idempotency key
// of the message, if any. An update without a comment is sent as is.
func (c *Client) sendComment(ctx context.Context, tid int64, upd ticketUpdate, prio transport.Priority, key, hostKey string) (*ticketResponse, error) {
	if upd.Comment == nil {
		return c.updateTicket(ctx, tid, upd, prio, key)
	}
	return driver.Reconcile(ctx, &c.rec, driver.Write[*ticketResponse]{
		Key:  hostKey,
		Send: func(ctx context.Context) (*ticketResponse, error) { return c.updateComment(ctx, tid, upd, prio, key) },
		Find: func(ctx context.Context, since time.Time) (*ticketResponse, bool, error) {
			id, found, err := c.findComment(ctx, tid, upd.Comment, since)
			if !found {
				return nil, false, err
			}
			return landed(id), true, nil
		},
	})
}

// hostKey is the key under which an unsettled send is remembered: the
// derived update key when the host gave one (so a retry of the same
// message finds it), none otherwise.
func hostKey(key, msgKey string) string {
	if msgKey == "" {
		return ""
	}
	return key
}

// landed is the response of an update found by reading the ticket back.
func landed(commentID ID) *ticketResponse {
	var res ticketResponse
	res.Audit.Events = append(res.Audit.Events, struct {
		ID   ID     `json:"id"`
		Type string `json:"type"`
	}{ID: commentID, Type: "Comment"})
	return &res
}

// updateComment is updateTicket for an update the driver reconciles.
func (c *Client) updateComment(ctx context.Context, id int64, upd ticketUpdate, prio transport.Priority, key string) (*ticketResponse, error) {
	var res ticketResponse
	_, err := c.support.Do(ctx, &transport.Request{
		Method:         http.MethodPut,
		Path:           "/api/v2/tickets/" + strconv.FormatInt(id, 10),
		Body:           map[string]ticketUpdate{"ticket": upd},
		Priority:       prio,
		Limits:         []string{LimitTicketsUpdate},
		IdempotencyKey: key,
		Reconciled:     true,
	}, &res)
	if err != nil {
		return nil, fieldError(err)
	}
	return &res, nil
}

// listedComment is a comment of GET /api/v2/tickets/{id}/comments.
type listedComment struct {
	ID        ID        `json:"id"`
	AuthorID  ID        `json:"author_id"`
	Body      string    `json:"body"`
	Public    bool      `json:"public"`
	CreatedAt time.Time `json:"created_at"`
}

// findComment looks among the ticket's newest comments for want, posted by
// the bot since since, and not one the driver already knew it posted.
func (c *Client) findComment(ctx context.Context, tid int64, want *comment, since time.Time) (ID, bool, error) {
	var res struct {
		Comments []listedComment `json:"comments"`
	}
	q := map[string][]string{"sort_order": {"desc"}, "per_page": {strconv.Itoa(reconcilePage)}}
	if _, err := c.support.Do(ctx, &transport.Request{Method: http.MethodGet,
		Path: "/api/v2/tickets/" + strconv.FormatInt(tid, 10) + "/comments", Query: q, Priority: transport.PriorityCritical}, &res); err != nil {
		return 0, false, err
	}
	author := want.AuthorID
	if author == 0 {
		author = c.cfg.BotUserID
	}
	from := since
	body := strings.TrimSpace(want.Body)
	// Oldest first among the matches, so that a resend found twice
	// reports the first.
	var found ID
	for _, cm := range res.Comments {
		if int64(cm.AuthorID) != author || cm.Public != want.Public || strings.TrimSpace(cm.Body) != body {
			continue
		}
		if !cm.CreatedAt.IsZero() && cm.CreatedAt.Before(from) {
			continue
		}
		if _, known := c.posted.get(cm.ID.String()); known {
			continue
		}
		found = cm.ID
	}
	if found == 0 {
		return 0, false, nil
	}
	c.posted.putIfAbsent(found.String(), "1")
	return found, true, nil
}
