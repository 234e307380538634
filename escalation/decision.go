package escalation

import (
	"context"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Action is what the host should do with a conversation.
type Action string

const (
	// ActionReply: send Decision.Text (and Decision.Notice when set) to the
	// customer.
	ActionReply Action = "reply"
	// ActionEscalate: hand the conversation to Decision.Target with
	// Helpdesk.Reassign; Target.Notice already holds the customer notice.
	ActionEscalate Action = "escalate"
	// ActionResolve: send Decision.Text (if any) and resolve the
	// conversation (helpdesk.Message.Resolve).
	ActionResolve Action = "resolve"
	// ActionIgnore: do nothing; the bot must not answer this event.
	ActionIgnore Action = "ignore"
)

// Reason says why a Decision was taken. The values are stable snake_case
// strings, suitable as metric labels.
type Reason string

// Reasons for ActionIgnore.
const (
	// ReasonOwnEcho: the event is a message the bot itself wrote.
	ReasonOwnEcho Reason = "own_echo"
	// ReasonInternalNote: the message is an internal note.
	ReasonInternalNote Reason = "internal_note"
	// ReasonNotCustomer: the event is not a public customer message (an
	// agent's or another bot's message, a system line, a status change...).
	ReasonNotCustomer Reason = "not_customer"
	// ReasonNotAssignedToBot: a human or another group owns the
	// conversation now.
	ReasonNotAssignedToBot Reason = "not_assigned_to_bot"
	// ReasonSpam: the message matches a spam rule.
	ReasonSpam Reason = "spam"
)

// Reasons for ActionEscalate (and, with Decision.Fallback set, for an
// ActionReply when no human could take over).
const (
	// ReasonCustomerAskedHuman: the customer asked for a human.
	ReasonCustomerAskedHuman Reason = "customer_asked_human"
	// ReasonTagRoute: a tag route matched.
	ReasonTagRoute Reason = "tag_route"
	// ReasonContentRoute: a content route (keyword or pattern) matched.
	ReasonContentRoute Reason = "content_route"
	// ReasonMaxBotMessages: the bot already sent MaxBotMessages messages.
	ReasonMaxBotMessages Reason = "max_bot_messages"
	// ReasonConversationTooLong: the conversation exceeds MaxMessages or
	// MaxChars.
	ReasonConversationTooLong Reason = "conversation_too_long"
	// ReasonContentTooLarge: the customer's message exceeds MaxMessageChars.
	ReasonContentTooLarge Reason = "content_too_large"
	// ReasonLowConfidence: the candidate answer's confidence is below
	// MinConfidence.
	ReasonLowConfidence Reason = "low_confidence"
	// ReasonNoAnswer: the bot has no answer to give (empty text, not
	// solved).
	ReasonNoAnswer Reason = "no_answer"
)

// Reasons for ActionReply and ActionResolve.
const (
	// ReasonAnswered: the bot answers.
	ReasonAnswered Reason = "answered"
	// ReasonResolved: the bot answers and considers the issue solved.
	ReasonResolved Reason = "resolved"
)

// Reasons found in Decision.Fallback: why a target was passed over.
const (
	// ReasonOutsideHours: the target is outside its business hours.
	ReasonOutsideHours Reason = "outside_hours"
	// ReasonNoAgentsOnline: Availability says nobody is online there.
	ReasonNoAgentsOnline Reason = "no_agents_online"
	// ReasonAvailabilityError: Availability failed (see Decision.Err); the
	// target is treated as unavailable.
	ReasonAvailabilityError Reason = "availability_error"
)

// Decision is what Decide concluded.
type Decision struct {
	Action Action
	// Reason is why. For an ActionReply with Fallback set it is the reason
	// the bot wanted to hand over.
	Reason Reason
	// Target is where to hand over (ActionEscalate only), with Notice (the
	// customer notice in the conversation's language) and Note (an internal
	// note for the agents) filled in unless the configuration set them.
	Target helpdesk.Target
	// Route names the route that chose Target ("default" for the default
	// target).
	Route string
	// Text is the candidate answer to send (ActionReply, ActionResolve).
	Text string
	// Notice is the customer-facing text to send with the decision: the
	// handover notice (ActionEscalate, same as Target.Notice) or, when the
	// bot keeps the conversation because nobody could take over, the
	// fallback notice.
	Notice string
	// Fallback, when set, says why the preferred target was passed over
	// (ReasonOutsideHours, ReasonNoAgentsOnline, ReasonAvailabilityError).
	// With ActionEscalate the conversation goes to a later choice; with
	// ActionReply no target was available and the bot keeps answering.
	Fallback Reason
	// Err holds errors returned by Availability, if any.
	Err error
}

// State is what the host knows about the conversation when an event
// arrives. Counts exclude the triggering message; Decide adds it.
type State struct {
	// Event is the webhook event being decided.
	Event helpdesk.Event
	// BotMessages and CustomerMessages are the messages so far.
	BotMessages      int
	CustomerMessages int
	// Chars is the characters (runes) of the conversation so far.
	Chars int
	// Tags are the conversation's tags.
	Tags []string
	// Language is the conversation's language ("pt", "pt-BR", "en"...);
	// empty or unknown uses Config.DefaultLanguage.
	Language string
	// NotAssignedToBot is set when the conversation no longer belongs to
	// the bot (a human or another group took it). An Assignment event
	// with ToBot false means the same.
	NotAssignedToBot bool
	// SenderEmail and Subject default to the event message's author email
	// and subject.
	SenderEmail string
	Subject     string
	// Now is the time the decision is for; zero means the Policy's clock.
	Now time.Time
}

// Answer is the bot's candidate reply.
type Answer struct {
	// Text is the proposed reply.
	Text string
	// Confidence in [0,1]; NaN counts as 0.
	Confidence float64
	// Solved is set when the bot considers the issue solved by Text.
	Solved bool
}

// Availability tells whether a target can take a conversation now: a
// driver or the host implements it (e.g. HubSpot: is any agent of the team
// online). Business hours are checked by the Policy before calling it.
type Availability interface {
	Available(ctx context.Context, t helpdesk.Target) (bool, error)
}

// AvailabilityFunc adapts a function to Availability.
type AvailabilityFunc func(ctx context.Context, t helpdesk.Target) (bool, error)

// Available calls f.
func (f AvailabilityFunc) Available(ctx context.Context, t helpdesk.Target) (bool, error) {
	return f(ctx, t)
}

// Reasons returns every Reason, e.g. to create metric series up front.
func Reasons() []Reason {
	return []Reason{
		ReasonOwnEcho, ReasonInternalNote, ReasonNotCustomer, ReasonNotAssignedToBot, ReasonSpam,
		ReasonCustomerAskedHuman, ReasonTagRoute, ReasonContentRoute, ReasonMaxBotMessages,
		ReasonConversationTooLong, ReasonContentTooLarge, ReasonLowConfidence, ReasonNoAnswer,
		ReasonAnswered, ReasonResolved,
		ReasonOutsideHours, ReasonNoAgentsOnline, ReasonAvailabilityError,
	}
}

// ReplyOptions returns the helpdesk.ReplyOptions that carry out d with
// helpdesk.Reply(ctx, hd, conv, d.Text, d.ReplyOptions(sp)): resolve with
// the last part (ActionResolve), or hand over to d.Target with it
// (ActionEscalate), which helpdesks with helpdesk.CapReassignWithMessage
// do in the same request as the last part. With ActionEscalate and no
// Text, Reply only hands over (the target's notice still reaches the
// customer). sp may be nil.
func (d Decision) ReplyOptions(sp helpdesk.Splitter) helpdesk.ReplyOptions {
	o := helpdesk.ReplyOptions{Splitter: sp}
	switch d.Action {
	case ActionResolve:
		o.Resolve = true
	case ActionEscalate:
		to := d.Target
		o.Handover = &to
	}
	return o
}
