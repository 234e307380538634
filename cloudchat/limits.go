package cloudchat

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/split"
)

// Conversation.Extra keys set by ParseWebhook. Hosts keep the Conversation
// as it came and pass it back; the driver reads ExtraCanReply to refuse
// plain replies outside the messaging window without spending a request.
const (
	// ExtraCanReply is "true" or "false": Chatwoot's conversation.can_reply,
	// false when the channel's reply window (WhatsApp 24 h) has closed.
	ExtraCanReply = "can_reply"
	// ExtraStatus is the Chatwoot status when the event was built:
	// "pending" (the bot's), "open", "resolved" or "snoozed".
	ExtraStatus = "status"
	// ExtraInboxID is the inbox id.
	ExtraInboxID = "inbox_id"
	// ExtraVendorChannel is Chatwoot's channel class, e.g.
	// "Channel::Whatsapp".
	ExtraVendorChannel = "vendor_channel"
	// ExtraContactID is the contact's id.
	ExtraContactID = "contact_id"
	// ExtraAssigneeType is "User", "AgentBot" or "" (unassigned).
	ExtraAssigneeType = "assignee_type"
	// ExtraAssigneeID is the assignee's id ("" when unassigned).
	ExtraAssigneeID = "assignee_id"
	// ExtraTeamID is the team's id ("" when none).
	ExtraTeamID = "team_id"
)

// Unit is how a channel counts message length.
type Unit string

const (
	// Runes counts Unicode code points.
	Runes Unit = "runes"
	// Bytes counts UTF-8 bytes (Instagram: "1000 bytes or less").
	Bytes Unit = "bytes"
)

// Backend cap on message content (Chatwoot Message validation); it also
// bounds internal notes, which reach no channel.
const maxContent = 150000

// MessageLimit returns the longest text a public message on ch may carry and
// how it is counted. The values are the per-channel caps of the Chatwoot
// dashboard (the server itself only caps content at 150,000 characters and
// does not split): WhatsApp 4096, Twilio WhatsApp 1600, SMS 320, Messenger
// 2000, Instagram 1000 bytes, Telegram 4096, LINE 2000, e-mail 25,000, web
// chat / API / others 10,000.
func MessageLimit(ch helpdesk.Channel) (int, Unit) {
	switch ch {
	case helpdesk.ChannelWhatsApp, helpdesk.ChannelTelegram:
		return 4096, Runes
	case helpdesk.ChannelWhatsAppTwilio:
		return 1600, Runes
	case helpdesk.ChannelSMS:
		return 320, Runes
	case helpdesk.ChannelMessenger, helpdesk.ChannelLINE:
		return 2000, Runes
	case helpdesk.ChannelInstagram:
		return 1000, Bytes
	case helpdesk.ChannelEmail:
		return 25000, Runes
	}
	return 10000, Runes
}

// TooLongError is returned by SendMessage, before any request, for a text
// longer than its channel allows. It matches helpdesk.ErrInvalidRequest.
type TooLongError struct {
	Channel helpdesk.Channel
	Limit   int
	Unit    Unit
	Length  int
}

func (e *TooLongError) Error() string {
	ch := string(e.Channel)
	if ch == "" {
		ch = "unknown channel"
	}
	return fmt.Sprintf("cloudchat: message of %d %s exceeds the %s limit of %d; split it (helpdesk.Reply with a helpdesk/split splitter)", e.Length, e.Unit, ch, e.Limit)
}

// Unwrap matches helpdesk.ErrInvalidRequest.
func (e *TooLongError) Unwrap() error { return helpdesk.ErrInvalidRequest }

func checkLength(ch helpdesk.Channel, text string, internal bool) error {
	limit, unit := MessageLimit(ch)
	if internal {
		limit, unit = maxContent, Runes
	}
	n := len(text)
	if unit == Runes {
		if n <= limit { // bytes >= runes: short texts need no count
			return nil
		}
		n = utf8.RuneCountInString(text)
	}
	if n > limit {
		return &TooLongError{Channel: ch, Limit: limit, Unit: unit, Length: n}
	}
	return nil
}

// ErrTemplateRequired is matched by *WindowClosedError: the conversation's
// reply window is closed, and only a template (SendTemplate) can reach the
// customer.
var ErrTemplateRequired = errors.New("cloudchat: reply window closed, a template message is required")

// WindowClosedError is returned by SendMessage, without sending anything,
// when the conversation carries can_reply=false: Chatwoot would turn a plain
// reply into a nameless template that fails at WhatsApp ("Template not found
// or invalid template name"). It matches ErrTemplateRequired.
type WindowClosedError struct {
	Channel      helpdesk.Channel
	Conversation string
}

func (e *WindowClosedError) Error() string {
	what := "the reply window"
	if e.Channel == helpdesk.ChannelWhatsApp || e.Channel == helpdesk.ChannelWhatsAppTwilio {
		what = "the WhatsApp 24-hour window"
	}
	return "cloudchat: conversation " + e.Conversation + ": " + what + " is closed; send an approved template with SendTemplate"
}

// Unwrap matches ErrTemplateRequired and the portable
// helpdesk.ErrReplyWindowClosed.
func (e *WindowClosedError) Unwrap() []error {
	return []error{ErrTemplateRequired, helpdesk.ErrReplyWindowClosed}
}

// channelOf maps Chatwoot's channel class (and, for Twilio, the contact's
// source id, "whatsapp:+…" for WhatsApp) to a helpdesk.Channel.
func channelOf(vendor, sourceID string) helpdesk.Channel {
	switch vendor {
	case "":
		return helpdesk.ChannelUnknown
	case "Channel::Whatsapp":
		return helpdesk.ChannelWhatsApp
	case "Channel::TwilioSms":
		if strings.HasPrefix(sourceID, "whatsapp:") {
			return helpdesk.ChannelWhatsAppTwilio
		}
		return helpdesk.ChannelSMS
	case "Channel::Sms":
		return helpdesk.ChannelSMS
	case "Channel::Instagram":
		return helpdesk.ChannelInstagram
	case "Channel::FacebookPage":
		return helpdesk.ChannelMessenger
	case "Channel::Telegram":
		return helpdesk.ChannelTelegram
	case "Channel::Line":
		return helpdesk.ChannelLINE
	case "Channel::Email":
		return helpdesk.ChannelEmail
	case "Channel::WebWidget":
		return helpdesk.ChannelWebChat
	case "Channel::Api":
		return helpdesk.ChannelAPI
	case "Channel::Voice":
		return helpdesk.ChannelVoice
	}
	return helpdesk.ChannelOther
}

// SplitLimit returns MessageLimit(ch) as a helpdesk/split limit, so that
// every part split.New(SplitLimit(ch)) produces passes SendMessage's check:
//
//	s, _ := split.New(cloudchat.SplitLimit(conv.Channel))
//	helpdesk.Reply(ctx, client, conv, answer, helpdesk.ReplyOptions{Splitter: s})
func SplitLimit(ch helpdesk.Channel) split.Limit {
	n, unit := MessageLimit(ch)
	m := split.Runes
	if unit == Bytes {
		m = split.Bytes
	}
	return split.Limit{Max: n, Measure: m}
}
