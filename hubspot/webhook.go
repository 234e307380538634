package hubspot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// Webhook headers.
const (
	SignatureHeaderV3      = "X-HubSpot-Signature-v3"
	TimestampHeader        = "X-HubSpot-Request-Timestamp"
	SignatureHeader        = "X-HubSpot-Signature"
	SignatureVersionHeader = "X-HubSpot-Signature-Version"
)

// SchemeV3 is how HubSpot signs app webhooks: X-HubSpot-Signature-v3 is
// base64(HMAC-SHA256(client secret, method + URI + body + timestamp)), the
// timestamp in milliseconds in X-HubSpot-Request-Timestamp, the URI being
// the full URL HubSpot called. Test signers sign with SchemeV3.SignRequest.
// Do not modify it.
var SchemeV3 = driver.Scheme{
	Header:          SignatureHeaderV3,
	Hash:            sha256.New,
	Encoding:        driver.Base64,
	TimestampHeader: TimestampHeader,
	TimeFormat:      driver.UnixMillis,
	Message: func(req *helpdesk.WebhookRequest, ts string) [][]byte {
		return [][]byte{[]byte(req.Method), []byte(requestURI(req.URL)), req.Body, []byte(ts)}
	},
}

// SchemeV2 is HubSpot's v2 signature, used by workflow webhooks:
// X-HubSpot-Signature is hex(SHA-256(client secret + method + URI + body)),
// a plain hash, with no time.
var SchemeV2 = driver.Scheme{
	Header:   SignatureHeader,
	Encoding: driver.Hex,
	Message: func(req *helpdesk.WebhookRequest, _ string) [][]byte {
		return [][]byte{[]byte(req.Method), []byte(requestURI(req.URL)), req.Body}
	},
	Digest: plainSHA256,
}

// SchemeV1 is HubSpot's v1 signature: hex(SHA-256(client secret + body)).
var SchemeV1 = driver.Scheme{Header: SignatureHeader, Encoding: driver.Hex, Digest: plainSHA256}

func plainSHA256(secret string, msg [][]byte) []byte {
	h := sha256.New()
	h.Write([]byte(secret))
	for _, p := range msg {
		h.Write(p)
	}
	return h.Sum(nil)
}

func requestURI(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// Subscription types of conversation webhooks.
const (
	EventNewMessage      = "conversation.newMessage"
	EventPropertyChange  = "conversation.propertyChange"
	EventCreation        = "conversation.creation"
	EventDeletion        = "conversation.deletion"
	EventPrivacyDeletion = "conversation.privacyDeletion"
	// EventTicketCreated is the VendorType of a ticket-created workflow
	// delivery (see TicketWorkflowBody).
	EventTicketCreated = "ticket.created"
)

// Message types.
const (
	TypeMessage        = "MESSAGE"
	TypeComment        = "COMMENT"
	TypeWelcomeMessage = "WELCOME_MESSAGE"
)

// TicketWorkflowBody is the body the ticket-created workflow must send
// (Automations → Workflows → Ticket-based, trigger "Ticket is created",
// action "Send a webhook", method POST, URL Config.WebhookURL + "/tickets",
// authentication "Request signature" with the app's id, body "Customize"
// with these two properties). The driver also reads objectId / hs_object_id
// for the ticket and threadId / thread_id for the thread.
const TicketWorkflowBody = `{"hs_ticket_id": "<Ticket ID>", "hs_conversations_originating_thread_id": "<Originating thread ID>"}`

// TicketAssociation is Event.Extra of a ticket-created workflow delivery:
// the association it stored.
type TicketAssociation struct {
	TicketID string `json:"ticket_id"`
	ThreadID string `json:"thread_id"`
}

// wireEvent is one element of an app webhook's array. Ids are json.Number
// so that a string or a number both read.
type wireEvent struct {
	EventID          json.Number     `json:"eventId"`
	PortalID         json.Number     `json:"portalId"`
	AppID            json.Number     `json:"appId"`
	OccurredAt       json.Number     `json:"occurredAt"`
	SubscriptionType string          `json:"subscriptionType"`
	ObjectID         json.Number     `json:"objectId"`
	PropertyName     string          `json:"propertyName"`
	PropertyValue    json.RawMessage `json:"propertyValue"`
	MessageID        json.RawMessage `json:"messageId"`
	MessageType      string          `json:"messageType"`
}

func (c *Client) verifyWebhook(req *helpdesk.WebhookRequest) error {
	body := bytes.TrimSpace(req.Body)
	batch := len(body) > 0 && body[0] == '['
	scheme := &SchemeV3
	if !batch && strings.TrimSpace(req.Header.Get(SignatureHeaderV3)) == "" && req.Header.Get(SignatureHeader) != "" {
		// Workflow webhooks sign with v2 (v1 when the version says so).
		scheme = &SchemeV2
		if strings.EqualFold(strings.TrimSpace(req.Header.Get(SignatureVersionHeader)), "v1") {
			scheme = &SchemeV1
		}
	}
	signed := req
	if ext := c.externalURL(req.URL); ext != nil {
		cp := *req
		cp.URL = ext
		signed = &cp
	}
	_, err := c.verifier.Verify(signed, scheme)
	if err != nil && signed != req && scheme != &SchemeV1 && errorsIsMismatch(err) {
		// Tell a wrong WebhookURL apart from a forgery.
		if _, err2 := c.verifier.Verify(req, scheme); err2 == nil || !errorsIsMismatch(err2) {
			return driver.InvalidSignature(helpdesk.ErrSignatureMismatch,
				"signed for the received URL %s, not the configured WebhookURL %s: set WebhookURL to the URL HubSpot calls",
				requestURI(stripQuery(req.URL)), requestURI(stripQuery(signed.URL)))
		}
	}
	return err
}

func stripQuery(u *url.URL) *url.URL {
	if u == nil {
		return nil
	}
	cp := *u
	cp.RawQuery = ""
	return &cp
}

// externalURL is the configured URL HubSpot called for a request received
// at u: WebhookURL, with "/tickets" for the workflow route, and u's query.
func (c *Client) externalURL(u *url.URL) *url.URL {
	if c.webhookURL == nil || u == nil {
		return nil
	}
	ext := *c.webhookURL
	if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/tickets") && !strings.HasSuffix(strings.TrimRight(ext.Path, "/"), "/tickets") {
		ext.Path = strings.TrimRight(ext.Path, "/") + "/tickets"
		ext.RawPath = ""
	}
	ext.RawQuery = u.RawQuery
	return &ext
}

func errorsIsMismatch(err error) bool {
	we, ok := err.(*helpdesk.WebhookError)
	return ok && we.Kind == helpdesk.ErrSignatureMismatch
}

func (c *Client) parseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if err := req.RequireJSON(); err != nil {
		return nil, err
	}
	body := bytes.TrimSpace(req.Body)
	if len(body) == 0 {
		return nil, driver.InvalidPayload("empty body")
	}
	if body[0] == '{' {
		return c.parseWorkflow(ctx, req, body)
	}
	events, err := decodeBatch(body)
	if err != nil {
		return nil, err
	}
	raw := json.RawMessage(bytes.Clone(body))
	out := make([]helpdesk.Event, 0, len(events))
	for i := range events {
		ev, ok, err := c.mapEvent(ctx, req, &events[i], raw)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out, nil
}

// MaxBatch is the most events HubSpot puts in one delivery.
const MaxBatch = 100

// decodeBatch reads the array of events; a field of an unexpected type
// is dropped rather than failing the whole delivery.
func decodeBatch(body []byte) ([]wireEvent, error) {
	var events []wireEvent
	if err := json.Unmarshal(body, &events); err == nil {
		return events, checkBatch(len(events))
	}
	var raws []map[string]json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, driver.InvalidPayload("body is not a JSON array of HubSpot events")
	}
	events = make([]wireEvent, len(raws))
	for i, m := range raws {
		e := &events[i]
		for k, v := range m {
			switch k {
			case "eventId":
				e.EventID = numberOf(v)
			case "portalId":
				e.PortalID = numberOf(v)
			case "appId":
				e.AppID = numberOf(v)
			case "occurredAt":
				e.OccurredAt = numberOf(v)
			case "objectId":
				e.ObjectID = numberOf(v)
			case "subscriptionType":
				_ = json.Unmarshal(v, &e.SubscriptionType)
			case "propertyName":
				_ = json.Unmarshal(v, &e.PropertyName)
			case "propertyValue":
				e.PropertyValue = v
			case "messageId":
				e.MessageID = v
			case "messageType":
				_ = json.Unmarshal(v, &e.MessageType)
			}
		}
	}
	return events, checkBatch(len(events))
}

func checkBatch(n int) error {
	if n > MaxBatch {
		return driver.InvalidPayload("%d events in one delivery, more than HubSpot's %d", n, MaxBatch)
	}
	return nil
}

func numberOf(v json.RawMessage) json.Number {
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n
	}
	return ""
}

// stringOf reads a JSON string or number as a string.
func stringOf(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(numberOf(v))
}

func (c *Client) mapEvent(ctx context.Context, req *helpdesk.WebhookRequest, e *wireEvent, raw json.RawMessage) (helpdesk.Event, bool, error) {
	thread := string(e.ObjectID)
	if !numericID(thread) {
		switch e.SubscriptionType {
		case EventNewMessage, EventPropertyChange, EventCreation, EventDeletion, EventPrivacyDeletion:
			return helpdesk.Event{}, false, driver.InvalidPayload("%s event without a numeric objectId (thread id)", e.SubscriptionType)
		}
		return helpdesk.Event{}, false, nil
	}
	ev := helpdesk.Event{
		VendorType:   e.SubscriptionType,
		DeliveryID:   deliveryID(e),
		Conversation: helpdesk.Conversation{Vendor: Vendor, Account: string(e.PortalID), ID: thread},
		Raw:          raw,
	}
	if ms, err := e.OccurredAt.Int64(); err == nil && ms > 0 {
		ev.OccurredAt = time.UnixMilli(ms).UTC()
	} else if t, ok := driver.UnixMillis.Parse(req.Header.Get(TimestampHeader)); ok {
		ev.OccurredAt = t.UTC()
	} else {
		ev.OccurredAt = req.ReceivedAt
	}
	switch e.SubscriptionType {
	case EventNewMessage:
		return c.mapMessage(ctx, e, ev)
	case EventPropertyChange:
		v := stringOf(e.PropertyValue)
		switch e.PropertyName {
		case "assignedTo":
			agent := strings.TrimPrefix(v, "A-")
			ev.Type = helpdesk.EventConversationAssigned
			ev.Assignment = &helpdesk.Assignment{AgentID: agent, ToBot: agent != "" && agent == c.cfg.BotUserID}
		case "status":
			ev.Type = helpdesk.EventStatusChanged
			ev.Status = &helpdesk.StatusChange{To: statusOf(v), VendorTo: v}
		default:
			ev.Type = helpdesk.EventOther
			ev.Extra = map[string]string{"property": e.PropertyName, "value": v}
		}
	case EventCreation:
		ev.Type = helpdesk.EventConversationCreated
	case EventDeletion, EventPrivacyDeletion:
		ev.Type = helpdesk.EventOther
	default:
		// Subscriptions the bot does not map: answered 2xx, so HubSpot
		// does not retry them.
		return helpdesk.Event{}, false, nil
	}
	return ev, true, nil
}

func deliveryID(e *wireEvent) string {
	if e.EventID != "" {
		return "hubspot:" + string(e.PortalID) + ":" + string(e.EventID)
	}
	return "hubspot:" + string(e.PortalID) + ":" + e.SubscriptionType + ":" + string(e.ObjectID) + ":" + stringOf(e.MessageID) + ":" + e.PropertyName + ":" + stringOf(e.PropertyValue) + ":" + string(e.OccurredAt)
}

// statusOf maps a thread status: CLOSED is resolved (the kit's and the
// portable meaning of a bot closing a thread).
func statusOf(s string) helpdesk.Status {
	switch strings.ToUpper(s) {
	case "OPEN":
		return helpdesk.StatusOpen
	case "CLOSED":
		return helpdesk.StatusResolved
	}
	return helpdesk.ParseStatus(s)
}

// mapMessage fetches the message a newMessage event names (the event
// carries neither text nor author). A failed fetch fails the delivery
// with the transport's error, so the webhook handler answers 5xx and
// HubSpot redelivers; it is never dropped.
func (c *Client) mapMessage(ctx context.Context, e *wireEvent, ev helpdesk.Event) (helpdesk.Event, bool, error) {
	msgID := stringOf(e.MessageID)
	ev.Type = helpdesk.EventMessageCreated
	if e.MessageType == TypeWelcomeMessage {
		// HubSpot's own greeting: nothing to answer, no request spent.
		ev.Message = &helpdesk.InboundMessage{ID: msgID, Author: helpdesk.Author{Role: helpdesk.RoleSystem}, Public: true}
		return ev, true, nil
	}
	if msgID == "" {
		return helpdesk.Event{}, false, driver.InvalidPayload("%s event without a messageId", EventNewMessage)
	}
	if sm, ok := c.sent.get(msgID); ok && sm.thread == ev.Conversation.ID {
		// The bot's own message, sent by this process: its echo costs
		// no GET.
		ev.Message = &helpdesk.InboundMessage{ID: msgID, Text: sm.text, Public: !sm.internal,
			Author: helpdesk.Author{Role: helpdesk.RoleBot, ID: "A-" + c.cfg.BotUserID, Self: true}}
		return ev, true, nil
	}
	m, err := c.GetMessage(ctx, ev.Conversation.ID, msgID)
	if err != nil {
		return helpdesk.Event{}, false, fmt.Errorf("fetching message %s of thread %s: %w", msgID, ev.Conversation.ID, err)
	}
	appID := string(e.AppID)
	ev.Message = c.inbound(m, appID)
	ev.Conversation = withMessageExtras(ev.Conversation, m)
	if t, err := time.Parse(time.RFC3339Nano, m.CreatedAt); err == nil && ev.OccurredAt.IsZero() {
		ev.OccurredAt = t
	}
	return ev, true, nil
}

// inbound maps a fetched message: direction, senders and client say who
// wrote it; the bot's own OUTGOING messages (its actor, or an INTEGRATION
// client with the webhook's app id) are Self.
func (c *Client) inbound(m *Message, appID string) *helpdesk.InboundMessage {
	in := &helpdesk.InboundMessage{ID: m.ID, Text: m.Text, HTML: m.RichText, Subject: m.Subject, Public: m.Type != TypeComment}
	var sender Actor
	if len(m.Senders) > 0 {
		sender = m.Senders[0]
	}
	in.Author = helpdesk.Author{ID: sender.ActorID, Name: sender.Name}
	if sender.DeliveryIdentifier != nil {
		switch sender.DeliveryIdentifier.Type {
		case "HS_EMAIL_ADDRESS":
			in.Author.Email = sender.DeliveryIdentifier.Value
		case "HS_PHONE_NUMBER":
			in.Author.Phone = sender.DeliveryIdentifier.Value
		}
	}
	self := false
	for _, s := range m.Senders {
		if s.ActorID == "A-"+c.cfg.BotUserID {
			self = true
		}
	}
	if m.Client.ClientType == "INTEGRATION" && appID != "" && string(m.Client.IntegrationAppID) == appID && !strings.EqualFold(m.Direction, "INCOMING") {
		self = true
	}
	switch {
	case self:
		in.Author.Role, in.Author.Self = helpdesk.RoleBot, true
	case m.Type == TypeWelcomeMessage || m.Client.ClientType == "SYSTEM" || strings.HasPrefix(sender.ActorID, "S-"):
		in.Author.Role = helpdesk.RoleSystem
	case strings.EqualFold(m.Direction, "INCOMING") && m.Type != TypeComment:
		in.Author.Role = helpdesk.RoleCustomer
	case strings.HasPrefix(sender.ActorID, "B-"), strings.HasPrefix(sender.ActorID, "I-"), strings.HasPrefix(sender.ActorID, "L-"):
		in.Author.Role = helpdesk.RoleBot
	default:
		in.Author.Role = helpdesk.RoleAgent
	}
	for _, a := range m.Attachments {
		if a.URL != "" {
			in.Attachments = append(in.Attachments, helpdesk.Attachment{URL: a.URL, Name: a.Name, ContentType: a.Type})
		}
	}
	return in
}

// withMessageExtras records on conv what a reply needs: the channel,
// the channel account and the recipients (the customer's senders).
func withMessageExtras(conv helpdesk.Conversation, m *Message) helpdesk.Conversation {
	if m.ChannelID != "" {
		conv = conv.With(ExtraChannelID, m.ChannelID)
	}
	if m.ChannelAccountID != "" {
		conv = conv.With(ExtraChannelAccountID, m.ChannelAccountID)
	}
	var rs []Recipient
	if strings.EqualFold(m.Direction, "INCOMING") && m.Type != TypeComment {
		rs = recipientsFromSenders(m.Senders)
	} else {
		for _, r := range m.Recipients {
			rec := Recipient{ActorID: r.ActorID, Name: r.Name}
			if r.DeliveryIdentifier != nil {
				rec.DeliveryIdentifiers = []DeliveryIdentifier{*r.DeliveryIdentifier}
			}
			if len(rec.DeliveryIdentifiers) > 0 {
				rs = append(rs, rec)
			}
		}
	}
	if len(rs) > 0 {
		b, _ := json.Marshal(rs)
		conv = conv.With(ExtraRecipients, string(b))
	}
	return conv
}

func recipientsFromSenders(senders []Actor) []Recipient {
	var rs []Recipient
	for _, s := range senders {
		if s.DeliveryIdentifier == nil || s.DeliveryIdentifier.Value == "" {
			continue
		}
		rs = append(rs, Recipient{ActorID: s.ActorID, Name: s.Name, DeliveryIdentifiers: []DeliveryIdentifier{*s.DeliveryIdentifier}})
	}
	return rs
}

// parseWorkflow reads a ticket-created workflow delivery (one flat object),
// stores the ticket-thread association and reports it as an EventOther
// with a TicketAssociation. Objects that name no ticket and thread give no
// events (HubSpot retries 4xx answers).
func (c *Client) parseWorkflow(ctx context.Context, req *helpdesk.WebhookRequest, body []byte) ([]helpdesk.Event, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, driver.InvalidPayload("body is neither a HubSpot event array nor a workflow object")
	}
	pick := func(keys ...string) string {
		for _, k := range keys {
			if v := stringOf(m[k]); v != "" {
				return v
			}
		}
		return ""
	}
	ticket := pick("hs_ticket_id", "hs_object_id", "objectId", "ticketId", "ticket_id")
	thread := pick("hs_conversations_originating_thread_id", "threadId", "thread_id", "conversationsThreadId")
	if ticket == "" && thread == "" {
		return nil, nil
	}
	if !numericID(ticket) || !numericID(thread) {
		return nil, driver.InvalidPayload("ticket-created workflow delivery needs numeric hs_ticket_id and thread id (see TicketWorkflowBody)")
	}
	if err := c.assoc.Add(ctx, thread, ticket); err != nil {
		return nil, fmt.Errorf("storing ticket %s of thread %s: %w", ticket, thread, err)
	}
	at := req.ReceivedAt
	if t, ok := driver.UnixMillis.Parse(req.Header.Get(TimestampHeader)); ok {
		at = t
	}
	return []helpdesk.Event{{
		Type:         helpdesk.EventOther,
		VendorType:   EventTicketCreated,
		DeliveryID:   "hubspot:ticket:" + ticket + ":" + thread,
		OccurredAt:   at,
		Conversation: helpdesk.Conversation{Vendor: Vendor, ID: thread},
		Extra:        TicketAssociation{TicketID: ticket, ThreadID: thread},
		Raw:          json.RawMessage(bytes.Clone(body)),
	}}, nil
}
