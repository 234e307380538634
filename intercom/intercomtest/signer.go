package intercomtest

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/intercom"
)

// Webhook paths the builders address (any path works with the driver).
const (
	TopicPath  = "/webhooks/intercom"
	ActionPath = "/actions/intercom"
)

// Signer builds topic webhook deliveries signed like Intercom's: the
// X-Hub-Signature of intercom.Scheme over the body, keyed with the app's
// client secret.
type Signer struct {
	Secret string
}

// Request returns a signed POST of body.
func (s *Signer) Request(body []byte) *http.Request {
	r := s.Unsigned(body)
	intercom.Scheme.SignRequest(r, body, s.Secret, time.Now())
	return r
}

// Unsigned returns the same POST without X-Hub-Signature.
func (s *Signer) Unsigned(body []byte) *http.Request {
	r := drivertest.SignedRequest(context.Background(), TopicPath, body, http.Header{
		"User-Agent": {"intercom-parrot-service-client/1.0"},
	})
	return r
}

// ActionRequest returns a Custom Action call carrying body (see
// intercom.ActionBodyTemplate) with Authorization: Bearer token ("" for
// none).
func ActionRequest(token string, body intercom.ActionRequest) *http.Request {
	data, _ := json.Marshal(body)
	return RawActionRequest(token, data)
}

// RawActionRequest is ActionRequest with a raw body (for malformed ones).
func RawActionRequest(token string, body []byte) *http.Request {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return drivertest.SignedRequest(context.Background(), ActionPath, body, h)
}

// Event describes one topic notification about a conversation.
type Event struct {
	// Topic, e.g. "conversation.user.replied".
	Topic string
	// AppID is the workspace (default DefaultAppID).
	AppID string
	// NotificationID is the envelope's id ("" renders null, as Intercom
	// sometimes sends).
	NotificationID string
	// CreatedAt of the notification (default now).
	CreatedAt time.Time
	// Conversation is the item's state.
	Conversation Conversation
	// Parts are the conversation_parts the notification carries (the new
	// ones); empty for conversation.user.created, whose message is the
	// Source.
	Parts []Part
	// PlainText renders bodies as 2.15+ webhooks do (plain text), instead
	// of HTML.
	PlainText bool
}

// Payload renders e as Intercom's notification_event JSON.
func Payload(e Event) []byte {
	if e.AppID == "" {
		e.AppID = DefaultAppID
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	s := &Server{opts: Options{Now: func() time.Time { return e.CreatedAt }}}
	c := e.Conversation
	if c.State == "" {
		c.State = "open"
	}
	if c.SourceType == "" {
		c.SourceType = "conversation"
	}
	item := s.conversationJSON(&c, e.Parts, e.PlainText)
	var nid any
	if e.NotificationID != "" {
		nid = e.NotificationID
	}
	env := map[string]any{
		"type": "notification_event", "app_id": e.AppID, "id": nid, "topic": e.Topic,
		"created_at": e.CreatedAt.Unix(), "delivery_status": "pending", "delivery_attempts": 1,
		"delivered_at": 0, "first_sent_at": e.CreatedAt.Unix(), "links": map[string]any{}, "self": nil,
		"data": map[string]any{"type": "notification_event_data", "item": item},
	}
	data, _ := json.Marshal(env)
	return data
}

// PingPayload is the notification Intercom sends when a webhook is saved.
func PingPayload(appID string) []byte {
	if appID == "" {
		appID = DefaultAppID
	}
	data, _ := json.Marshal(map[string]any{
		"type": "notification_event", "app_id": appID, "id": nil, "topic": "ping", "created_at": time.Now().Unix(),
		"data": map[string]any{"type": "notification_event_data", "item": map[string]any{"type": "ping", "message": "something something interzen"}},
	})
	return data
}
