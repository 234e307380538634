package zendesk

import (
	"strconv"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Vendor is the driver name in helpdesk.Conversation.Vendor and errors.
const Vendor = "zendesk"

// Conversation.Extra keys this driver reads and writes. A conversation is a
// Support ticket (ExtraTicketID set), a Sunshine conversation
// (ExtraSunshineConversationID set), or both (a messaging ticket whose
// Sunshine conversation is known).
const (
	// ExtraTicketID is the Support ticket id (decimal).
	ExtraTicketID = "zendesk.ticket_id"
	// ExtraSunshineConversationID is the Sunshine conversation id.
	ExtraSunshineConversationID = "zendesk.sunshine_conversation_id"
	// ExtraSunshineAppID is the Sunshine app the conversation belongs to.
	ExtraSunshineAppID = "zendesk.sunshine_app_id"
	// ExtraSunshineUserID is the Sunshine user (the customer).
	ExtraSunshineUserID = "zendesk.sunshine_user_id"
	// ExtraFirstMessageID is the first Sunshine message of the
	// conversation the bot saw; passControl copies the history from it so
	// agents see the whole conversation.
	ExtraFirstMessageID = "zendesk.first_message_id"
	// ExtraGroupID and ExtraAssigneeID are the ticket's group and assignee
	// when the webhook said.
	ExtraGroupID    = "zendesk.group_id"
	ExtraAssigneeID = "zendesk.assignee_id"
	// ExtraRequesterID is the ticket requester's user id.
	ExtraRequesterID = "zendesk.requester_id"
	// ExtraVia is the ticket's channel label as {{ticket.via}} renders it
	// ("Mail", "Web Form", ...).
	ExtraVia = "zendesk.via"
	// ExtraUpdatedAt is the ticket's updated_at when known (used for
	// collision-safe updates).
	ExtraUpdatedAt = "zendesk.updated_at"
)

// Kind says what a Conversation refers to.
type Kind int

const (
	// KindUnknown: neither a ticket id nor a Sunshine conversation id.
	KindUnknown Kind = iota
	// KindTicket: a Support ticket only.
	KindTicket
	// KindSunshine: a Sunshine conversation whose ticket is not known.
	KindSunshine
	// KindBoth: a messaging ticket with its Sunshine conversation.
	KindBoth
)

func (k Kind) String() string {
	return [...]string{"unknown", "ticket", "sunshine", "ticket+sunshine"}[k]
}

// KindOf says whether conv is a Support ticket, a Sunshine conversation or
// both.
func KindOf(conv helpdesk.Conversation) Kind {
	_, t := TicketID(conv)
	s := SunshineConversationID(conv) != ""
	switch {
	case t && s:
		return KindBoth
	case t:
		return KindTicket
	case s:
		return KindSunshine
	}
	return KindUnknown
}

// TicketID returns the Support ticket id of conv and whether it has one.
func TicketID(conv helpdesk.Conversation) (int64, bool) {
	v := conv.Get(ExtraTicketID)
	if v == "" {
		return 0, false
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// SunshineConversationID returns the Sunshine conversation id ("" if none).
func SunshineConversationID(conv helpdesk.Conversation) string {
	return conv.Get(ExtraSunshineConversationID)
}

// WithTicket returns a copy of conv that also refers to ticket id (for
// example the messaging ticket Zendesk created at handover).
func WithTicket(conv helpdesk.Conversation, id int64) helpdesk.Conversation {
	conv = conv.With(ExtraTicketID, strconv.FormatInt(id, 10))
	if conv.ID == "" {
		conv.ID = strconv.FormatInt(id, 10)
	}
	if conv.Vendor == "" {
		conv.Vendor = Vendor
	}
	return conv
}

// TicketConversation returns the Conversation for a Support ticket, as a
// trigger webhook would have produced it.
func TicketConversation(subdomain string, id int64) helpdesk.Conversation {
	s := strconv.FormatInt(id, 10)
	return helpdesk.Conversation{Vendor: Vendor, Account: subdomain, ID: s, Channel: helpdesk.ChannelEmail,
		Extra: map[string]string{ExtraTicketID: s}}
}

// SunshineConversation returns the Conversation for a Sunshine
// conversation, as a Sunshine webhook would have produced it.
func SunshineConversation(subdomain, appID, conversationID string) helpdesk.Conversation {
	return helpdesk.Conversation{Vendor: Vendor, Account: subdomain, ID: conversationID, Channel: helpdesk.ChannelWebChat,
		Extra: map[string]string{ExtraSunshineConversationID: conversationID, ExtraSunshineAppID: appID}}
}
