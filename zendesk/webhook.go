package zendesk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// Webhook headers.
const (
	HeaderSignature          = "X-Zendesk-Webhook-Signature"
	HeaderSignatureTimestamp = "X-Zendesk-Webhook-Signature-Timestamp"
	HeaderInvocationID       = "X-Zendesk-Webhook-Invocation-Id"
	HeaderWebhookID          = "X-Zendesk-Webhook-Id"
	HeaderAccountID          = "X-Zendesk-Account-Id"
	// HeaderSunshineAPIKey carries the Sunshine webhook's shared secret.
	HeaderSunshineAPIKey = "X-Api-Key"
)

// SeedTriggerBody is the e-mail trigger action body existing bot
// integrations commonly paste into their webhook trigger. It works, but it has no
// comment author (sender is the requester), so the bot recognises its own
// comments only by the ids it remembers posting; prefer
// RecommendedTriggerBody.
const SeedTriggerBody = `{
  "ticketId": "{{ticket.id}}",
  "assigneeId": "{{ticket.assignee.id}}",
  "title": "{{ticket.title}}",
  "text": "{{ticket.latest_comment}}",
  "commentId": "{{ticket.latest_comment.id}}",
  "isPublic": "{{ticket.latest_comment.is_public}}",
  "type": "{{ticket.via}}",
  "sender": {
    "id": "{{ticket.requester.id}}",
    "name": "{{ticket.requester.name}}",
    "email": "{{ticket.requester.email}}",
    "role": "End-user"
  },
  "attachments": [
    {% for attachment in ticket.latest_comment.attachments %}
    { "filename": "{{attachment.filename}}", "url": "{{attachment.url}}"} {% unless forloop.last %},{% endunless %}
    {% endfor %}
  ],
  "comments": "{{ticket.comments}}"
}`

// RecommendedTriggerBody is the trigger action body to paste into the
// webhook trigger (Admin Center > Objects and rules > Triggers, action
// "Notify by > Active webhook", JSON). Compared with SeedTriggerBody it adds
// the latest comment's author (so the bot's own comments and agents'
// comments are told from the customer's), the group, the status and the
// update time, and drops {{ticket.comments}} (the whole history on every
// delivery). Placeholders are quoted: every value arrives as a string, ""
// when empty. Note the id placeholder is ticket.latest_comment.id
// (ticket.latest_comment_id does not exist and renders "").
const RecommendedTriggerBody = `{
  "ticketId": "{{ticket.id}}",
  "assigneeId": "{{ticket.assignee.id}}",
  "groupId": "{{ticket.group.id}}",
  "status": "{{ticket.status}}",
  "updatedAt": "{{ticket.updated_at_with_timestamp}}",
  "title": "{{ticket.title}}",
  "text": "{{ticket.latest_comment}}",
  "commentId": "{{ticket.latest_comment.id}}",
  "isPublic": "{{ticket.latest_comment.is_public}}",
  "type": "{{ticket.via}}",
  "author": {
    "id": "{{ticket.latest_comment.author.id}}",
    "name": "{{ticket.latest_comment.author.name}}",
    "email": "{{ticket.latest_comment.author.email}}"
  },
  "sender": {
    "id": "{{ticket.requester.id}}",
    "name": "{{ticket.requester.name}}",
    "email": "{{ticket.requester.email}}",
    "role": "End-user"
  },
  "attachments": [
    {% for attachment in ticket.latest_comment.attachments %}
    { "filename": "{{attachment.filename}}", "url": "{{attachment.url}}"} {% unless forloop.last %},{% endunless %}
    {% endfor %}
  ]
}`

// TriggerUser is a user block of a trigger body.
type TriggerUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role,omitempty"`
}

// TriggerAttachment is one entry of the attachments loop.
type TriggerAttachment struct {
	Filename string `json:"filename"`
	URL      string `json:"url"`
}

// TriggerPayload is a trigger webhook body (SeedTriggerBody or
// RecommendedTriggerBody). Every value is a string as placeholders render
// ("" when a placeholder is empty), with display labels rather than API
// values ("Open", "Web Form"). It is the Event.Extra of trigger events.
type TriggerPayload struct {
	TicketID    string              `json:"ticketId"`
	AssigneeID  string              `json:"assigneeId"`
	GroupID     string              `json:"groupId,omitempty"`
	Status      string              `json:"status,omitempty"`
	UpdatedAt   string              `json:"updatedAt,omitempty"`
	Title       string              `json:"title"`
	Text        string              `json:"text"`
	CommentID   string              `json:"commentId"`
	IsPublic    string              `json:"isPublic"`
	Type        string              `json:"type"`
	Author      TriggerUser         `json:"author"`
	Sender      TriggerUser         `json:"sender"`
	Attachments []TriggerAttachment `json:"attachments"`
	Comments    string              `json:"comments,omitempty"`
}

// triggerScheme is how Zendesk signs trigger webhooks: base64
// HMAC-SHA256 under the signing secret over the timestamp header's value
// followed by the raw body, the timestamp in RFC 3339.
var triggerScheme = driver.Scheme{
	Header:          HeaderSignature,
	Hash:            sha256.New,
	Encoding:        driver.Base64,
	TimestampHeader: HeaderSignatureTimestamp,
	TimeFormat:      driver.RFC3339,
	Message: func(req *helpdesk.WebhookRequest, ts string) [][]byte {
		return [][]byte{[]byte(ts), req.Body}
	},
}

// TriggerScheme returns how Zendesk signs trigger webhooks, for signers in
// tests (zendesktest builds on it) and hosts that verify elsewhere.
func TriggerScheme() *driver.Scheme {
	s := triggerScheme
	return &s
}

// delivery says which kind of webhook a request is, by its headers.
type delivery int

const (
	deliveryUnknown delivery = iota
	deliveryTrigger
	deliverySunshine
)

func deliveryOf(req *helpdesk.WebhookRequest) delivery {
	switch {
	case req.Header.Get(HeaderSignature) != "" || req.Header.Get(HeaderSignatureTimestamp) != "":
		return deliveryTrigger
	case req.Header.Get(HeaderSunshineAPIKey) != "":
		return deliverySunshine
	}
	return deliveryUnknown
}

// VerifyWebhook implements driver.Driver. Trigger webhooks (signed with
// X-Zendesk-Webhook-Signature) are checked by VerifyTrigger, Sunshine
// deliveries by their X-API-Key; a delivery with neither header is refused
// with helpdesk.ErrSignatureMissing.
func (d clientDriver) VerifyWebhook(req *helpdesk.WebhookRequest) error {
	switch deliveryOf(req) {
	case deliveryTrigger:
		_, err := d.c.VerifyTrigger(req)
		return err
	case deliverySunshine:
		return d.c.verifySunshine(req)
	}
	return driver.InvalidSignature(helpdesk.ErrSignatureMissing, "neither %s nor %s header present", HeaderSignature, HeaderSunshineAPIKey)
}

// ParseWebhook implements driver.Driver, on a verified delivery: trigger
// webhooks give one event (see ParseTrigger), event-subscription webhooks
// (signed alike, told apart by their zen:event-type body; see events.go)
// one event, Sunshine deliveries one per event they carry (see
// ParseSunshine). A body with a raw NUL byte is refused.
func (d clientDriver) ParseWebhook(_ context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	switch deliveryOf(req) {
	case deliveryTrigger:
		at, _ := triggerScheme.TimeFormat.Parse(req.Header.Get(HeaderSignatureTimestamp))
		return d.c.parseTrigger(req, at)
	case deliverySunshine:
		return d.c.parseSunshine(req)
	}
	return nil, driver.InvalidSignature(helpdesk.ErrSignatureMissing, "neither %s nor %s header present", HeaderSignature, HeaderSunshineAPIKey)
}

// VerifyTrigger checks a trigger webhook's signature with the driver's
// verifier: base64 HMAC-SHA256(secret, timestamp header + raw body)
// against every configured secret, then the timestamp within
// Options.Tolerance of req.ReceivedAt. It returns the signed time.
func (c *Client) VerifyTrigger(req *helpdesk.WebhookRequest) (time.Time, error) {
	return c.trigger.Verify(req, &triggerScheme)
}

// ParseTrigger verifies and parses a trigger (Admin Center webhook)
// delivery into at most one event: a message event for the ticket's latest
// comment, or EventOther when the body reports no comment. The bot's own
// comments (author = Config.BotUserID, or a comment id it posted) are
// marked Author.Self with RoleBot, internal notes Public=false: the host
// answers only Event.IsCustomerMessage. The delivery id comes from the
// signed body only: "ticket:<id>:comment:<comment id>", else the ticket's
// update time, else a hash of the body (the unsigned invocation id header
// is never used: a replay with a new one would be answered again; see
// triggerDeliveryID). ParseWebhook calls
// it for trigger deliveries; errors are not wrapped in a
// *helpdesk.OpError.
func (c *Client) ParseTrigger(_ context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if req == nil {
		return nil, driver.InvalidPayload("no request")
	}
	at, err := c.VerifyTrigger(req)
	if err != nil {
		return nil, err
	}
	return c.parseTrigger(req, at)
}

func (c *Client) parseTrigger(req *helpdesk.WebhookRequest, at time.Time) ([]helpdesk.Event, error) {
	if err := requireJSON(req); err != nil {
		return nil, err
	}
	if err := refuseNUL(req.Body); err != nil {
		return nil, err
	}
	// Event-subscription webhooks are signed like trigger webhooks; their
	// body says which kind it is (see events.go).
	if events, ok, err := c.parseEventWebhook(req, at); ok {
		return events, err
	}
	var p TriggerPayload
	if err := decodeTrigger(req.Body, &p); err != nil {
		return nil, err
	}
	ev, err := c.triggerEvent(req, &p, at)
	if err != nil {
		return nil, err
	}
	return []helpdesk.Event{ev}, nil
}

// requireJSON is WebhookRequest.RequireJSON without its media-type
// parsing for the usual exact value.
func requireJSON(req *helpdesk.WebhookRequest) error {
	if ct := req.Header.Get("Content-Type"); ct == "application/json" || ct == "application/json; charset=utf-8" {
		return nil
	}
	return req.RequireJSON()
}

// parseISOTime parses an RFC 3339 time; other renderings of
// {{ticket.updated_at_with_timestamp}} (e.g. "July 1, 2026 10:00") are
// skipped without the cost of a parse error.
func parseISOTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 20 || s[4] != '-' || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// decodeTrigger decodes a trigger body, on a fast path for the usual shape
// (same result as json.Unmarshal, see fastDecodeTrigger). Placeholder output is not always
// JSON-escaped: raw line breaks and tabs inside strings (invalid JSON) are
// escaped and the body decoded again before it is refused.
func decodeTrigger(body []byte, p *TriggerPayload) error {
	if len(body) == 0 {
		return driver.InvalidPayload("empty body")
	}
	if fastDecodeTrigger(body, p) {
		return nil
	}
	*p = TriggerPayload{}
	err := driver.DecodeTolerant(body, p, triggerNeeded)
	if err == nil {
		return nil
	}
	if fixed, ok := escapeControlInStrings(body); ok {
		*p = TriggerPayload{}
		if driver.DecodeTolerant(fixed, p, triggerNeeded) == nil {
			return nil
		}
	}
	return driver.InvalidPayload("trigger body is not the expected JSON object: %s", jsonProblem(err))
}

// triggerNeeded are the trigger body fields that decide whether and how a
// comment is seen (see driver.DecodeTolerant): one of them with another JSON type
// refuses the body; any other field that does not decode is left empty.
var triggerNeeded = []string{"ticketId", "commentId", "text", "isPublic", "author.id", "sender.id", "sender.role",
	"attachments.*.url", "attachments.*.filename"}

// refuseNUL refuses a body with a raw NUL byte. No vendor sends one (JSON
// allows none, inside strings or out, and even unescaped trigger
// placeholders carry line breaks and tabs, which are repaired, never NUL):
// every driver answers such a body with helpdesk.ErrInvalidPayload.
func refuseNUL(body []byte) error {
	if bytes.IndexByte(body, 0) >= 0 {
		return driver.InvalidPayload("body has a raw NUL byte")
	}
	return nil
}

// jsonProblem describes a decoding error without quoting the body.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at offset " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		return "field " + e.Field + " has JSON type " + e.Value + ", expected " + e.Type.String()
	case *driver.DecodeError:
		return e.Error()
	}
	return "invalid JSON"
}

// escapeControlInStrings returns body with raw control characters inside
// JSON strings escaped, and whether it changed anything.
func escapeControlInStrings(body []byte) ([]byte, bool) {
	var out []byte
	in, esc := false, false
	for i, b := range body {
		if in {
			switch {
			case esc:
				esc = false
			case b == '\\':
				esc = true
			case b == '"':
				in = false
			case b < 0x20:
				if out == nil {
					out = append(make([]byte, 0, len(body)+16), body[:i]...)
				}
				switch b {
				case '\n':
					out = append(out, '\\', 'n')
				case '\r':
					out = append(out, '\\', 'r')
				case '\t':
					out = append(out, '\\', 't')
				default:
					out = append(out, '\\', 'u', '0', '0', "0123456789abcdef"[b>>4], "0123456789abcdef"[b&15])
				}
				continue
			}
		} else if b == '"' {
			in = true
		}
		if out != nil {
			out = append(out, b)
		}
	}
	return out, out != nil
}

func (c *Client) triggerEvent(req *helpdesk.WebhookRequest, p *TriggerPayload, ts time.Time) (helpdesk.Event, error) {
	tid, err := strconv.ParseInt(strings.TrimSpace(p.TicketID), 10, 64)
	if err != nil || tid <= 0 {
		return helpdesk.Event{}, driver.InvalidPayload("ticketId is missing or not a number")
	}
	idStr := strings.TrimSpace(p.TicketID)
	if idStr[0] == '0' || idStr[0] == '+' {
		idStr = strconv.FormatInt(tid, 10)
	}
	conv := helpdesk.Conversation{Vendor: Vendor, Account: c.cfg.Subdomain, ID: idStr, Channel: channelFromVia(p.Type)}
	extra := make(map[string]string, 6)
	extra[ExtraTicketID] = idStr
	put := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			extra[k] = v
		}
	}
	put(ExtraVia, p.Type)
	put(ExtraGroupID, p.GroupID)
	put(ExtraAssigneeID, p.AssigneeID)
	put(ExtraRequesterID, p.Sender.ID)
	put(ExtraUpdatedAt, p.UpdatedAt)
	conv.Extra = extra

	ev := helpdesk.Event{VendorType: "trigger", Conversation: conv, Extra: p, Raw: json.RawMessage(req.Body), OccurredAt: ts}
	if t, ok := parseISOTime(p.UpdatedAt); ok {
		ev.OccurredAt = t
	}
	commentID := strings.TrimSpace(p.CommentID)
	ev.DeliveryID = triggerDeliveryID(idStr, commentID, p.UpdatedAt, req.Body)
	if st := strings.TrimSpace(p.Status); st != "" {
		ev.Status = &helpdesk.StatusChange{To: normalizeStatus(st), VendorTo: st}
	}
	if commentID == "" && strings.TrimSpace(p.Text) == "" {
		ev.Type = helpdesk.EventOther
		return ev, nil
	}
	ev.Type = helpdesk.EventMessageCreated
	msg := &helpdesk.InboundMessage{ID: commentID, Text: p.Text, Subject: p.Title, Public: parseBoolLabel(p.IsPublic)}
	for _, a := range p.Attachments {
		if a.URL != "" {
			msg.Attachments = append(msg.Attachments, helpdesk.Attachment{URL: a.URL, Name: a.Filename})
		}
	}
	msg.Author = c.triggerAuthor(p, commentID)
	ev.Message = msg
	return ev, nil
}

func (c *Client) triggerAuthor(p *TriggerPayload, commentID string) helpdesk.Author {
	bot := c.botID
	authorID := strings.TrimSpace(p.Author.ID)
	_, posted := c.posted.get(commentID)
	if authorID == bot || posted {
		return helpdesk.Author{Role: helpdesk.RoleBot, ID: bot, Name: p.Author.Name, Email: p.Author.Email, Self: true}
	}
	if authorID != "" {
		a := helpdesk.Author{ID: authorID, Name: p.Author.Name, Email: p.Author.Email, Role: helpdesk.RoleAgent}
		if authorID == strings.TrimSpace(p.Sender.ID) {
			a.Role = helpdesk.RoleCustomer
		}
		return a
	}
	// Seed body: the sender block is the requester, with a fixed role.
	a := helpdesk.Author{ID: strings.TrimSpace(p.Sender.ID), Name: p.Sender.Name, Email: p.Sender.Email, Role: helpdesk.RoleCustomer}
	if role := strings.TrimSpace(p.Sender.Role); strings.EqualFold(role, "agent") || strings.EqualFold(role, "admin") || strings.EqualFold(role, "administrator") {
		a.Role = helpdesk.RoleAgent
	}
	return a
}

// parseBoolLabel reads {{…is_public}}: "true"/"false". Anything else,
// including "" (an empty placeholder), is false: a comment not known to be
// public is never answered.
func parseBoolLabel(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// normalizeStatus maps a status label ({{ticket.status}} renders "Open",
// "Solved", …) or API value to the helpdesk status.
func normalizeStatus(s string) helpdesk.Status {
	switch s { // the usual labels, without lower-casing
	case "Open":
		return helpdesk.StatusOpen
	case "Solved":
		return helpdesk.StatusResolved
	}
	return helpdesk.ParseStatus(s)
}

// channelFromVia maps a {{ticket.via}} label to a channel.
func channelFromVia(via string) helpdesk.Channel {
	switch via { // the usual labels, without lower-casing
	case "Mail", "Web Form", "Email":
		return helpdesk.ChannelEmail
	}
	switch strings.ToLower(strings.TrimSpace(via)) {
	case "":
		return helpdesk.ChannelUnknown
	case "mail", "email", "e-mail", "web", "web form", "web_form", "web widget", "web_widget", "closed ticket":
		return helpdesk.ChannelEmail
	case "chat", "messaging", "native messaging", "native_messaging", "mobile sdk", "mobile_sdk":
		return helpdesk.ChannelWebChat
	case "whatsapp":
		return helpdesk.ChannelWhatsApp
	case "instagram", "instagram direct", "instagram_dm":
		return helpdesk.ChannelInstagram
	case "facebook", "facebook messenger", "messenger":
		return helpdesk.ChannelMessenger
	case "sms", "text":
		return helpdesk.ChannelSMS
	case "telegram":
		return helpdesk.ChannelTelegram
	case "line":
		return helpdesk.ChannelLINE
	case "api", "web service", "web_service":
		return helpdesk.ChannelAPI
	case "voicemail", "phone call (inbound)", "phone call (outbound)", "phone_call_inbound", "voice":
		return helpdesk.ChannelVoice
	}
	return helpdesk.ChannelOther
}

// triggerDeliveryID is the dedupe key of a trigger delivery, built only
// from what the signature covers (the body), never from the unsigned
// X-Zendesk-Webhook-Invocation-Id header: a captured delivery replayed
// inside the tolerance with that header changed or dropped is still
// recognised. One comment is answered once, however many triggers fire
// for it; a delivery without a comment is keyed on the ticket's update
// time, or on the body itself.
func triggerDeliveryID(ticket, commentID, updatedAt string, body []byte) string {
	switch {
	case commentID != "":
		return "ticket:" + ticket + ":comment:" + commentID
	case strings.TrimSpace(updatedAt) != "":
		return "ticket:" + ticket + ":updated:" + strings.TrimSpace(updatedAt)
	}
	sum := sha256.Sum256(body)
	return "ticket:" + ticket + ":body:" + hex.EncodeToString(sum[:12])
}
