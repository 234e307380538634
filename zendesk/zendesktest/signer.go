package zendesktest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/zendesk"
)

// SignTrigger returns the signature Zendesk puts in
// X-Zendesk-Webhook-Signature: base64 HMAC-SHA256 under secret over the
// timestamp header value followed by the raw body (zendesk.TriggerScheme).
func SignTrigger(secret, timestamp string, body []byte) string {
	return zendesk.TriggerScheme().Sign(secret, &helpdesk.WebhookRequest{Body: body}, timestamp)
}

// TriggerHeaders returns the headers of a trigger webhook delivery signed
// with secret at time at, by driver.Scheme.SignRequest with
// zendesk.TriggerScheme. An empty invocationID is left out.
func TriggerHeaders(secret string, body []byte, at time.Time, invocationID string) http.Header {
	r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/webhooks/zendesk"}, Header: http.Header{}}
	r.Header.Set("Content-Type", "application/json")
	zendesk.TriggerScheme().SignRequest(r, body, secret, at)
	r.Header.Set(zendesk.HeaderWebhookID, "01HFAKEWEBHOOK000000000000")
	r.Header.Set(zendesk.HeaderAccountID, "1234567")
	if invocationID != "" {
		r.Header.Set(zendesk.HeaderInvocationID, invocationID)
	}
	return r.Header
}

// NewTriggerRequest returns a signed trigger webhook POST, like
// stripe-go's GenerateTestSignedPayload, ready for an http.Handler.
func NewTriggerRequest(secret string, body []byte, at time.Time, invocationID string) *http.Request {
	return drivertest.SignedRequest(context.Background(), "/webhooks/zendesk", body, TriggerHeaders(secret, body, at, invocationID))
}

// NewTriggerWebhookRequest is NewTriggerRequest as a helpdesk.WebhookRequest
// received at time at, for calling ParseWebhook directly.
func NewTriggerWebhookRequest(secret string, body []byte, at time.Time, invocationID string) *helpdesk.WebhookRequest {
	return &helpdesk.WebhookRequest{Method: http.MethodPost, Header: TriggerHeaders(secret, body, at, invocationID), Body: body, ReceivedAt: at}
}

// NewSunshineRequest returns a Sunshine webhook POST carrying secret in
// X-API-Key.
func NewSunshineRequest(secret string, body []byte) *http.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if secret != "" {
		h.Set(zendesk.HeaderSunshineAPIKey, secret)
	}
	return drivertest.SignedRequest(context.Background(), "/webhooks/sunshine", body, h)
}

// TriggerBody encodes p as a trigger would render RecommendedTriggerBody.
func TriggerBody(p zendesk.TriggerPayload) []byte {
	if p.Attachments == nil {
		p.Attachments = []zendesk.TriggerAttachment{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return b
}

// CustomerComment returns the trigger payload reporting a public comment
// by the ticket's requester.
func (s *Server) CustomerComment(ticketID, commentID int64, text string) zendesk.TriggerPayload {
	return s.triggerPayload(ticketID, commentID, s.opts.RequesterID, text, true)
}

// BotComment returns the trigger payload reporting a public comment the
// bot posted (the echo).
func (s *Server) BotComment(ticketID, commentID int64, text string) zendesk.TriggerPayload {
	return s.triggerPayload(ticketID, commentID, s.opts.BotUserID, text, true)
}

func (s *Server) triggerPayload(ticketID, commentID, authorID int64, text string, public bool) zendesk.TriggerPayload {
	s.mu.Lock()
	t := s.tickets[ticketID]
	var group, assignee, status string
	if t != nil {
		if t.GroupID != 0 {
			group = strconv.FormatInt(t.GroupID, 10)
		}
		if t.AssigneeID != 0 {
			assignee = strconv.FormatInt(t.AssigneeID, 10)
		}
		status = map[string]string{"new": "New", "open": "Open", "pending": "Pending", "hold": "On-hold", "solved": "Solved", "closed": "Closed"}[t.Status]
	}
	s.mu.Unlock()
	name, email := "Maria Silva", "maria@example.com"
	if authorID == s.opts.BotUserID {
		name, email = DefaultBotName, s.opts.Email
	}
	return zendesk.TriggerPayload{
		TicketID: strconv.FormatInt(ticketID, 10), AssigneeID: assignee, GroupID: group, Status: status,
		Title: "Pedido não chegou", Text: text, CommentID: strconv.FormatInt(commentID, 10),
		IsPublic: strconv.FormatBool(public), Type: "Mail",
		Author: zendesk.TriggerUser{ID: strconv.FormatInt(authorID, 10), Name: name, Email: email},
		Sender: zendesk.TriggerUser{ID: strconv.FormatInt(s.opts.RequesterID, 10), Name: "Maria Silva", Email: "maria@example.com", Role: "End-user"},
	}
}

// SunshineMessage describes one conversation:message event for
// SunshineDelivery.
type SunshineMessage struct {
	EventID        string
	ConversationID string
	MessageID      string
	// AuthorType is "user" or "business".
	AuthorType  string
	UserID      string
	DisplayName string
	Text        string
	// SourceType is e.g. "web", "whatsapp", "api:conversations",
	// "zd:agentWorkspace".
	SourceType string
	Metadata   map[string]any
	CreatedAt  time.Time
}

// SunshineDelivery builds a Sunshine webhook body carrying the given
// conversation:message events.
func SunshineDelivery(appID string, msgs ...SunshineMessage) []byte {
	events := make([]map[string]any, 0, len(msgs))
	for _, m := range msgs {
		at := m.CreatedAt
		if at.IsZero() {
			at = time.Now()
		}
		author := map[string]any{"type": m.AuthorType, "displayName": m.DisplayName}
		if m.UserID != "" {
			author["userId"] = m.UserID
		}
		msg := map[string]any{
			"id": m.MessageID, "received": at.UTC().Format(time.RFC3339Nano), "author": author,
			"content": map[string]any{"type": "text", "text": m.Text},
			"source":  map[string]any{"type": m.SourceType},
		}
		if m.Metadata != nil {
			msg["metadata"] = m.Metadata
		}
		events = append(events, map[string]any{
			"id": m.EventID, "type": "conversation:message", "createdAt": at.UTC().Format(time.RFC3339Nano),
			"payload": map[string]any{
				"conversation": map[string]any{"id": m.ConversationID, "type": "personal"},
				"message":      msg,
			},
		})
	}
	b, err := json.Marshal(map[string]any{"app": map[string]any{"id": appID}, "webhook": map[string]any{"id": "wh_fake", "version": "v2"}, "events": events})
	if err != nil {
		panic(err)
	}
	return b
}
