package cloudchat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// Webhook headers (Chatwoot lib/webhooks/trigger.rb).
const (
	HeaderSignature = "X-Chatwoot-Signature"
	HeaderTimestamp = "X-Chatwoot-Timestamp"
	HeaderDelivery  = "X-Chatwoot-Delivery"
)

// UnsignedTokenParam is the query parameter of the webhook URL that carries
// Config.UnsignedToken for servers that do not sign deliveries.
const UnsignedTokenParam = "token"

// signaturePrefix starts every X-Chatwoot-Signature value.
const signaturePrefix = "sha256="

// signedSince is the first version where every delivery path (account
// webhooks, API inboxes and agent bots) is signed; a server known to be at
// least this version never has unsigned deliveries accepted.
var signedSince = version{4, 13, 0}

// Conversation.Extra keys set by ParseWebhook (and StartConversation).
// Hosts keep the Conversation as it came and pass it back; the driver reads
// ExtraCanReply to refuse plain replies outside the messaging window
// without spending a request.
const (
	// ExtraCanReply is "true" or "false": Chatwoot's conversation.can_reply,
	// false when the channel's reply window (WhatsApp 24 h) has closed.
	ExtraCanReply = "cloudchat.can_reply"
	// ExtraStatus is the Chatwoot status when the event was built:
	// "pending" (the bot's), "open", "resolved" or "snoozed".
	ExtraStatus = "cloudchat.status"
	// ExtraInboxID is the inbox id.
	ExtraInboxID = "cloudchat.inbox_id"
	// ExtraVendorChannel is Chatwoot's channel class, e.g.
	// "Channel::Whatsapp".
	ExtraVendorChannel = "cloudchat.vendor_channel"
	// ExtraContactID is the contact's id.
	ExtraContactID = "cloudchat.contact_id"
	// ExtraAssigneeType is "User", "AgentBot" or "" (unassigned).
	ExtraAssigneeType = "cloudchat.assignee_type"
	// ExtraAssigneeID is the assignee's id ("" when unassigned).
	ExtraAssigneeID = "cloudchat.assignee_id"
	// ExtraTeamID is the team's id ("" when none).
	ExtraTeamID = "cloudchat.team_id"
)

// Scheme returns how Chatwoot (4.12+) signs deliveries:
// X-Chatwoot-Signature is "sha256=" + hex HMAC-SHA256 of
// "<X-Chatwoot-Timestamp>.<raw body>", the timestamp in unix seconds. Test
// signers (cloudchattest.Signer) sign with its SignRequest.
func Scheme() *driver.Scheme {
	return &driver.Scheme{
		Header:          HeaderSignature,
		Prefix:          signaturePrefix,
		Hash:            sha256.New,
		Encoding:        driver.Hex,
		TimestampHeader: HeaderTimestamp,
		TimeFormat:      driver.UnixSeconds,
		Message: func(req *helpdesk.WebhookRequest, ts string) [][]byte {
			return [][]byte{[]byte(ts), {'.'}, req.Body}
		},
	}
}

var scheme = Scheme()

// VerifyWebhook authenticates a delivery on its raw body (the portable
// Helpdesk calls it before ParseWebhook). In order: the signature and
// timestamp headers must be present (helpdesk.ErrSignatureMissing), the
// signature must carry the "sha256=" prefix and match one of
// Config.WebhookSecrets (ErrSignatureMismatch), and only then is the signed
// time compared with the request's ReceivedAt, within Options.Tolerance
// either way (ErrSignatureStale, ErrSignatureFuture).
//
// A delivery without a signature is accepted only when Config.UnsignedToken
// is set, the server is not known to sign every delivery (4.13+), and the
// URL's ?token= matches the token (constant-time); otherwise it is refused
// with an error matching helpdesk.ErrInvalidSignature.
func (d clientDriver) VerifyWebhook(req *helpdesk.WebhookRequest) error {
	c := d.c
	sig := strings.TrimSpace(req.Header.Get(HeaderSignature))
	if sig == "" && c.unsigned != nil {
		return c.verifyUnsigned(req)
	}
	if sig != "" && c.verifier.HasSecrets() && strings.TrimSpace(req.Header.Get(HeaderTimestamp)) != "" &&
		!(len(sig) >= len(signaturePrefix) && strings.EqualFold(sig[:len(signaturePrefix)], signaturePrefix)) {
		// Chatwoot always writes the prefix; a bare digest is not its.
		return driver.InvalidSignature(helpdesk.ErrSignatureMismatch, "%s does not start with %s", HeaderSignature, signaturePrefix)
	}
	_, err := c.verifier.Verify(req, scheme)
	return err
}

func (c *Client) verifyUnsigned(req *helpdesk.WebhookRequest) error {
	if v, ok := c.knownVersion(); ok && !v.less(signedSince) {
		return driver.InvalidSignature(helpdesk.ErrSignatureMissing, "unsigned delivery from a server (%s) that signs every delivery", v)
	}
	var got string
	if req.URL != nil {
		got = req.URL.Query().Get(UnsignedTokenParam)
	}
	return c.unsigned.VerifyToken(got, "?"+UnsignedTokenParam+"= URL token of an unsigned delivery")
}

// ParseWebhook decodes a verified delivery (account webhooks and agent-bot
// deliveries have the same shapes); the portable Helpdesk
// (Client.ParseWebhook) calls VerifyWebhook first.
//
// Event.DeliveryID is "message_created:<message id>" for new messages (a
// message is created once, and Chatwoot may deliver it twice under two
// delivery ids, or once per webhook path); for other events it is
// "<event>:<conversation id>:<hash of the signed body>" (with the event
// type appended when a delivery yields several events), except status
// changes: "conversation_status:<conversation id>:<status>:<updated_at>",
// one key for the conversation_status_changed (or conversation_opened /
// conversation_resolved) and the conversation_updated Chatwoot sends for
// one change, so the host sees it once. The X-Chatwoot-Delivery header is
// not used: the signature does not cover it, so a captured delivery
// replayed inside the tolerance with a new one would be handled again.
// Conversation events happened at updated_at (timestamp is the last
// activity). A field the driver does not need never refuses a delivery; one
// it reads (content, private, sender type, status, assignee type, account
// id) of another JSON type, or a body that is not JSON (a raw NUL byte
// included), is helpdesk.ErrInvalidPayload.
// Conversation.Account is the payload's account id, so a delivery from
// another account (a system-wide bot) is never acted on in this one.
// Event.Raw is the body with every "pubsub_token" value (the contact's
// widget websocket token) replaced by [REDACTED], so it may be logged.
// Event.Extra holds *MessageUpdate for message_updated, *ConversationUpdate
// for conversation_updated, and *VendorEvent for every other event. An
// event without a time of its own carries the receive time.
func (d clientDriver) ParseWebhook(_ context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if err := req.RequireJSON(); err != nil {
		return nil, err
	}
	at := req.ReceivedAt
	if at.IsZero() {
		at = time.Now()
	}
	return d.c.parse(req.Body, signedKey(req.Body), at.UTC())
}

// Vendor-side payload types. Chatwoot mixes value types, so the flex types
// below accept several JSON shapes.

type payload struct {
	Event        string      `json:"event"`
	ID           flexString  `json:"id"`
	Content      *string     `json:"content"`
	ContentType  string      `json:"content_type"`
	MessageType  flexMsgType `json:"message_type"`
	Private      bool        `json:"private"`
	CreatedAt    flexTime    `json:"created_at"`
	UpdatedAt    flexTime    `json:"updated_at"`
	Timestamp    flexTime    `json:"timestamp"`
	Account      *idName     `json:"account"`
	Inbox        *idName     `json:"inbox"`
	Sender       *person     `json:"sender"`
	User         *person     `json:"user"`
	Contact      *person     `json:"contact"`
	Conversation *nested     `json:"conversation"`
	// webwidget_triggered carries the contact's latest conversation here.
	CurrentConversation *nested `json:"current_conversation"`
	// contact_* events carry the contact at the top level.
	Name              string          `json:"name"`
	Email             string          `json:"email"`
	PhoneNumber       string          `json:"phone_number"`
	ContentAttributes *contentAttrs   `json:"content_attributes"`
	Attachments       []attachment    `json:"attachments"`
	ChangedAttributes json.RawMessage `json:"changed_attributes"`
	// Conversation events carry the conversation at the top level.
	conversation
}

type idName struct {
	ID   flexString `json:"id"`
	Name string     `json:"name"`
}

type person struct {
	ID          flexString `json:"id"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	PhoneNumber string     `json:"phone_number"`
	Identifier  string     `json:"identifier"`
	Type        string     `json:"type"`
}

type conversation struct {
	InboxID      flexString    `json:"inbox_id"`
	Status       string        `json:"status"`
	Channel      string        `json:"channel"`
	CanReply     *bool         `json:"can_reply"`
	Meta         *convMeta     `json:"meta"`
	ContactInbox *contactInbox `json:"contact_inbox"`
}

// nested is the conversation object inside a message payload: same fields,
// its own id.
type nested struct {
	ID flexString `json:"id"`
	conversation
}

type convMeta struct {
	Sender       *person `json:"sender"`
	Assignee     *person `json:"assignee"`
	AssigneeType string  `json:"assignee_type"`
	Team         *idName `json:"team"`
}

type contactInbox struct {
	SourceID string `json:"source_id"`
	// pubsub_token is deliberately not decoded.
}

type contentAttrs struct {
	ExternalEcho  bool            `json:"external_echo"`
	ExternalError json.RawMessage `json:"external_error"`
}

type attachment struct {
	ID          flexString `json:"id"`
	FileType    string     `json:"file_type"`
	DataURL     string     `json:"data_url"`
	ExternalURL string     `json:"external_url"`
	ContentType string     `json:"content_type"`
	FileSize    int64      `json:"file_size"`
	// FallbackTitle names location and fallback attachments.
	FallbackTitle string `json:"fallback_title"`
}

// flexString reads a JSON string or number (ids) as a string; null is "".
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] == 'n' {
		*f = ""
		return nil
	}
	if b[0] == '"' {
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if b[0] == '-' || (b[0] >= '0' && b[0] <= '9') {
		*f = flexString(b)
		return nil
	}
	// objects, arrays and booleans are not ids: ignore rather than fail.
	*f = ""
	return nil
}

// unquote decodes a JSON string token, without the decoder's rescan when
// it holds no escapes (ids and timestamps never do).
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// flexMsgType reads message_type as a string ("incoming") or an integer (0
// incoming, 1 outgoing, 2 activity, 3 template).
type flexMsgType string

func (f *flexMsgType) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch s {
	case "0":
		*f = "incoming"
	case "1":
		*f = "outgoing"
	case "2":
		*f = "activity"
	case "3":
		*f = "template"
	default:
		*f = flexMsgType(s)
	}
	return nil
}

// flexTime reads ISO-8601 strings, unix seconds (int or float, 0 = unset)
// and null.
type flexTime time.Time

func (f *flexTime) UnmarshalJSON(b []byte) error {
	*f = flexTime{}
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	if b[0] == '"' {
		s, err := unquote(b)
		if err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			*f = flexTime(t)
			return nil
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			*f = unixFloat(n)
		}
		return nil // an unreadable time is not worth refusing the event
	}
	n, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return nil
	}
	*f = unixFloat(n)
	return nil
}

func unixFloat(n float64) flexTime {
	if n <= 0 || math.IsNaN(n) || n > 1e11 {
		return flexTime{}
	}
	sec, frac := math.Modf(n)
	return flexTime(time.Unix(int64(sec), int64(frac*1e9)).UTC())
}

func (f flexTime) time() time.Time { return time.Time(f) }

// MessageUpdate is Event.Extra for message_updated: a message changed,
// typically a delivery failure reported by the channel.
type MessageUpdate struct {
	MessageID string
	// ExternalError is content_attributes.external_error (the provider's
	// refusal, e.g. a WhatsApp error), "" when none.
	ExternalError string
}

// ConversationUpdate is Event.Extra for conversation_updated: the names of
// the attributes Chatwoot reports as changed (changed_attributes keys).
type ConversationUpdate struct {
	Changed []string
}

// VendorEvent is Event.Extra for events without a portable meaning
// (contact_created, contact_updated, conversation_typing_on/off,
// webwidget_triggered, inbox_created/updated, and unknown ones).
type VendorEvent struct {
	Name string
	// Contact is set for contact_* and webwidget_triggered.
	Contact *helpdesk.Author
	// Private is set for conversation_typing_* (typing a private note).
	Private bool
}

func (c *Client) parse(body []byte, key string, received time.Time) ([]helpdesk.Event, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, driver.InvalidPayload("body is not a JSON object")
	}
	var p payload
	if err := driver.DecodeTolerant(trimmed, &p, payloadNeeded); err != nil {
		return nil, driver.InvalidPayload("body is not a Chatwoot webhook payload: %s", err)
	}
	if p.Event == "" {
		return nil, driver.InvalidPayload("no event name")
	}
	raw := json.RawMessage(redactPubsub(body))
	base := helpdesk.Event{VendorType: p.Event, Raw: raw}
	account := c.account
	if p.Account != nil && p.Account.ID != "" {
		account = string(p.Account.ID)
	}

	switch p.Event {
	case "message_created", "message_updated":
		if p.ID == "" {
			return nil, driver.InvalidPayload("%s without a message id", p.Event)
		}
		if p.Conversation == nil || p.Conversation.ID == "" {
			return nil, driver.InvalidPayload("%s without a conversation", p.Event)
		}
		base.Conversation = c.conversation(account, p.Conversation.ID, &p.Conversation.conversation, p.Inbox)
		base.OccurredAt = firstTime(p.CreatedAt, p.UpdatedAt)
		if base.OccurredAt.IsZero() {
			base.OccurredAt = received
		}
		base.Status = statusOf(p.Conversation.Status)
		base.Message = c.message(&p)
		// A message is created once: its id is a better dedupe key than
		// the delivery id, since Chatwoot sometimes emits the same
		// message_created twice (separate jobs, separate delivery ids) and
		// an account webhook plus an agent bot deliver it once each.
		// Updates of one message are distinct events: they keep the
		// delivery id.
		id := p.Event + ":" + string(p.ID)
		if p.Event == "message_updated" {
			id += ":" + key
		}
		base.DeliveryID = id
		if p.Event == "message_created" {
			base.Type = helpdesk.EventMessageCreated
		} else {
			base.Type = helpdesk.EventOther
			mu := &MessageUpdate{MessageID: string(p.ID)}
			if p.ContentAttributes != nil {
				mu.ExternalError = rawText(p.ContentAttributes.ExternalError)
			}
			base.Extra = mu
		}
		return []helpdesk.Event{base}, nil

	case "conversation_created", "conversation_updated", "conversation_status_changed",
		"conversation_opened", "conversation_resolved":
		if p.ID == "" {
			return nil, driver.InvalidPayload("%s without a conversation id", p.Event)
		}
		base.Conversation = c.conversation(account, p.ID, &p.conversation, p.Inbox)
		// updated_at is when the change was saved; timestamp is the
		// conversation's last activity, which a status change or an
		// assignment does not move.
		base.OccurredAt = firstTime(p.UpdatedAt, p.Timestamp, p.CreatedAt)
		if base.OccurredAt.IsZero() {
			base.OccurredAt = received
		}
		st := statusOf(p.Status)
		base.DeliveryID = p.Event + ":" + string(p.ID) + ":" + key
		switch p.Event {
		case "conversation_created":
			base.Type = helpdesk.EventConversationCreated
			base.Status = st
			return []helpdesk.Event{base}, nil
		case "conversation_status_changed", "conversation_opened", "conversation_resolved":
			base.Type = helpdesk.EventStatusChanged
			base.DeliveryID = statusChangeKey(&p, key)
			if st == nil {
				st = &helpdesk.StatusChange{}
			}
			if from := changedStatusFrom(p.ChangedAttributes); from != "" {
				st.VendorFrom, st.From = from, normStatus(from)
			}
			base.Status = st
			return []helpdesk.Event{base}, nil
		}
		// conversation_updated: one event per portable change.
		changed := changedKeys(p.ChangedAttributes)
		base.Status = st
		var out []helpdesk.Event
		if hasAny(changed, "assignee_id", "team_id", "assignee_agent_bot_id") {
			e := base
			e.Type = helpdesk.EventConversationAssigned
			e.Assignment = c.assignment(p.Meta)
			out = append(out, e)
		}
		if hasAny(changed, "status") {
			e := base
			e.Type = helpdesk.EventStatusChanged
			e.DeliveryID = statusChangeKey(&p, key)
			if st != nil {
				s := *st
				if from := changedStatusFrom(p.ChangedAttributes); from != "" {
					s.VendorFrom, s.From = from, normStatus(from)
				}
				e.Status = &s
			}
			out = append(out, e)
		}
		if len(out) == 0 {
			e := base
			e.Type = helpdesk.EventOther
			e.Extra = &ConversationUpdate{Changed: changed}
			out = append(out, e)
		}
		if len(out) > 1 {
			for i := range out {
				if out[i].Type != helpdesk.EventStatusChanged {
					out[i].DeliveryID += ":" + string(out[i].Type)
				}
			}
		}
		for i := range out {
			if out[i].Type != helpdesk.EventOther {
				out[i].Extra = &ConversationUpdate{Changed: changed}
			}
		}
		return out, nil
	}

	// Everything else is carried as a vendor event.
	base.Type = helpdesk.EventOther
	ve := &VendorEvent{Name: p.Event}
	switch {
	case p.Contact != nil:
		ve.Contact = contactAuthor(p.Contact)
	case strings.HasPrefix(p.Event, "contact_"):
		ve.Contact = contactAuthor(&person{ID: p.ID, Name: p.Name, Email: p.Email, PhoneNumber: p.PhoneNumber})
	}
	if strings.HasPrefix(p.Event, "conversation_typing") {
		ve.Private = bytes.Contains(body, []byte(`"is_private":true`))
	}
	base.Extra = ve
	switch cv := p.Conversation; {
	case cv != nil && cv.ID != "":
		base.Conversation = c.conversation(account, cv.ID, &cv.conversation, p.Inbox)
	case p.CurrentConversation != nil && p.CurrentConversation.ID != "":
		// webwidget_triggered: the contact inbox's current conversation.
		cv = p.CurrentConversation
		base.Conversation = c.conversation(account, cv.ID, &cv.conversation, p.Inbox)
	default:
		base.Conversation = helpdesk.Conversation{Vendor: Vendor, Account: account}
	}
	base.OccurredAt = firstTime(p.UpdatedAt, p.Timestamp, p.CreatedAt)
	if base.OccurredAt.IsZero() {
		base.OccurredAt = received
	}
	base.DeliveryID = p.Event + ":" + key
	return []helpdesk.Event{base}, nil
}

func (c *Client) conversation(account string, id flexString, cv *conversation, inbox *idName) helpdesk.Conversation {
	conv := helpdesk.Conversation{Vendor: Vendor, Account: account, ID: string(id)}
	var source string
	if cv.ContactInbox != nil {
		source = cv.ContactInbox.SourceID
	}
	conv.Channel = channelOf(cv.Channel, source)
	extra := make(map[string]string, 8)
	if cv.CanReply != nil {
		extra[ExtraCanReply] = strconv.FormatBool(*cv.CanReply)
	}
	if cv.Status != "" {
		extra[ExtraStatus] = cv.Status
	}
	inboxID := string(cv.InboxID)
	if inboxID == "" && inbox != nil {
		inboxID = string(inbox.ID)
	}
	if inboxID != "" {
		extra[ExtraInboxID] = inboxID
	}
	if cv.Channel != "" {
		extra[ExtraVendorChannel] = cv.Channel
	}
	if m := cv.Meta; m != nil {
		if m.Sender != nil && m.Sender.ID != "" {
			extra[ExtraContactID] = string(m.Sender.ID)
		}
		if m.Assignee != nil && m.Assignee.ID != "" {
			extra[ExtraAssigneeID] = string(m.Assignee.ID)
			at := m.AssigneeType
			if at == "" {
				at = "User"
			}
			extra[ExtraAssigneeType] = at
		}
		if m.Team != nil && m.Team.ID != "" {
			extra[ExtraTeamID] = string(m.Team.ID)
		}
	}
	if len(extra) > 0 {
		conv.Extra = extra
	}
	return conv
}

func (c *Client) message(p *payload) *helpdesk.InboundMessage {
	m := &helpdesk.InboundMessage{ID: string(p.ID), Public: !p.Private}
	if p.Content != nil {
		m.Text = *p.Content
	}
	switch p.MessageType {
	case "incoming":
		if p.Sender != nil {
			m.Author = *contactAuthor(p.Sender)
		} else {
			m.Author = helpdesk.Author{Role: helpdesk.RoleCustomer}
		}
	case "template", "activity":
		m.Author = helpdesk.Author{Role: helpdesk.RoleSystem}
	default: // outgoing (and unknown types, which are never the customer)
		m.Author = c.staffAuthor(p)
	}
	for _, a := range p.Attachments {
		u := a.DataURL
		if u == "" {
			u = a.ExternalURL
		}
		m.Attachments = append(m.Attachments, helpdesk.Attachment{URL: u, ContentType: a.ContentType, Size: a.FileSize, Name: attachmentName(&a, u)})
	}
	return m
}

// attachmentName is the attachment's file name. Chatwoot's attachment
// data (Attachment#push_event_data) has no name field: the file name is
// the last segment of data_url (an Active Storage URL ending in the blob's
// file name); location and fallback attachments have fallback_title.
// file_type ("image", "file", ...) is a kind, never a name.
func attachmentName(a *attachment, u string) string {
	if t := strings.TrimSpace(a.FallbackTitle); t != "" {
		return t
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Path == "" || strings.HasSuffix(pu.Path, "/") {
		return ""
	}
	return path.Base(pu.Path)
}

// statusChangeKey is the delivery id of a status change. Chatwoot reports
// one change twice, as conversation_status_changed (and, to agent bots,
// conversation_opened/resolved) and as conversation_updated with status
// among the changed attributes, both built from the same saved
// conversation: keying on the conversation, its new status and its
// updated_at (all in the signed body) makes them one delivery, so the host
// acts once. Without updated_at the key falls back to the body's hash
// (timestamp, the last activity, would merge two changes made between two
// messages).
func statusChangeKey(p *payload, key string) string {
	t := p.UpdatedAt.time()
	if t.IsZero() {
		return "conversation_status:" + string(p.ID) + ":" + key
	}
	return "conversation_status:" + string(p.ID) + ":" + p.Status + ":" + strconv.FormatInt(t.UnixNano(), 10)
}

// payloadNeeded are the fields that decide whether and how a message is
// seen (see driver.DecodeTolerant): one of them with another JSON type refuses
// the delivery; any other field that does not decode is left empty, so a
// field the driver does not need never hides a customer's message. Ids and
// message_type accept strings and numbers and never fail.
var payloadNeeded = []string{"event", "content", "private?", "sender.type", "conversation.status", "status",
	"conversation.meta.assignee_type", "meta.assignee_type", "account.id#",
	"attachments.*.data_url", "attachments.*.external_url"}

// staffAuthor classifies an outgoing message's sender: contacts have no
// "type"; users have "user", bots "agent_bot", Captain
// "captain_assistant"; a null sender is a system message or (with
// external_echo) a reply sent from the WhatsApp phone app by a human.
func (c *Client) staffAuthor(p *payload) helpdesk.Author {
	s := p.Sender
	if s == nil {
		if p.ContentAttributes != nil && p.ContentAttributes.ExternalEcho {
			return helpdesk.Author{Role: helpdesk.RoleAgent}
		}
		return helpdesk.Author{Role: helpdesk.RoleSystem}
	}
	a := helpdesk.Author{ID: string(s.ID), Name: s.Name, Email: s.Email}
	bot := strconv.FormatInt(c.cfg.BotID, 10)
	switch strings.ToLower(s.Type) {
	case "agent_bot", "agentbot":
		a.Role = helpdesk.RoleBot
		a.Self = c.cfg.tokenKind() == TokenAgentBot && a.ID == bot
	case "captain_assistant":
		a.Role = helpdesk.RoleBot
	case "user":
		a.Role = helpdesk.RoleAgent
		if c.cfg.tokenKind() == TokenUser && a.ID == bot {
			a.Role, a.Self = helpdesk.RoleBot, true
		}
	case "":
		// An outgoing message from a contact-shaped sender cannot be
		// the customer's; treat it as the helpdesk's.
		a.Role = helpdesk.RoleSystem
	default:
		a.Role = helpdesk.RoleAgent
	}
	return a
}

func contactAuthor(s *person) *helpdesk.Author {
	return &helpdesk.Author{Role: helpdesk.RoleCustomer, ID: string(s.ID), Name: s.Name, Email: s.Email, Phone: s.PhoneNumber}
}

func (c *Client) assignment(m *convMeta) *helpdesk.Assignment {
	a := &helpdesk.Assignment{}
	if m == nil {
		return a
	}
	if m.Team != nil {
		a.GroupID = string(m.Team.ID)
	}
	if m.Assignee != nil {
		switch m.AssigneeType {
		case "AgentBot":
			a.ToBot = c.cfg.tokenKind() == TokenAgentBot && string(m.Assignee.ID) == strconv.FormatInt(c.cfg.BotID, 10)
		default:
			a.AgentID = string(m.Assignee.ID)
			a.ToBot = c.cfg.tokenKind() == TokenUser && a.AgentID == strconv.FormatInt(c.cfg.BotID, 10)
		}
	}
	return a
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

// normStatus maps Chatwoot's statuses (open, pending, resolved, snoozed).
func normStatus(s string) helpdesk.Status { return helpdesk.ParseStatus(s) }

func statusOf(s string) *helpdesk.StatusChange {
	if s == "" {
		return nil
	}
	return &helpdesk.StatusChange{To: normStatus(s), VendorTo: s}
}

func firstTime(ts ...flexTime) time.Time {
	for _, t := range ts {
		if !t.time().IsZero() {
			return t.time()
		}
	}
	return time.Time{}
}

// changedKeys returns the attribute names of changed_attributes
// ([{"attr":{"previous_value":…,"current_value":…}}, …]); null or an
// unexpected shape gives none.
func changedKeys(raw json.RawMessage) []string {
	if len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var keys []string
	for _, m := range list {
		for k := range m {
			keys = append(keys, k)
		}
	}
	return keys
}

func changedStatusFrom(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '[' || !bytes.Contains(raw, []byte(`"status"`)) {
		return ""
	}
	var list []map[string]struct {
		Previous json.RawMessage `json:"previous_value"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return ""
	}
	for _, m := range list {
		if v, ok := m["status"]; ok {
			return rawText(v.Previous)
		}
	}
	return ""
}

func hasAny(list []string, names ...string) bool {
	for _, l := range list {
		for _, n := range names {
			if l == n {
				return true
			}
		}
	}
	return false
}

// rawText turns a JSON value into text: strings unquoted, null empty, other
// values as JSON.
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

var pubsubKey = []byte(`"pubsub_token"`)

// redactPubsub returns body with the string value of every "pubsub_token"
// key replaced by "[REDACTED]" (body itself when there is none).
func redactPubsub(body []byte) []byte {
	i := bytes.Index(body, pubsubKey)
	if i < 0 {
		return body
	}
	out := make([]byte, 0, len(body))
	for i >= 0 {
		j := i + len(pubsubKey)
		// skip whitespace and the colon
		k := j
		for k < len(body) && (body[k] == ' ' || body[k] == '\t' || body[k] == '\n' || body[k] == '\r' || body[k] == ':') {
			k++
		}
		if k >= len(body) || body[k] != '"' {
			out = append(out, body[:j]...)
			body = body[j:]
			i = bytes.Index(body, pubsubKey)
			continue
		}
		// find the closing quote, honouring escapes
		e := k + 1
		for e < len(body) && body[e] != '"' {
			if body[e] == '\\' {
				e++
			}
			e++
		}
		if e >= len(body) {
			out = append(out, body[:k]...)
			out = append(out, `"[REDACTED]"`...)
			return out
		}
		out = append(out, body[:k]...)
		out = append(out, `"[REDACTED]"`...)
		body = body[e+1:]
		i = bytes.Index(body, pubsubKey)
	}
	return append(out, body...)
}

// BotShouldAnswer reports whether e is a message the bot should answer: a
// public customer message (not the bot's own echo, a private note or a
// template/activity line) in a conversation that is still the bot's, i.e.
// pending and not assigned to a human. Chatwoot keeps delivering messages
// to the bot after it hands over; answering those would talk over the agent.
func BotShouldAnswer(e helpdesk.Event) bool {
	if !e.IsCustomerMessage() {
		return false
	}
	if e.Conversation.Get(ExtraStatus) != "pending" {
		return false
	}
	return e.Conversation.Get(ExtraAssigneeType) != "User"
}

// signedKey identifies a delivery's body for dedupe: the signature covers
// the body, and Chatwoot's job retries resend it unchanged.
func signedKey(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:12])
}
