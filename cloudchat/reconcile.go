package cloudchat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
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
// the first attempt (less reconcileSkew), and not one it already knew it
// posted. Found, the send succeeded; not found, it sends once more, at most
// maxSends times in all. With Config.UserToken it lists the latest
// messages (GET …/conversations/{id}/messages, which agent-bot tokens may
// not call); with a bot token only, it reads the conversation (GET
// …/conversations/{id}, Chatwoot 4.14.2+ for bot tokens), whose messages[]
// holds the last message only, so a customer message arriving in between
// hides the bot's: the send then counts as not found and is sent again. A
// failure it could not settle is remembered under the host's idempotency
// key, so that the host's retry of the same message (helpdesk.Reply does
// that) reads the conversation back first.
const (
	maxSends      = 3
	reconcileSkew = 2 * time.Minute
)

// reconciler holds the state reconciliation needs.
type reconciler struct {
	mu        sync.Mutex
	unsettled map[string]time.Time // host key -> first attempt
	known     map[string]bool      // message ids this client posted
	order     []string
}

func (r *reconciler) take(key string) (time.Time, bool) {
	if key == "" {
		return time.Time{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.unsettled[key]
	delete(r.unsettled, key)
	return t, ok
}

func (r *reconciler) put(key string, since time.Time) {
	if key == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unsettled == nil {
		r.unsettled = map[string]time.Time{}
	}
	if len(r.unsettled) >= 4096 {
		for k := range r.unsettled {
			delete(r.unsettled, k)
			break
		}
	}
	r.unsettled[key] = since
}

// posted records a message id this client posted (bounded, oldest out).
func (r *reconciler) posted(id string) {
	if id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known == nil {
		r.known = map[string]bool{}
	}
	if r.known[id] {
		return
	}
	if len(r.order) >= 4096 {
		delete(r.known, r.order[0])
		r.order = r.order[1:]
	}
	r.known[id] = true
	r.order = append(r.order, id)
}

func (r *reconciler) isPosted(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.known[id]
}

// postMessage creates a message, reconciling ambiguous failures (see
// above). hostKey is the host's idempotency key of the message, if any.
func (c *Client) postMessage(ctx context.Context, conv helpdesk.Conversation, path string, body messageBody, hostKey string) (string, error) {
	start := time.Now()
	if since, ok := c.rec.take(hostKey); ok {
		id, found, err := c.findMessage(ctx, conv, body, since)
		if err != nil {
			c.rec.put(hostKey, since)
			return "", err
		}
		if found {
			return id, nil
		}
		start = since
	}
	var lastErr error
	for range maxSends {
		var out messageResp
		_, err := c.bot.Do(ctx, &transport.Request{
			Method: http.MethodPost, Path: path, Body: body,
			Limits: messageLimits, Reconciled: true,
		}, &out)
		if err == nil {
			c.rec.posted(out.ID.String())
			return out.ID.String(), nil
		}
		lastErr = err
		if !ambiguous(err) || ctx.Err() != nil {
			break
		}
		id, found, ferr := c.findMessage(ctx, conv, body, start)
		if ferr != nil {
			break
		}
		if found {
			return id, nil
		}
	}
	if ambiguous(lastErr) {
		c.rec.put(hostKey, start)
	}
	return "", lastErr
}

// hostKey scopes the host's idempotency key to the conversation.
func hostKey(conv helpdesk.Conversation, key string) string {
	if key == "" {
		return ""
	}
	return conv.Account + "|" + conv.ID + "|" + key
}

// ambiguous reports whether a failed create may have reached Chatwoot: a
// 5xx or 408 answer, or a transport failure after sending.
func ambiguous(err error) bool {
	var ae *helpdesk.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500 || ae.StatusCode == http.StatusRequestTimeout
	}
	var re *transport.RequestError
	return errors.As(err, &re)
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
			Messages []listedMessage `json:"messages"`
		}
		if _, err := c.bot.Do(ctx, &transport.Request{Method: http.MethodGet, Path: path, Priority: transport.PriorityCritical}, &out); err != nil {
			return "", false, err
		}
		list = out.Messages
	}
	from := since.Add(-reconcileSkew).Unix()
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
		if c.rec.isPosted(m.ID.String()) {
			continue
		}
		c.rec.posted(m.ID.String())
		return m.ID.String(), true, nil
	}
	return "", false, nil
}
