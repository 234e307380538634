package zendesk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Reconciliation of Sunshine messages.
//
// Sunshine Conversations documents no idempotency for Post Message (POST
// /v2/apps/{appId}/conversations/{conversationId}/messages, operation
// PostMessage of the published spec, 17.12.1: no idempotency header or
// field), so a post that failed ambiguously (a timeout or reset after the
// request was written, a 5xx) may or may not have posted the message. The
// driver never resends such a post blindly (transport.Request.Reconciled):
// it lists the conversation's messages (GET …/messages, operation
// ListMessages: the newest page of 100 first, oldest first within it,
// older pages through page[before]) and looks for its own: a business
// author carrying the bot's mark in its metadata (agentdesk_bot, the bot
// user id; with no metadata returned, the bot's display name), text
// content with the same text, received since the first attempt (less
// driver.ReconcileSkew), carrying the write's own key (metadata
// agentdesk_write) when it carries one, and not a message the client
// already posted or found (driver.Reconciler.Claim). Found, the post
// succeeded; not found, it is sent once more, at most
// driver.DefaultMaxSends times in all (driver.Reconcile). A failure it
// could not settle is remembered under the host's idempotency key, so that
// the host's retry of the same message (helpdesk.Reply does that) reads the
// conversation back first.
//
// The switchboard actions are state changes, not messages: passControl
// makes the named integration active (the driver names
// Config.AgentWorkspace, never "next"), releaseControl nullifies the
// switchboard state, and either one sent twice leaves the conversation in
// the same state. Sunshine documents passControl as idempotent when the
// target is named by id or name and the calling integration is known by
// its credentials (API reference, Pass Control, and the switchboard guide
// it links to; the spec's PassControl description points there). The
// transport therefore resends them after ambiguous failures
// (Request.Idempotent), and a retried handover does not pass control
// again once it did (see Handovers below).
const (
	// sunWriteKey is the metadata key carrying a post's own key, the same
	// on every attempt of one message, so the read-back can tell two
	// posts of the same text apart.
	sunWriteKey = "agentdesk_write"
	// sunReadPages bounds how many pages of 100 messages are read back.
	sunReadPages = 3
)

// sunWriteID is the key of one Sunshine post: derived from the host's
// idempotency key when it gave one (so its retry carries the same key),
// fresh otherwise.
func (c *Client) sunWriteID(conv helpdesk.Conversation, sunID, msgKey string) string {
	if msgKey == "" {
		return c.newKey()
	}
	sum := sha256.Sum256([]byte(c.appID(conv) + "\x00" + sunID + "\x00" + msgKey))
	return hex.EncodeToString(sum[:16])
}

// sunHostKey scopes the host's idempotency key to the conversation, for
// driver.Reconcile ("" when the host gave none).
func (c *Client) sunHostKey(conv helpdesk.Conversation, sunID, msgKey string) string {
	if msgKey == "" {
		return ""
	}
	return "sunshine\x00" + c.appID(conv) + "\x00" + sunID + "\x00" + msgKey
}

// sendSunshineMessage posts body (see the reconciliation comment above)
// and returns the message id.
func (c *Client) sendSunshineMessage(ctx context.Context, conv helpdesk.Conversation, sunID string, body sunMessagePost, prio transport.Priority, hostKey string) (string, error) {
	path := c.sunPath(conv, sunID, "/messages")
	return driver.Reconcile(ctx, &c.rec, driver.Write[string]{
		Key: hostKey,
		Send: func(ctx context.Context) (string, error) {
			var res struct {
				Messages []struct {
					ID string `json:"id"`
				} `json:"messages"`
			}
			if _, err := c.sunshine.Do(ctx, &transport.Request{Method: http.MethodPost, Path: path, Body: body,
				Priority: prio, Reconciled: true}, &res); err != nil {
				return "", err
			}
			var id string
			if len(res.Messages) > 0 {
				id = res.Messages[0].ID
			}
			c.rec.Posted(id)
			c.posted.putIfAbsent(id, "1")
			return id, nil
		},
		Find: func(ctx context.Context, since time.Time) (string, bool, error) {
			id, found, err := c.findSunshineMessage(ctx, path, body, since)
			if found {
				c.posted.putIfAbsent(id, "1")
			}
			return id, found, err
		},
	})
}

// listedSunMessage is a message of List Messages.
type listedSunMessage struct {
	ID       string `json:"id"`
	Received string `json:"received"`
	Author   struct {
		Type        string `json:"type"`
		DisplayName any    `json:"displayName"` // a string; the spec says object
	} `json:"author"`
	Content struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	Metadata map[string]any `json:"metadata"`
}

// findSunshineMessage reads the conversation back for want, posted since
// since: the newest page, then older ones while they may still hold it.
func (c *Client) findSunshineMessage(ctx context.Context, path string, want sunMessagePost, since time.Time) (string, bool, error) {
	var before string
	for range sunReadPages {
		var res struct {
			Messages []listedSunMessage `json:"messages"`
			Meta     struct {
				HasMore      bool   `json:"hasMore"`
				BeforeCursor string `json:"beforeCursor"`
			} `json:"meta"`
		}
		req := &transport.Request{Method: http.MethodGet, Path: path, Priority: transport.PriorityCritical}
		if before != "" {
			req.Query = map[string][]string{"page[before]": {before}}
		}
		if _, err := c.sunshine.Do(ctx, req, &res); err != nil {
			return "", false, err
		}
		// Oldest first, so that a post found twice reports the first.
		for _, m := range res.Messages {
			if c.isSunshinePost(m, want, since) && c.rec.Claim(m.ID) {
				return m.ID, true, nil
			}
		}
		// Older pages can hold it only while this one starts after since.
		if !res.Meta.HasMore || res.Meta.BeforeCursor == "" || len(res.Messages) == 0 {
			break
		}
		if at, ok := sunReceived(res.Messages[0].Received); ok && at.Before(since) {
			break
		}
		before = res.Meta.BeforeCursor
	}
	return "", false, nil
}

// isSunshinePost reports whether m is the bot's post of want, received
// at or after since (Claim is the caller's).
func (c *Client) isSunshinePost(m listedSunMessage, want sunMessagePost, since time.Time) bool {
	if m.Author.Type != "business" || m.Content.Type != want.Content.Type ||
		strings.TrimSpace(m.Content.Text) != strings.TrimSpace(want.Content.Text) {
		return false
	}
	if m.Metadata == nil {
		if name, _ := m.Author.DisplayName.(string); name == "" || name != want.Author.DisplayName {
			return false
		}
	} else {
		if metaString(m.Metadata[botMetadataKey]) != want.Metadata[botMetadataKey] {
			return false
		}
		if k, ok := m.Metadata[sunWriteKey]; ok && metaString(k) != want.Metadata[sunWriteKey] {
			return false
		}
	}
	if at, ok := sunReceived(m.Received); ok && at.Before(since) {
		return false
	}
	return true
}

// metaString renders a metadata value (strings, numbers and booleans).
func metaString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// sunReceived parses a message's received time (YYYY-MM-DDThh:mm:ss.SSSZ).
func sunReceived(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}
