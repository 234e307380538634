package intercom

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Reconciliation of parts.
//
// Intercom documents no idempotency for the writes that post something
// people see: neither the published spec (2.16: replyConversation, POST
// /conversations/{id}/reply; manageConversation, POST
// /conversations/{id}/parts) nor the reference mentions an idempotency
// key or header for them (the spec's one "idempotent" request is a
// contact's banner dismissal). So a reply, a close carrying the bot's last
// message, a hand-over notice (the assignment's body) or a hand-over note
// that failed ambiguously (a timeout or reset after the request was
// written, a 5xx) may or may not have posted its part. The driver never
// resends such a write blindly (transport.Request.Reconciled) and sends no
// Idempotency-Key header (Go's net/http would resend a request carrying
// one by itself after a reset on a reused connection, a resend the driver
// would not know about). It reads the conversation back (GET
// /conversations/{id}: its parts, "the 500 most recent" when there are
// more (spec 2.16, retrieveConversation), which always include a part
// posted moments ago; the spec does not document their order, so the
// driver sorts them by created_at) and looks for its own:
// authored by the bot admin, of the part type the write makes, with the
// same text (the HTML it sent and the HTML Intercom stores, both reduced
// to plain text with runs of spaces collapsed), the same number of
// attachments when the part lists any, created since the first attempt (less
// driver.ReconcileSkew for the clocks), and not a part it already
// accounted for (driver.Reconciler.Claim). Found, the write succeeded;
// not found, it is sent once more, at most driver.DefaultMaxSends times in
// all (driver.Reconcile). A failure it could not settle is remembered
// under the host's idempotency key, so that the host's retry of the same
// message (helpdesk.Reply does that) reads the conversation back first.
//
// A close or an assignment without a body posts nothing anyone reads:
// it sets the conversation's state or assignee, and doing it twice
// leaves the same state (at most one more event line in the inbox), so
// it is sent as an idempotent request the transport may resend.

// partWrite is one reconciled write and the part it should make.
type partWrite struct {
	path string // convPath(..., "/reply") or "/parts"
	body any
	prio transport.Priority
	// key is the host's idempotency key scoped to the conversation ("":
	// an unsettled failure is not remembered).
	key string
	// What the part looks like when read back.
	admin       string
	types       []string
	html        string
	attachments int
}

// postPart sends w, reconciling an ambiguous failure (see above), and
// returns the id of the part it made.
func (c *Client) postPart(ctx context.Context, conv helpdesk.Conversation, w partWrite) (string, error) {
	send := func(ctx context.Context) (string, error) {
		var out conversationResponse
		if _, err := c.api.Do(ctx, &transport.Request{Method: http.MethodPost, Path: w.path, Body: w.body,
			Priority: w.prio, Reconciled: !c.noReconcile}, &out); err != nil {
			return "", err
		}
		id := out.lastPartID()
		c.rec.Posted(id)
		return id, nil
	}
	if c.noReconcile {
		return send(ctx)
	}
	return driver.Reconcile(ctx, &c.rec, driver.Write[string]{
		Key:  w.key,
		Send: send,
		Find: func(ctx context.Context, since time.Time) (string, bool, error) {
			return c.findPart(ctx, conv, w, since)
		},
	})
}

// stateWrite sends a write without a body the customer or agents read
// (see above): idempotent, so the transport may resend it.
func (c *Client) stateWrite(ctx context.Context, conv helpdesk.Conversation, body partsRequest) error {
	_, err := c.api.Do(ctx, &transport.Request{Method: http.MethodPost, Path: convPath(conv.ID, "/parts"), Body: body,
		Priority: transport.PriorityCritical, Idempotent: true}, nil)
	return err
}

// reconcileKey scopes the host's idempotency key to the conversation.
func reconcileKey(conv helpdesk.Conversation, key string) string {
	if key == "" {
		return ""
	}
	return conv.Account + "|" + conv.ID + "|" + key
}

// findPart reads the conversation back and returns the oldest part
// matching w posted since since and not yet accounted for.
func (c *Client) findPart(ctx context.Context, conv helpdesk.Conversation, w partWrite, since time.Time) (string, bool, error) {
	var item struct {
		ConversationParts struct {
			Parts []part `json:"conversation_parts"`
		} `json:"conversation_parts"`
	}
	// No display_as: the bodies come as stored HTML and are reduced to
	// text here the same way as the body sent, so both sides match.
	if _, err := c.api.Do(ctx, &transport.Request{Method: http.MethodGet, Path: convPath(conv.ID, ""),
		Priority: transport.PriorityCritical}, &item); err != nil {
		return "", false, err
	}
	parts := item.ConversationParts.Parts
	// Oldest first, whatever order the list comes in, so that a part
	// posted twice is reported by its first copy.
	slices.SortStableFunc(parts, func(a, b part) int { return cmp.Compare(a.CreatedAt, b.CreatedAt) })
	text := plainText(w.html)
	from := since.Unix()
	for _, p := range parts {
		if p.Author.Type != "admin" || string(p.Author.ID) != w.admin || !slices.Contains(w.types, p.PartType) {
			continue
		}
		if p.CreatedAt > 0 && p.CreatedAt < from {
			continue
		}
		// Attachments are compared when the part lists them: where
		// Intercom shows an image inline instead, the text decides.
		if n := len(p.Attachments); n > 0 && n != w.attachments || plainText(p.Body) != text {
			continue
		}
		if c.rec.Claim(string(p.ID)) {
			return string(p.ID), true, nil
		}
	}
	return "", false, nil
}

// plainText is a body reduced for comparison: its text, with every run of
// white space one space.
func plainText(body string) string { return strings.Join(strings.Fields(HTMLToText(body)), " ") }
