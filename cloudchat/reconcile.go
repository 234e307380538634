package cloudchat

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Reconciliation of messages.
//
// Chatwoot takes no idempotency key: the echo_id of a message create is
// only echoed back (in the answer and the websocket broadcast), never
// stored or checked, so a create that failed ambiguously (a timeout or
// reset after the request was written, a 5xx) may or may not have posted
// the message. The driver never resends such a create blindly
// (transport.Request.Reconciled): it reads the conversation back and looks
// for its own message, outgoing, same content and privacy, created since
// the first attempt (less driver.ReconcileSkew), and not one it already
// knew it posted. Found, the send succeeded; not found, it sends once more,
// at most driver.DefaultMaxSends times in all (driver.Reconcile). With Config.UserToken it lists the latest
// messages (GET …/conversations/{id}/messages, which agent-bot tokens may
// not call); with a bot token only, it reads the conversation (GET
// …/conversations/{id}, Chatwoot 4.14.2+ for bot tokens), whose messages[]
// holds the last public message and last_non_activity_message the last
// message of any kind but activity (a private note included), so a
// customer message arriving in between hides the bot's: the send then
// counts as not found and is sent again. A
// failure it could not settle is remembered under the host's idempotency
// key, so that the host's retry of the same message (helpdesk.Reply does
// that) reads the conversation back first.

// postMessage creates a message, reconciling ambiguous failures (see
// above). hostKey is the host's idempotency key of the message, if any;
// prio ranks it in the budget (critical for a handover's messages).
func (c *Client) postMessage(ctx context.Context, conv helpdesk.Conversation, path string, body messageBody, prio transport.Priority, hostKey string) (string, error) {
	return driver.Reconcile(ctx, &c.rec, driver.Write[string]{
		Key: hostKey,
		Send: func(ctx context.Context) (string, error) {
			var out messageResp
			if _, err := c.bot.Do(ctx, &transport.Request{
				Method: http.MethodPost, Path: path, Body: body,
				Priority: prio, Limits: messageLimits, Reconciled: true,
			}, &out); err != nil {
				return "", err
			}
			c.rec.Posted(out.ID.String())
			return out.ID.String(), nil
		},
		Find: func(ctx context.Context, since time.Time) (string, bool, error) {
			return c.findMessage(ctx, conv, body, since)
		},
	})
}

// hostKey scopes the host's idempotency key to the conversation.
func hostKey(conv helpdesk.Conversation, key string) string {
	if key == "" {
		return ""
	}
	return conv.Account + "|" + conv.ID + "|" + key
}

// listedMessage is a message as the conversation and message list
// endpoints return it.
type listedMessage struct {
	ID          json.Number `json:"id"`
	Content     *string     `json:"content"`
	MessageType json.Number `json:"message_type"`
	Private     bool        `json:"private"`
	CreatedAt   json.Number `json:"created_at"`
}

// findMessage looks for the bot's message among the conversation's latest.
func (c *Client) findMessage(ctx context.Context, conv helpdesk.Conversation, want messageBody, since time.Time) (string, bool, error) {
	var list []listedMessage
	if c.user != nil || c.cfg.tokenKind() == TokenUser {
		cl := c.user
		if cl == nil {
			cl = c.bot
		}
		path, err := c.convPath(conv, "/messages")
		if err != nil {
			return "", false, err
		}
		var out struct {
			Payload []listedMessage `json:"payload"`
		}
		if _, err := cl.Do(ctx, &transport.Request{Method: http.MethodGet, Path: path, Priority: transport.PriorityCritical}, &out); err != nil {
			return "", false, err
		}
		list = out.Payload
	} else {
		path, err := c.convPath(conv, "")
		if err != nil {
			return "", false, err
		}
		var out struct {
			Messages    []listedMessage `json:"messages"`
			LastMessage *listedMessage  `json:"last_non_activity_message"`
		}
		if _, err := c.bot.Do(ctx, &transport.Request{Method: http.MethodGet, Path: path, Priority: transport.PriorityCritical}, &out); err != nil {
			return "", false, err
		}
		list = out.Messages
		if out.LastMessage != nil {
			list = append(list, *out.LastMessage)
		}
	}
	from := since.Unix()
	text := strings.TrimSpace(want.Content)
	for _, m := range list {
		if mt, _ := m.MessageType.Int64(); mt != 1 && m.MessageType.String() != "outgoing" {
			continue
		}
		if m.Private != want.Private || m.Content == nil || strings.TrimSpace(*m.Content) != text {
			continue
		}
		if at, err := m.CreatedAt.Int64(); err == nil && at < from {
			continue
		}
		if !c.rec.Claim(m.ID.String()) {
			continue
		}
		return m.ID.String(), true, nil
	}
	return "", false, nil
}

// Handovers.
//
// Reassign posts the notice and the note through postMessage, like any
// message, so an ambiguous failure is read back instead of posted twice.
// A handover that fails after one of them was posted (the assignment
// failed, say) is retried by the host as a whole: the driver remembers,
// for a handover that did not complete (by conversation, target, notice
// and note), which messages it already posted, and the retry posts only
// what is missing (driver.Handovers). A handover that completes is
// forgotten, and so is one not retried within driver.HandoverTTL, so the
// same handover made again later posts its messages again.
