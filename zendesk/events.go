package zendesk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// Event-subscription webhooks. Besides webhooks connected to a trigger
// (whose body is the trigger's template, see TriggerPayload), Zendesk
// delivers webhooks subscribed to events: a fixed JSON envelope
//
//	{"type": "zen:event-type:ticket.comment_added", "id": "…", "time": "…",
//	 "zendesk_event_version": "2022-11-06", "subject": "zen:ticket:5158",
//	 "account_id": 22129848, "detail": {…the ticket…}, "event": {…the change…}}
//
// signed with the same headers and secret scheme as trigger webhooks
// (https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/,
// …/messaging-events/). ParseWebhook tells the two apart by the body.
//
// Mapping: ticket.comment_added gives a message event (the requester's or
// another end user's comment is the customer's, public or not as the
// comment says; the bot's own comment is Author.Self; staff comments are
// RoleAgent); messaging_ticket.message_added gives a message event by its
// actor type; ticket.created gives EventConversationCreated;
// ticket.status_changed EventStatusChanged; ticket.agent_assignment_changed
// and ticket.group_assignment_changed EventConversationAssigned. Every
// other type is EventOther with Event.VendorType set to it, never an
// error. A mapped event without the fields it needs (the ticket id, the
// comment's id, body, visibility and author) is refused with
// helpdesk.ErrInvalidPayload. Event.Extra is the *EventPayload.
//
// Delivery ids come from the signed body: "ticket:<id>:comment:<comment
// id>" for comments (the same key as a trigger delivery of that comment, so
// a comment delivered by both kinds of webhook is handled once),
// "ticket:<id>:message:<message id>" for messaging messages and
// "event:<envelope id>" for the rest.

// Event types the driver maps (Event.VendorType of events built from an
// event-subscription webhook is the envelope's type).
const (
	EventTypeCommentAdded           = "zen:event-type:ticket.comment_added"
	EventTypeTicketCreated          = "zen:event-type:ticket.created"
	EventTypeStatusChanged          = "zen:event-type:ticket.status_changed"
	EventTypeAgentAssignmentChanged = "zen:event-type:ticket.agent_assignment_changed"
	EventTypeGroupAssignmentChanged = "zen:event-type:ticket.group_assignment_changed"
	EventTypeMessagingMessageAdded  = "zen:event-type:messaging_ticket.message_added"
)

const eventTypePrefix = "zen:event-type:"

// EventPayload is an event-subscription webhook body, the Event.Extra of
// events built from one. Ids and the account id are given as decimal
// strings whether Zendesk rendered them as strings or numbers; Detail
// (the ticket) and Event (the change) are the raw JSON objects.
type EventPayload struct {
	Type                string          `json:"type"`
	ID                  string          `json:"id"`
	Time                string          `json:"time"`
	ZendeskEventVersion string          `json:"zendesk_event_version"`
	Subject             string          `json:"subject"`
	AccountID           string          `json:"account_id"`
	Detail              json.RawMessage `json:"detail,omitempty"`
	Event               json.RawMessage `json:"event,omitempty"`
}

// scalar is a JSON scalar as event webhooks render it: ids arrive as
// strings in some documented examples and as numbers in others, so a
// scalar never fails to decode; what it held is checked where it is
// needed.
type scalar struct {
	s    string
	kind byte // 0 absent or null, 's' string, 'n' number, 'b' boolean, 'x' an object or array
}

func (v *scalar) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || b[0] == 'n':
		*v = scalar{}
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = scalar{s: s, kind: 's'}
	case b[0] == 't' || b[0] == 'f':
		*v = scalar{s: string(b), kind: 'b'}
	case b[0] == '-' || ('0' <= b[0] && b[0] <= '9'):
		*v = scalar{s: string(b), kind: 'n'}
	default:
		*v = scalar{kind: 'x'}
	}
	return nil
}

// text is the value of a string, number or boolean ("" otherwise).
func (v scalar) text() string {
	if v.kind == 'x' {
		return ""
	}
	return strings.TrimSpace(v.s)
}

// isText reports whether v is present as a string or number.
func (v scalar) isText() bool { return v.kind == 's' || v.kind == 'n' }

// id returns v as a decimal integer id ("", false when it is not one).
func (v scalar) id() (string, bool) {
	if !v.isText() {
		return "", false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.s), 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatInt(n, 10), true
}

// boolean reads true/false, also as strings; ok is false otherwise.
func (v scalar) boolean() (val, ok bool) {
	if v.kind != 'b' && v.kind != 's' {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(v.s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

type eventEnvelope struct {
	Type      scalar          `json:"type"`
	ID        scalar          `json:"id"`
	Time      scalar          `json:"time"`
	Version   scalar          `json:"zendesk_event_version"`
	Subject   scalar          `json:"subject"`
	AccountID scalar          `json:"account_id"`
	Detail    json.RawMessage `json:"detail"`
	Event     json.RawMessage `json:"event"`
}

// eventTicket is the detail object of ticket events.
type eventTicket struct {
	ID          scalar `json:"id"`
	ActorID     scalar `json:"actor_id"`
	AssigneeID  scalar `json:"assignee_id"`
	GroupID     scalar `json:"group_id"`
	RequesterID scalar `json:"requester_id"`
	Status      scalar `json:"status"`
	Subject     scalar `json:"subject"`
	UpdatedAt   scalar `json:"updated_at"`
	Via         struct {
		Channel scalar `json:"channel"`
	} `json:"via"`
}

type eventComment struct {
	Comment struct {
		ID       scalar `json:"id"`
		Body     scalar `json:"body"`
		IsPublic scalar `json:"is_public"`
		Author   struct {
			ID      scalar `json:"id"`
			IsStaff scalar `json:"is_staff"`
			Name    scalar `json:"name"`
		} `json:"author"`
	} `json:"comment"`
}

type eventChange struct {
	Current  scalar `json:"current"`
	Previous scalar `json:"previous"`
}

type eventMessageAdded struct {
	Actor struct {
		ID   scalar `json:"id"`
		Name scalar `json:"name"`
		Type scalar `json:"type"`
	} `json:"actor"`
	Message struct {
		ID   scalar `json:"id"`
		Body scalar `json:"body"`
	} `json:"message"`
}

// unmarshalLenient decodes raw into v; a value of another JSON type than
// declared (an object where a scalar was documented, or the reverse) is
// left empty, and the mapping refuses the event if it needed that value.
func unmarshalLenient(raw []byte, v any) error {
	if len(raw) == 0 {
		return nil
	}
	err := json.Unmarshal(raw, v)
	var te *json.UnmarshalTypeError
	if err != nil && errors.As(err, &te) {
		return nil
	}
	return err
}

// parseEventWebhook parses req as an event-subscription webhook. ok is
// false when the body is not one (then it is a trigger body).
func (c *Client) parseEventWebhook(req *helpdesk.WebhookRequest, signedAt time.Time) (events []helpdesk.Event, ok bool, err error) {
	if !bytes.Contains(req.Body, []byte(eventTypePrefix)) {
		return nil, false, nil
	}
	var env eventEnvelope
	if unmarshalLenient(req.Body, &env) != nil || env.Type.kind != 's' || !strings.HasPrefix(env.Type.s, eventTypePrefix) {
		return nil, false, nil
	}
	ev, err := c.eventWebhookEvent(req, &env, signedAt)
	if err != nil {
		return nil, true, err
	}
	return []helpdesk.Event{ev}, true, nil
}

func (c *Client) eventWebhookEvent(req *helpdesk.WebhookRequest, env *eventEnvelope, signedAt time.Time) (helpdesk.Event, error) {
	typ := env.Type.s
	payload := &EventPayload{Type: typ, ID: env.ID.text(), Time: env.Time.text(), ZendeskEventVersion: env.Version.text(),
		Subject: env.Subject.text(), AccountID: env.AccountID.text(), Detail: env.Detail, Event: env.Event}
	ev := helpdesk.Event{Type: helpdesk.EventOther, VendorType: typ, Raw: json.RawMessage(req.Body), Extra: payload, OccurredAt: signedAt}
	if t, err := time.Parse(time.RFC3339Nano, payload.Time); err == nil {
		ev.OccurredAt = t
	}
	if payload.ID != "" {
		ev.DeliveryID = "event:" + payload.ID
	} else {
		sum := sha256.Sum256(req.Body)
		ev.DeliveryID = "event:body:" + hex.EncodeToString(sum[:12])
	}

	var d eventTicket
	if err := unmarshalLenient(env.Detail, &d); err != nil {
		return ev, driver.InvalidPayload("%s: detail is not a JSON object", typ)
	}
	ticket, haveTicket := d.ID.id()
	if !haveTicket {
		ticket, haveTicket = ticketFromSubject(payload.Subject)
	}
	if haveTicket {
		ev.Conversation = c.eventConversation(ticket, &d, typ)
	}
	mapped := true
	switch typ {
	case EventTypeCommentAdded, EventTypeMessagingMessageAdded, EventTypeTicketCreated, EventTypeStatusChanged,
		EventTypeAgentAssignmentChanged, EventTypeGroupAssignmentChanged:
	default:
		mapped = false
	}
	if !mapped {
		return ev, nil
	}
	if !haveTicket {
		return ev, driver.InvalidPayload("%s without a ticket id (detail.id or subject zen:ticket:<id>)", typ)
	}
	if st := d.Status.text(); st != "" {
		ev.Status = &helpdesk.StatusChange{To: normalizeStatus(st), VendorTo: st}
	}
	switch typ {
	case EventTypeCommentAdded:
		return c.commentAddedEvent(ev, ticket, &d, env.Event)
	case EventTypeMessagingMessageAdded:
		return c.messageAddedEvent(ev, ticket, env.Event)
	case EventTypeTicketCreated:
		ev.Type = helpdesk.EventConversationCreated
	case EventTypeStatusChanged:
		var ch eventChange
		if unmarshalLenient(env.Event, &ch) != nil || !ch.Current.isText() || ch.Current.text() == "" {
			return ev, driver.InvalidPayload("%s without event.current", typ)
		}
		to, from := ch.Current.text(), ch.Previous.text()
		ev.Type = helpdesk.EventStatusChanged
		ev.Status = &helpdesk.StatusChange{To: normalizeStatus(to), VendorTo: to, VendorFrom: from}
		if from != "" {
			ev.Status.From = normalizeStatus(from)
		}
	case EventTypeAgentAssignmentChanged, EventTypeGroupAssignmentChanged:
		var ch eventChange
		if unmarshalLenient(env.Event, &ch) != nil || ch.Current.kind == 'x' || ch.Current.kind == 'b' {
			return ev, driver.InvalidPayload("%s with a malformed event.current", typ)
		}
		cur, _ := ch.Current.id() // null: unassigned
		a := &helpdesk.Assignment{}
		if typ == EventTypeAgentAssignmentChanged {
			a.AgentID = cur
			a.GroupID, _ = d.GroupID.id()
		} else {
			a.GroupID = cur
			a.AgentID, _ = d.AssigneeID.id()
		}
		a.ToBot = a.AgentID != "" && a.AgentID == c.botID
		ev.Type = helpdesk.EventConversationAssigned
		ev.Assignment = a
	}
	return ev, nil
}

func ticketFromSubject(subject string) (string, bool) {
	rest, ok := strings.CutPrefix(subject, "zen:ticket:")
	if !ok {
		return "", false
	}
	return scalar{s: rest, kind: 's'}.id()
}

func (c *Client) eventConversation(ticket string, d *eventTicket, typ string) helpdesk.Conversation {
	extra := map[string]string{ExtraTicketID: ticket}
	putID := func(k string, v scalar) {
		if id, ok := v.id(); ok {
			extra[k] = id
		}
	}
	putID(ExtraGroupID, d.GroupID)
	putID(ExtraAssigneeID, d.AssigneeID)
	putID(ExtraRequesterID, d.RequesterID)
	via := d.Via.Channel.text()
	if via != "" {
		extra[ExtraVia] = via
	}
	if u := d.UpdatedAt.text(); u != "" {
		extra[ExtraUpdatedAt] = u
	}
	ch := channelFromVia(via)
	if typ == EventTypeMessagingMessageAdded && ch == helpdesk.ChannelUnknown {
		ch = helpdesk.ChannelWebChat
	}
	return helpdesk.Conversation{Vendor: Vendor, Account: c.cfg.Subdomain, ID: ticket, Channel: ch, Extra: extra}
}

func (c *Client) commentAddedEvent(ev helpdesk.Event, ticket string, d *eventTicket, raw json.RawMessage) (helpdesk.Event, error) {
	var e eventComment
	if err := unmarshalLenient(raw, &e); err != nil {
		return ev, driver.InvalidPayload("%s: event is not a JSON object", ev.VendorType)
	}
	cm := &e.Comment
	commentID, ok := cm.ID.id()
	if !ok {
		return ev, driver.InvalidPayload("%s without event.comment.id", ev.VendorType)
	}
	if cm.Body.kind != 's' {
		return ev, driver.InvalidPayload("%s: event.comment.body is not a string", ev.VendorType)
	}
	public, ok := cm.IsPublic.boolean()
	if !ok {
		return ev, driver.InvalidPayload("%s: event.comment.is_public is missing or not a boolean", ev.VendorType)
	}
	authorID := cm.Author.ID.text()
	if !cm.Author.ID.isText() || authorID == "" {
		return ev, driver.InvalidPayload("%s without event.comment.author.id", ev.VendorType)
	}
	msg := &helpdesk.InboundMessage{ID: commentID, Text: cm.Body.s, Subject: d.Subject.text(), Public: public}
	_, posted := c.posted.get(commentID)
	requester, _ := d.RequesterID.id()
	staff, staffKnown := cm.Author.IsStaff.boolean()
	a := helpdesk.Author{ID: authorID, Name: cm.Author.Name.text()}
	switch {
	case authorID == c.botID || posted:
		a.Role, a.ID, a.Self = helpdesk.RoleBot, c.botID, true
	case authorID == requester, staffKnown && !staff:
		a.Role = helpdesk.RoleCustomer
	default: // staff, or not known to be an end user: never answered
		a.Role = helpdesk.RoleAgent
	}
	msg.Author = a
	ev.Type = helpdesk.EventMessageCreated
	ev.Message = msg
	ev.DeliveryID = "ticket:" + ticket + ":comment:" + commentID
	return ev, nil
}

func (c *Client) messageAddedEvent(ev helpdesk.Event, ticket string, raw json.RawMessage) (helpdesk.Event, error) {
	var e eventMessageAdded
	if err := unmarshalLenient(raw, &e); err != nil {
		return ev, driver.InvalidPayload("%s: event is not a JSON object", ev.VendorType)
	}
	id := e.Message.ID.text()
	if !e.Message.ID.isText() || id == "" {
		return ev, driver.InvalidPayload("%s without event.message.id", ev.VendorType)
	}
	if e.Message.Body.kind != 's' {
		return ev, driver.InvalidPayload("%s: event.message.body is not a string", ev.VendorType)
	}
	actorID := e.Actor.ID.text()
	a := helpdesk.Author{ID: actorID, Name: e.Actor.Name.text()}
	_, posted := c.posted.get(id)
	switch typ := e.Actor.Type.text(); {
	case posted || (actorID != "" && actorID == c.botID):
		a.Role, a.ID, a.Self = helpdesk.RoleBot, c.botID, true
	case typ == "end_user":
		a.Role = helpdesk.RoleCustomer
	case typ == "agent":
		a.Role = helpdesk.RoleAgent
	case typ == "trigger", typ == "system":
		a.Role = helpdesk.RoleSystem
	default:
		return ev, driver.InvalidPayload("%s: event.actor.type %q is not end_user, agent, trigger or system", ev.VendorType, typ)
	}
	ev.Type = helpdesk.EventMessageCreated
	ev.Message = &helpdesk.InboundMessage{ID: id, Text: e.Message.Body.s, Public: true, Author: a}
	ev.DeliveryID = "ticket:" + ticket + ":message:" + id
	return ev, nil
}
