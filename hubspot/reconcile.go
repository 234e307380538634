package hubspot

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Reconciliation of messages.
//
// HubSpot takes no idempotency key on POST …/threads/{id}/messages (the
// Custom Channels API's integrationIdempotencyId is for channel messages
// only), so a send that failed ambiguously (a timeout or reset after the
// request was written, a 5xx, 503 included) may or may not have posted
// the message. The driver never resends such a send blindly
// (transport.Request.Reconciled): it reads the thread's history back (GET
// …/threads/{id}/messages?sort=-createdAt, newest first, paged with
// paging.next.after) and looks for its own message: same type (MESSAGE or
// COMMENT), sent by the bot's actor (A-<BotUserID>) or, not INCOMING, by
// an INTEGRATION client with the app id HubSpot returned on the client's
// own earlier sends (who HubSpot names as a COMMENT's sender when a
// private app posts it is not documented), the same text (words compared,
// whatever HubSpot does to line breaks and spaces), created
// since the first attempt less driver.ReconcileSkew, and not one it already
// knew it posted or found (driver.Reconciler.Claim). Found, the send
// succeeded; not found, it is sent once more, at most
// driver.DefaultMaxSends times in all (driver.Reconcile). A failure it
// could not settle is remembered under the host's idempotency key, by this
// client, so that the host's retry of the same message (helpdesk.Reply
// does that) reads the thread back first instead of posting again; a
// retry handled by another replica does not know it and posts.
//
// Status changes and handovers are idempotent and retried as such: PATCH
// …/threads/{id} {"status":"CLOSED"}, PUT …/threads/{id}/assignee, PATCH
// of the ticket owner set a value, and POST /events/v3/send carries a uuid
// HubSpot counts once.

// Read-back paging: how many messages one page asks for, and how many
// pages a read-back reads at most (older messages than the first attempt
// end it sooner).
const (
	readBackPage  = 50
	readBackPages = 10
)

// postMessage sends body to conv's thread, reconciling ambiguous failures
// (see above). hostKey is the host's idempotency key of the message, if
// any.
func (c *Client) postMessage(ctx context.Context, conv helpdesk.Conversation, body map[string]any, text string, internal bool, hostKey string) (Message, error) {
	typ := TypeMessage
	if internal {
		typ = TypeComment
	}
	return driver.Reconcile(ctx, &c.rec, driver.Write[Message]{
		Key: reconcileKey(conv, hostKey),
		Send: func(ctx context.Context) (Message, error) {
			var out Message
			if _, err := c.http.Do(ctx, &transport.Request{
				Method: http.MethodPost, Path: threadsPath + conv.ID + "/messages", Body: body, Reconciled: true,
			}, &out); err != nil {
				return Message{}, err
			}
			c.rec.Posted(out.ID)
			if id := string(out.Client.IntegrationAppID); id != "" && out.Client.ClientType == "INTEGRATION" {
				c.appID.Store(id)
			}
			return out, nil
		},
		Find: func(ctx context.Context, since time.Time) (Message, bool, error) {
			return c.findMessage(ctx, conv.ID, typ, text, since)
		},
	})
}

// reconcileKey scopes the host's idempotency key to the thread.
func reconcileKey(conv helpdesk.Conversation, key string) string {
	if key == "" {
		return ""
	}
	return conv.Account + "|" + conv.ID + "|" + key
}

// findMessage looks for the bot's message among the thread's messages
// created since since, newest first.
func (c *Client) findMessage(ctx context.Context, thread, typ, text string, since time.Time) (Message, bool, error) {
	bot := "A-" + c.cfg.BotUserID
	app, _ := c.appID.Load().(string)
	want := strings.Fields(text)
	after := ""
	for range readBackPages {
		q := url.Values{"sort": {"-createdAt"}, "limit": {strconv.Itoa(readBackPage)}}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Results []Message `json:"results"`
			Paging  struct {
				Next struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		if _, err := c.http.Do(ctx, &transport.Request{
			Path: threadsPath + thread + "/messages", Query: q, Priority: transport.PriorityCritical,
		}, &page); err != nil {
			return Message{}, false, err
		}
		older := false
		for _, m := range page.Results {
			at, err := time.Parse(time.RFC3339Nano, m.CreatedAt)
			if err == nil && at.Before(since) {
				older = newestFirst(page.Results)
				continue
			}
			if m.Type != typ || !ownMessage(m, bot, app) || !slices.Equal(strings.Fields(m.Text), want) {
				continue
			}
			if !c.rec.Claim(m.ID) {
				continue
			}
			return m, true, nil
		}
		if after = page.Paging.Next.After; after == "" || older {
			break
		}
	}
	return Message{}, false, nil
}

// newestFirst reports whether a page is sorted newest first, as asked:
// only then do older messages end the read-back (a page in another order
// is read to the end).
func newestFirst(page []Message) bool {
	if len(page) < 2 {
		return true
	}
	first, err1 := time.Parse(time.RFC3339Nano, page[0].CreatedAt)
	last, err2 := time.Parse(time.RFC3339Nano, page[len(page)-1].CreatedAt)
	return err1 == nil && err2 == nil && !first.Before(last)
}

// ownMessage reports whether m was posted by the bot: its actor is one of
// m's senders, or m is not INCOMING and comes from an INTEGRATION client
// with app id app (when known).
func ownMessage(m Message, bot, app string) bool {
	for _, s := range m.Senders {
		if s.ActorID == bot {
			return true
		}
	}
	return app != "" && m.Client.ClientType == "INTEGRATION" && string(m.Client.IntegrationAppID) == app &&
		!strings.EqualFold(m.Direction, "INCOMING")
}
