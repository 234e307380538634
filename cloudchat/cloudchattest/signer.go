package cloudchattest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// Signer builds webhook deliveries the way Chatwoot sends them (4.12+):
// X-Chatwoot-Signature "sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>",
// X-Chatwoot-Timestamp and X-Chatwoot-Delivery.
type Signer struct {
	// Secret is the webhook (or agent bot) secret.
	Secret string
	// Now is the clock for the timestamp header (default time.Now).
	Now func() time.Time
	// Path is the webhook URL path (default "/webhooks/cloudchat"),
	// query included (e.g. "?token=…" for unsigned servers).
	Path string
}

func (s *Signer) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Headers returns the signed headers for body. delivery "" derives a
// stable id from the body, so the same payload built twice is one delivery.
// The signature is cloudchat.Scheme's.
func (s *Signer) Headers(body []byte, delivery string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: s.path()}, Header: h}
	cloudchat.Scheme().SignRequest(r, body, s.Secret, s.now())
	h.Set(cloudchat.HeaderDelivery, deliveryID(body, delivery))
	return h
}

func deliveryID(body []byte, delivery string) string {
	if delivery != "" {
		return delivery
	}
	sum := sha256.Sum256(body)
	x := hex.EncodeToString(sum[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// Request returns a signed webhook POST carrying body.
func (s *Signer) Request(body []byte, delivery string) *http.Request {
	return drivertest.SignedRequest(context.Background(), s.path(), body, s.Headers(body, delivery))
}

// Unsigned returns the POST without signature headers (what servers older
// than 4.12 send), with only a delivery id when delivery is not "".
func (s *Signer) Unsigned(body []byte, delivery string) *http.Request {
	h := http.Header{}
	if delivery != "" {
		h.Set("X-Chatwoot-Delivery", delivery)
	}
	return drivertest.SignedRequest(context.Background(), s.path(), body, h)
}

func (s *Signer) path() string {
	if s.Path == "" {
		return "/webhooks/cloudchat"
	}
	return s.Path
}

// Sender is a message author in a payload. Type is "" for a contact
// (Chatwoot sends no type for contacts), "user" for an agent, "agent_bot"
// for a bot.
type Sender struct {
	ID          int64
	Name        string
	Email       string
	PhoneNumber string
	Type        string
}

// ConversationRef is the conversation part of a payload.
type ConversationRef struct {
	ID           int64 // display id
	InboxID      int64
	Status       string // default "pending"
	Channel      string // default "Channel::Api"
	CanReply     *bool  // default true
	SourceID     string
	ContactID    int64
	AssigneeID   int64
	AssigneeType string // "User", "AgentBot"
	TeamID       int64
	Labels       []string
}

// MessageEvent describes a message_created / message_updated delivery.
type MessageEvent struct {
	Event       string // default "message_created"
	ID          int64
	Content     string
	MessageType string // "incoming" (default), "outgoing", "template", "activity"
	Private     bool
	Sender      *Sender // nil: null (template/system messages)
	CreatedAt   time.Time
	// ExternalEcho marks a WhatsApp coexistence echo (sent from the phone).
	ExternalEcho  bool
	ExternalError string
	Conversation  ConversationRef
}

func conversationObj(c ConversationRef, updated time.Time) map[string]any {
	status := c.Status
	if status == "" {
		status = "pending"
	}
	ch := c.Channel
	if ch == "" {
		ch = "Channel::Api"
	}
	canReply := true
	if c.CanReply != nil {
		canReply = *c.CanReply
	}
	inbox := c.InboxID
	if inbox == 0 {
		inbox = DefaultInboxID
	}
	var assignee any
	var assigneeType any
	if c.AssigneeID != 0 {
		assignee = map[string]any{"id": c.AssigneeID, "name": "Assignee", "availability_status": nil}
		assigneeType = c.AssigneeType
		if c.AssigneeType == "" {
			assigneeType = "User"
		}
	}
	var team any
	if c.TeamID != 0 {
		team = map[string]any{"id": c.TeamID, "name": "Team"}
	}
	labels := c.Labels
	if labels == nil {
		labels = []string{}
	}
	return map[string]any{
		"id": c.ID, "inbox_id": inbox, "status": status, "priority": nil, "channel": ch, "can_reply": canReply,
		"labels": labels, "custom_attributes": map[string]any{}, "additional_attributes": map[string]any{},
		"contact_inbox": map[string]any{"source_id": c.SourceID, "pubsub_token": "pubsub-secret-widget-token", "hmac_verified": false},
		"messages":      []any{map[string]any{"id": 1, "content": "last", "message_type": 0, "created_at": updated.Unix(), "private": false}},
		"meta": map[string]any{
			"sender":        map[string]any{"id": c.ContactID, "name": "Contact", "type": "contact"},
			"assignee":      assignee,
			"assignee_type": assigneeType,
			"team":          team,
			"hmac_verified": false,
		},
		"snoozed_until": nil, "first_reply_created_at": nil, "waiting_since": 0,
		"agent_last_seen_at": 0, "contact_last_seen_at": 0,
		"last_activity_at": updated.Unix(), "created_at": updated.Unix(), "timestamp": updated.Unix(),
		"updated_at": float64(updated.UnixNano()) / 1e9, "unread_count": 1,
	}
}

// MessagePayload builds a message_created (or message_updated) body with
// the documented shape: message_type as a string at the top level, integer
// inside conversation.messages[], created_at an ISO string, contacts
// without a "type", and the conversation's contact_inbox.pubsub_token.
func MessagePayload(m MessageEvent) []byte {
	ev := m.Event
	if ev == "" {
		ev = "message_created"
	}
	mt := m.MessageType
	if mt == "" {
		mt = "incoming"
	}
	at := m.CreatedAt
	if at.IsZero() {
		at = time.Date(2026, 7, 14, 9, 12, 31, 482e6, time.UTC)
	}
	var sender any
	if s := m.Sender; s != nil {
		obj := map[string]any{"id": s.ID, "name": s.Name}
		switch s.Type {
		case "":
			obj["email"] = nullable(s.Email)
			obj["phone_number"] = nullable(s.PhoneNumber)
			obj["identifier"] = nil
			obj["avatar"] = ""
			obj["thumbnail"] = ""
			obj["custom_attributes"] = map[string]any{}
			obj["additional_attributes"] = map[string]any{}
			obj["blocked"] = false
		case "user":
			obj["email"] = s.Email
			obj["type"] = "user"
		default:
			obj["type"] = s.Type
		}
		sender = obj
	}
	ca := map[string]any{}
	if m.ExternalEcho {
		ca["external_echo"] = true
	}
	if m.ExternalError != "" {
		ca["external_error"] = m.ExternalError
	}
	inbox := m.Conversation.InboxID
	if inbox == 0 {
		inbox = DefaultInboxID
	}
	body := map[string]any{
		"event": ev, "id": m.ID, "content": m.Content, "content_type": "text", "message_type": mt,
		"private": m.Private, "source_id": nil, "created_at": at.UTC().Format("2006-01-02T15:04:05.000Z"),
		"account": map[string]any{"id": DefaultAccountID, "name": "Acme"},
		"inbox":   map[string]any{"id": inbox, "name": "Inbox"},
		"sender":  sender, "conversation": conversationObj(m.Conversation, at),
		"additional_attributes": map[string]any{}, "content_attributes": ca,
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return b
}

// ConversationEvent describes a conversation_* delivery.
type ConversationEvent struct {
	// Event is conversation_created, conversation_updated,
	// conversation_status_changed, conversation_opened or
	// conversation_resolved.
	Event        string
	Conversation ConversationRef
	// Changed is changed_attributes as Chatwoot sends it: attribute →
	// [previous, current]. Nil sends null (as conversation_status_changed
	// effectively always does).
	Changed map[string][2]any
	At      time.Time
}

// ConversationPayload builds a conversation event body: the conversation
// object at the top level plus "event" (and changed_attributes).
func ConversationPayload(e ConversationEvent) []byte {
	at := e.At
	if at.IsZero() {
		at = time.Date(2026, 7, 14, 9, 12, 31, 0, time.UTC)
	}
	obj := conversationObj(e.Conversation, at)
	obj["event"] = e.Event
	obj["account"] = map[string]any{"id": DefaultAccountID, "name": "Acme"}
	if e.Changed != nil {
		var list []map[string]any
		for k, v := range e.Changed {
			list = append(list, map[string]any{k: map[string]any{"previous_value": v[0], "current_value": v[1]}})
		}
		obj["changed_attributes"] = list
	} else {
		obj["changed_attributes"] = nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return b
}

// ConversationJSON renders a conversation like GET /conversations/{id}.
func ConversationJSON(c Conversation, account int64) map[string]any {
	ref := ConversationRef{ID: c.ID, InboxID: c.InboxID, Status: c.Status, Channel: c.Channel, CanReply: &c.CanReply,
		SourceID: c.SourceID, ContactID: c.ContactID, AssigneeID: c.AssigneeID, AssigneeType: c.AssigneeType, TeamID: c.TeamID, Labels: c.Labels}
	obj := conversationObj(ref, time.Now())
	obj["account_id"] = account
	return obj
}

// String helps debugging.
func (m MessageEvent) String() string {
	return fmt.Sprintf("%s #%d in %d", m.Event, m.ID, m.Conversation.ID)
}
