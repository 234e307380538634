package helpdesk

import (
	"context"
	"strings"
	"time"
)

// Helpdesk is one vendor's helpdesk seen from the bot: a place where the
// bot, as one more agent, answers conversations, resolves them and hands them
// to humans. Each driver's New (zendesk, intercom, cloudchat, ...) returns
// one, and helpdesktest.Fake implements it in memory.
//
// Every driver's Helpdesk is the same portable implementation around the
// vendor driver (helpdesk/driver), so the rules below hold for all of them
// alike: a done context fails before any request; blank text, a blank or
// foreign conversation and an invalid Target are refused with a
// *FieldError (ErrInvalidRequest) before any request; anything outside
// Capabilities fails with ErrUnsupported before any request; errors are
// *OpError values naming the operation and conversation, around an
// *APIError (status and request id kept) or a sentinel. Use As to reach the
// vendor's client for its extras, and ErrorAs for vendor error types.
//
// Every method takes the Conversation that a webhook event carried, so a
// driver can act without extra lookups.
type Helpdesk interface {
	// SendMessage posts one message to the customer (or an internal note
	// when msg.Internal is set). When msg.Resolve is set the conversation is
	// resolved with it: in the same request when Capabilities has
	// CapResolveWithMessage, otherwise by a resolve right after the
	// message; if that resolve fails, the message's Receipt comes back
	// with a *ResolveAfterReplyError. Receipt.Resolved tells whether the
	// conversation was resolved.
	SendMessage(ctx context.Context, conv Conversation, msg Message) (*Receipt, error)
	// Resolve marks the conversation solved/resolved/closed as the vendor
	// names it.
	Resolve(ctx context.Context, conv Conversation) error
	// Reassign hands the conversation to a human group/team or agent,
	// optionally telling the customer (Target.Notice) and leaving an internal
	// note (Target.Note).
	Reassign(ctx context.Context, conv Conversation, to Target) error
	// ParseWebhook verifies a webhook delivery and turns it into events.
	// Forged or stale deliveries give an error matching ErrInvalidSignature
	// (more precisely ErrSignatureMissing, ErrSignatureMismatch,
	// ErrSignatureStale or ErrSignatureFuture), unreadable ones
	// ErrInvalidPayload. A delivery may hold several events or none the
	// driver maps (an empty slice, nil error).
	ParseWebhook(ctx context.Context, req *WebhookRequest) ([]Event, error)
	// Capabilities says what this helpdesk can do.
	Capabilities() Capabilities
}

// Channel is the medium a conversation happens on. Drivers map their
// vendor's channel names onto these values; ChannelOther with the vendor's
// name in Conversation.Extra covers the rest.
type Channel string

// Channels known to the SDK. The string values are stable: they name
// helpdesk/split presets and appear in logs and metrics.
const (
	ChannelUnknown        Channel = ""
	ChannelEmail          Channel = "email"
	ChannelWebChat        Channel = "web_chat"
	ChannelWhatsApp       Channel = "whatsapp"
	ChannelWhatsAppTwilio Channel = "whatsapp_twilio"
	ChannelSMS            Channel = "sms"
	ChannelInstagram      Channel = "instagram"
	ChannelMessenger      Channel = "messenger"
	ChannelTelegram       Channel = "telegram"
	ChannelLINE           Channel = "line"
	ChannelAPI            Channel = "api"
	ChannelVoice          Channel = "voice"
	ChannelOther          Channel = "other"
)

// Conversation identifies a ticket, thread or conversation in a vendor's
// helpdesk and carries what the driver needs to act on it. Drivers fill it
// from webhooks; hosts keep it (it is plain data and JSON-serialisable) and
// pass it back to SendMessage, Resolve and Reassign.
type Conversation struct {
	// Vendor is the driver's name, e.g. "zendesk".
	Vendor string `json:"vendor"`
	// Account is the vendor account, workspace, portal or subdomain the
	// conversation lives in, when the vendor has several per credential.
	Account string `json:"account,omitempty"`
	// ID is the vendor's id of the ticket / thread / conversation, as a
	// string whatever its type at the vendor (Zendesk int64 ticket ids,
	// Chatwoot display ids, HubSpot thread ids).
	ID string `json:"id"`
	// Channel is the medium (email, WhatsApp, SMS...).
	Channel Channel `json:"channel,omitempty"`
	// Extra holds vendor-specific references, e.g. the Sunshine conversation
	// id beside a Zendesk ticket id, or HubSpot's channelId and
	// channelAccountId. Drivers document and export their keys.
	Extra map[string]string `json:"extra,omitempty"`
}

// Key returns a string that identifies the conversation across vendors and
// accounts; the webhook handler orders events by it.
func (c Conversation) Key() string {
	return c.Vendor + "/" + c.Account + "/" + c.ID
}

// Get returns c.Extra[key] ("" when absent).
func (c Conversation) Get(key string) string {
	if c.Extra == nil {
		return ""
	}
	return c.Extra[key]
}

// With returns a copy of c with Extra[key] = value (Extra is copied, so the
// original is not changed).
func (c Conversation) With(key, value string) Conversation {
	extra := make(map[string]string, len(c.Extra)+1)
	for k, v := range c.Extra {
		extra[k] = v
	}
	extra[key] = value
	c.Extra = extra
	return c
}

// Attachment is a file referenced by URL.
type Attachment struct {
	URL         string `json:"url"`
	Name        string `json:"name,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// Message is what the bot sends.
type Message struct {
	// Text is plain text (drivers convert to the vendor's format, e.g.
	// HTML paragraphs for Intercom).
	Text string
	// Attachments to send by URL, where the vendor supports it.
	Attachments []Attachment
	// Resolve marks this as the final message: the driver resolves the
	// conversation with it, in the same request where the vendor allows.
	Resolve bool
	// Internal makes the message an internal note visible only to agents.
	Internal bool
	// IdempotencyKey, when set, is sent to vendors that honour one so a
	// retried request cannot post twice. Drivers derive one when empty.
	IdempotencyKey string
	// EarlierAttempt, when set, is when an earlier attempt of this same
	// message started that may have posted it (it failed, or its process
	// died), possibly in another process. A driver that reads the
	// conversation back after ambiguous failures then looks for the
	// message before sending it. Reply sets it when it resumes a part an
	// earlier call attempted (ReplyProgress.FailedAt, AttemptAt), so that
	// a host retrying a failed answer on another replica does not post a
	// part twice.
	EarlierAttempt time.Time
}

// Receipt reports what SendMessage did.
type Receipt struct {
	// MessageID is the vendor's id of the posted message or comment, when
	// the vendor returns one (used to recognise the bot's own echo).
	MessageID string
	// Resolved is true when the conversation was resolved with the message.
	Resolved bool
	// Unconfirmed is true, in Reply's receipts, for a part the driver
	// could not confirm and did not send again (ErrUnconfirmed).
	Unconfirmed bool
}

// TargetKind says whether a Target is a group/team or a single agent.
type TargetKind string

const (
	// TargetGroup is a group (Zendesk), team (Intercom, Chatwoot) or inbox.
	TargetGroup TargetKind = "group"
	// TargetAgent is one human agent.
	TargetAgent TargetKind = "agent"
)

// Target is where Reassign hands a conversation.
type Target struct {
	Kind TargetKind `json:"kind"`
	// ID is the vendor id of the group/team or agent.
	ID string `json:"id"`
	// Name is an optional display name, for logs and notes.
	Name string `json:"name,omitempty"`
	// Notice, when set, is a customer-facing message sent with the handover
	// ("A specialist will take over shortly").
	Notice string `json:"notice,omitempty"`
	// Note, when set, is an internal note for the agents who take over.
	Note string `json:"note,omitempty"`
}

// Validate reports an empty id or unknown kind.
func (t Target) Validate() error {
	switch t.Kind {
	case TargetGroup, TargetAgent:
	default:
		return &FieldError{Field: "kind", Problem: "must be \"group\" or \"agent\", got " + quote(string(t.Kind))}
	}
	if strings.TrimSpace(t.ID) == "" {
		return &FieldError{Field: "id", Problem: "empty " + string(t.Kind) + " id"}
	}
	return nil
}

func (t Target) String() string {
	s := string(t.Kind) + ":" + t.ID
	if t.Name != "" {
		s += " (" + t.Name + ")"
	}
	return s
}

func quote(s string) string { return "\"" + s + "\"" }

// Capability is one thing a helpdesk can do.
type Capability uint32

// Capabilities drivers declare.
const (
	// CapSendMessage: SendMessage posts customer-visible messages.
	CapSendMessage Capability = 1 << iota
	// CapInternalNote: SendMessage with Internal posts an agent-only note.
	CapInternalNote
	// CapAttachments: Message.Attachments are delivered.
	CapAttachments
	// CapResolve: Resolve works.
	CapResolve
	// CapResolveWithMessage: a Message with Resolve is posted and resolved
	// in one request.
	CapResolveWithMessage
	// CapReassignGroup: Reassign to a TargetGroup works.
	CapReassignGroup
	// CapReassignAgent: Reassign to a TargetAgent works.
	CapReassignAgent
	// CapWebhooks: ParseWebhook works.
	CapWebhooks
	// CapReassignWithMessage: a Reassign whose Target has a Notice (and no
	// Note) posts the notice and hands over in one request, so a reply
	// whose last part hands over (ReplyOptions.Handover) costs one
	// request less.
	CapReassignWithMessage
	// CapCreateConversation: CreateConversation opens a conversation (a
	// ticket) on behalf of a customer.
	CapCreateConversation
)

// Capabilities is a set of Capability values.
type Capabilities Capability

// Has reports whether every capability in c2 is in c.
func (c Capabilities) Has(c2 Capability) bool { return Capability(c)&c2 == c2 }

// AllCapabilities is every capability the SDK defines.
const AllCapabilities = Capabilities(CapSendMessage | CapInternalNote | CapAttachments | CapResolve |
	CapResolveWithMessage | CapReassignGroup | CapReassignAgent | CapWebhooks | CapReassignWithMessage |
	CapCreateConversation)

var capNames = []struct {
	c    Capability
	name string
}{
	{CapSendMessage, "send"}, {CapInternalNote, "internal-note"}, {CapAttachments, "attachments"},
	{CapResolve, "resolve"}, {CapResolveWithMessage, "resolve-with-message"},
	{CapReassignGroup, "reassign-group"}, {CapReassignAgent, "reassign-agent"}, {CapWebhooks, "webhooks"},
	{CapReassignWithMessage, "reassign-with-message"}, {CapCreateConversation, "create-conversation"},
}

func (c Capabilities) String() string {
	var parts []string
	for _, n := range capNames {
		if c.Has(n.c) {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ",")
}
