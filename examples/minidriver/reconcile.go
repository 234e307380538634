package minidriver

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Reconciliation of replies.
//
// Minidesk takes no idempotency key, so a reply whose request failed
// ambiguously (a timeout or reset after the request was written, a 5xx)
// may or may not have been posted. The driver sends replies with
// transport.Request.Reconciled, so that the transport resends one only when
// it provably did not reach Minidesk (a refused connection, a 429), and
// lets driver.Reconcile settle the rest: after an ambiguous failure it
// reads the ticket's replies back (GET /v1/tickets/{id}/replies) and looks
// for its own, written by the bot user with the same body and visibility,
// created since the first attempt, and not one it already accounted for.
// Found, the reply was posted; not found, it is sent once more, at most
// driver.DefaultMaxSends times in all. A failure it could not settle is
// remembered under the host's idempotency key, so that the host's retry of
// the same message (helpdesk.Reply does that) reads the ticket back first.
// Copy this file for a vendor without idempotency keys: only the two
// requests and the matching rule change.

// postReply posts msg as a reply or note, reconciling ambiguous failures.
func (c *Client) postReply(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (string, error) {
	body := map[string]any{"body": msg.Text, "internal": msg.Internal}
	return driver.Reconcile(ctx, &c.rec, driver.Write[string]{
		Key: hostKey(conv, msg.IdempotencyKey),
		Send: func(ctx context.Context) (string, error) {
			var out reply
			if _, err := c.http.Do(ctx, &transport.Request{
				Method:     http.MethodPost,
				Path:       ticketPath(conv, "replies"),
				Body:       body,
				Reconciled: true,
			}, &out); err != nil {
				return "", err
			}
			c.rec.Posted(string(out.ID)) // so that Find never takes it for a later one
			return string(out.ID), nil
		},
		Find: func(ctx context.Context, since time.Time) (string, bool, error) {
			return c.findReply(ctx, conv, msg, since)
		},
	})
}

// hostKey scopes the host's idempotency key to the ticket ("" when the
// host gave none).
func hostKey(conv helpdesk.Conversation, key string) string {
	if key == "" {
		return ""
	}
	return conv.ID + "|" + key
}

// findReply looks among the ticket's replies for msg, posted by the bot
// since since, and claims the first it has not accounted for yet.
func (c *Client) findReply(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message, since time.Time) (string, bool, error) {
	var out struct {
		Replies []reply `json:"replies"`
	}
	if _, err := c.http.Do(ctx, &transport.Request{
		Method:   http.MethodGet,
		Path:     ticketPath(conv, "replies"),
		Priority: transport.PriorityCritical, // it settles a write already spent
	}, &out); err != nil {
		return "", false, err
	}
	text := strings.TrimSpace(msg.Text)
	for _, r := range out.Replies {
		if r.Author.Type != AuthorBot || string(r.Author.ID) != c.cfg.BotAgentID ||
			r.Internal != msg.Internal || strings.TrimSpace(r.Body) != text {
			continue
		}
		if at, err := time.Parse(time.RFC3339Nano, r.CreatedAt); err == nil && at.Before(since) {
			continue
		}
		if c.rec.Claim(string(r.ID)) {
			return string(r.ID), true, nil
		}
	}
	return "", false, nil
}
