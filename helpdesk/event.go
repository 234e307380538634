package helpdesk

import (
	"encoding/json"
	"strings"
	"time"
)

// EventType names what happened.
type EventType string

// Event types every driver maps its vendor's webhooks onto. Anything else is
// EventOther, with the vendor's own event name in VendorType and typed data
// in Extra.
const (
	// EventMessageCreated: a message or note was added (see Event.Message).
	EventMessageCreated EventType = "message.created"
	// EventConversationCreated: a new ticket/conversation/thread exists.
	EventConversationCreated EventType = "conversation.created"
	// EventConversationAssigned: the assignee or group changed (see
	// Event.Assignment).
	EventConversationAssigned EventType = "conversation.assigned"
	// EventStatusChanged: the status changed (see Event.Status).
	EventStatusChanged EventType = "conversation.status_changed"
	// EventOther: a vendor event without a portable meaning.
	EventOther EventType = "other"
)

// Role is who wrote a message.
type Role string

const (
	// RoleCustomer is the end user (requester, contact, lead, visitor).
	RoleCustomer Role = "customer"
	// RoleAgent is a human agent.
	RoleAgent Role = "agent"
	// RoleBot is an automated author: this bot (Author.Self) or another
	// (Fin, Answer Bot, a workflow).
	RoleBot Role = "bot"
	// RoleSystem is the helpdesk itself (activity lines, CSAT, greetings).
	RoleSystem Role = "system"
)

// Author of a message.
type Author struct {
	Role  Role   `json:"role"`
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Self is true when the author is this bot: its own message came back
	// through the webhook and must not be answered.
	Self bool `json:"self,omitempty"`
}

// InboundMessage is a message reported by a webhook.
type InboundMessage struct {
	// ID is the vendor's message/comment/part id.
	ID     string `json:"id,omitempty"`
	Author Author `json:"author"`
	// Text is plain text, even when the vendor sent HTML.
	Text string `json:"text"`
	// HTML is the vendor's HTML when it sent some.
	HTML string `json:"html,omitempty"`
	// Subject of an email, when there is one.
	Subject string `json:"subject,omitempty"`
	// Public is false for internal notes.
	Public      bool         `json:"public"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Assignment reports who a conversation is assigned to now.
type Assignment struct {
	// AgentID and GroupID are the new assignee and group/team ("" = none).
	AgentID string `json:"agent_id,omitempty"`
	GroupID string `json:"group_id,omitempty"`
	// ToBot is true when the conversation is (still) assigned to this bot.
	ToBot bool `json:"to_bot"`
}

// Status is a conversation status, normalised across vendors.
type Status string

// Normalised statuses. Vendor statuses map as documented per driver; the
// vendor's own word stays in StatusChange.VendorFrom/VendorTo.
const (
	StatusUnknown  Status = ""
	StatusNew      Status = "new"
	StatusOpen     Status = "open"
	StatusPending  Status = "pending"
	StatusSnoozed  Status = "snoozed"
	StatusResolved Status = "resolved"
	StatusClosed   Status = "closed"
)

// StatusChange reports a status transition. From is StatusUnknown when the
// vendor does not say.
type StatusChange struct {
	From       Status `json:"from,omitempty"`
	To         Status `json:"to"`
	VendorFrom string `json:"vendor_from,omitempty"`
	VendorTo   string `json:"vendor_to,omitempty"`
}

// Event is one thing a webhook delivery reported.
type Event struct {
	Type EventType `json:"type"`
	// VendorType is the vendor's own event name (e.g. "conversation:message",
	// "message_created", "conversation.user.replied").
	VendorType string `json:"vendor_type,omitempty"`
	// DeliveryID identifies the event at the vendor and stays the same
	// across redeliveries: the webhook handler deduplicates on it. Drivers
	// build one from stable fields when the vendor sends none.
	DeliveryID string `json:"delivery_id"`
	// OccurredAt is when it happened at the vendor (zero if unknown).
	OccurredAt time.Time `json:"occurred_at"`
	// Conversation the event belongs to.
	Conversation Conversation `json:"conversation"`
	// Message is set for EventMessageCreated.
	Message *InboundMessage `json:"message,omitempty"`
	// Assignment is set for EventConversationAssigned.
	Assignment *Assignment `json:"assignment,omitempty"`
	// Status is set for EventStatusChanged (and may be set on others when
	// the vendor reports the current status).
	Status *StatusChange `json:"status,omitempty"`
	// Extra carries typed vendor-specific data; drivers document the types
	// (e.g. a HubSpot ticket association, a Sunshine postback).
	Extra any `json:"extra,omitempty"`
	// Raw is the vendor's payload for this event, as received.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// IsCustomerMessage reports whether e is a public message written by the
// customer: the only kind of event a bot answers.
func (e *Event) IsCustomerMessage() bool {
	return e.Type == EventMessageCreated && e.Message != nil &&
		e.Message.Author.Role == RoleCustomer && e.Message.Public
}

// FromSelf reports whether e is a message this bot wrote.
func (e *Event) FromSelf() bool {
	return e.Type == EventMessageCreated && e.Message != nil && e.Message.Author.Self
}

// ParseStatus maps a vendor's status word to the normalised Status, ignoring
// case and surrounding space: new; open; pending; hold / on-hold / snoozed
// (StatusSnoozed: parked until something happens); solved / resolved;
// closed. Anything else is StatusUnknown. Drivers call it for the words
// the vendors share and handle their own labels first.
func ParseStatus(s string) Status {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "new":
		return StatusNew
	case "open", "opened":
		return StatusOpen
	case "pending":
		return StatusPending
	case "hold", "on-hold", "on hold", "snoozed":
		return StatusSnoozed
	case "solved", "resolved":
		return StatusResolved
	case "closed":
		return StatusClosed
	}
	return StatusUnknown
}
