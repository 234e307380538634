package cloudchat

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Template is a WhatsApp message template to send with SendTemplate: the
// only way to reach a customer outside the 24-hour window, and the way to
// start a proactive conversation. Templates are created and approved under
// Settings → Inboxes → (WhatsApp inbox) → WhatsApp Templates.
type Template struct {
	// Name is the approved template's name: lowercase letters, digits and
	// underscores only (e.g. "order_update").
	Name string
	// Category is UTILITY, MARKETING, SHIPPING_UPDATE, TICKET_UPDATE or
	// ISSUE_RESOLUTION (the values the Chatwoot spec allows).
	Category string
	// Language is the template's language code exactly as approved, e.g.
	// "pt_BR" or "en_US": Chatwoot matches it against its cached template
	// list and a mismatch fails at Meta with error #132000.
	Language string
	// Body fills the body variables: {"1": "Maria"} or {"name": "Maria"}.
	// On Twilio WhatsApp the same map is sent flat, as Twilio's
	// content_variables.
	Body map[string]string
	// HeaderMediaURL and HeaderMediaType ("image", "video", "document")
	// fill a media header.
	HeaderMediaURL, HeaderMediaType string
	// Buttons fill dynamic button parameters.
	Buttons []TemplateButton
	// Content is the text recorded in the Cloud Chat conversation (the
	// spec requires one); empty records the template name.
	Content string
}

// TemplateButton is a dynamic button parameter.
type TemplateButton struct {
	// Type is "url" or "copy_code".
	Type      string `json:"type"`
	Parameter string `json:"parameter"`
}

// templateParams is the JSON of template_params. The Chatwoot spec marks
// name, category, language and processed_params all required (the reference
// notes only name as required by the server); the driver follows the spec.
type templateParams struct {
	Name            string         `json:"name"`
	Category        string         `json:"category"`
	Language        string         `json:"language"`
	ProcessedParams map[string]any `json:"processed_params"`
}

var templateCategories = map[string]bool{
	"UTILITY": true, "MARKETING": true, "SHIPPING_UPDATE": true, "TICKET_UPDATE": true, "ISSUE_RESOLUTION": true,
}

// Validate checks the template locally; problems are *helpdesk.FieldError
// values matching helpdesk.ErrInvalidRequest.
func (t Template) Validate() error {
	bad := func(field, problem string) error {
		return &helpdesk.FieldError{Field: "template." + field, Problem: problem, Err: helpdesk.ErrInvalidRequest}
	}
	if t.Name == "" {
		return bad("name", "required")
	}
	if len(t.Name) > 512 {
		return bad("name", "longer than 512 characters")
	}
	for _, r := range t.Name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return bad("name", "only lowercase letters, digits and underscore are allowed (e.g. order_update)")
		}
	}
	if !templateCategories[strings.ToUpper(t.Category)] {
		return bad("category", "must be UTILITY, MARKETING, SHIPPING_UPDATE, TICKET_UPDATE or ISSUE_RESOLUTION")
	}
	if t.Language == "" {
		return bad("language", "required, the approved language code (e.g. pt_BR)")
	}
	for _, r := range t.Language {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
			return bad("language", "must be a language code such as pt_BR")
		}
	}
	switch t.HeaderMediaType {
	case "", "image", "video", "document":
	default:
		return bad("header_media_type", "must be image, video or document")
	}
	if (t.HeaderMediaURL == "") != (t.HeaderMediaType == "") {
		return bad("header_media_url", "media URL and type go together")
	}
	for _, b := range t.Buttons {
		if b.Type != "url" && b.Type != "copy_code" {
			return bad("buttons", "button type must be url or copy_code")
		}
	}
	return nil
}

func (t Template) params(ch helpdesk.Channel) *templateParams {
	pp := map[string]any{}
	if ch == helpdesk.ChannelWhatsAppTwilio {
		for k, v := range t.Body {
			pp[k] = v
		}
	} else {
		if len(t.Body) > 0 {
			pp["body"] = t.Body
		}
		if t.HeaderMediaURL != "" {
			pp["header"] = map[string]string{"media_url": t.HeaderMediaURL, "media_type": t.HeaderMediaType}
		}
		if len(t.Buttons) > 0 {
			pp["buttons"] = t.Buttons
		}
	}
	return &templateParams{Name: t.Name, Category: strings.ToUpper(t.Category), Language: t.Language, ProcessedParams: pp}
}

// SendTemplate sends an approved WhatsApp template in conv with
// POST …/conversations/{id}/messages and template_params (bot token). It
// works whatever the conversation's reply window; use it when SendMessage
// returns ErrTemplateRequired. Chatwoot looks templates up in its cached
// list: after creating or editing one, sync the inbox's templates in Cloud
// Chat first.
func (c *Client) SendTemplate(ctx context.Context, conv helpdesk.Conversation, t Template) (*helpdesk.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	path, err := c.convPath(conv, "/messages")
	if err != nil {
		return nil, err
	}
	content := t.Content
	if content == "" {
		content = t.Name
	}
	var out messageResp
	if _, err := c.bot.Do(ctx, &transport.Request{
		Method: http.MethodPost, Path: path, Limits: messageLimits,
		Body: messageBody{Content: content, MessageType: "outgoing", ContentType: "text", Template: t.params(conv.Channel)},
	}, &out); err != nil {
		return nil, err
	}
	return &helpdesk.Receipt{MessageID: out.ID.String()}, nil
}

// Proactive starts a conversation with a contact by sending a template.
type Proactive struct {
	// InboxID is the WhatsApp inbox to send from.
	InboxID int64
	// ContactID is the contact (see UpsertContact).
	ContactID int64
	// SourceID is the contact's address in the inbox, which the Chatwoot
	// spec requires: for WhatsApp Cloud the phone number's digits without
	// "+", for Twilio WhatsApp "whatsapp:+<E.164>".
	SourceID string
	// Channel shapes the template parameters (ChannelWhatsAppTwilio sends
	// them flat); default ChannelWhatsApp.
	Channel helpdesk.Channel
	// Status of the new conversation: "" (Chatwoot's default), "open",
	// "pending" (the bot handles the reply) or "resolved".
	Status string
	// TeamID, when set, routes the conversation to a team.
	TeamID   int64
	Template Template
}

// StartConversation sends a template to a contact in a new conversation
// (POST /conversations with message.template_params, bot token) and returns
// the conversation, ready for SendMessage once the customer answers.
func (c *Client) StartConversation(ctx context.Context, p Proactive) (helpdesk.Conversation, error) {
	if err := ctx.Err(); err != nil {
		return helpdesk.Conversation{}, err
	}
	if err := p.Template.Validate(); err != nil {
		return helpdesk.Conversation{}, err
	}
	bad := func(field, problem string) error {
		return &helpdesk.FieldError{Field: field, Problem: problem, Err: helpdesk.ErrInvalidRequest}
	}
	switch {
	case p.InboxID <= 0:
		return helpdesk.Conversation{}, bad("inbox_id", "required")
	case p.ContactID <= 0:
		return helpdesk.Conversation{}, bad("contact_id", "required")
	case strings.TrimSpace(p.SourceID) == "":
		return helpdesk.Conversation{}, bad("source_id", "required by the Chatwoot spec (the contact's address in the inbox)")
	}
	switch p.Status {
	case "", "open", "pending", "resolved":
	default:
		return helpdesk.Conversation{}, bad("status", "must be open, pending or resolved")
	}
	ch := p.Channel
	if ch == "" {
		ch = helpdesk.ChannelWhatsApp
	}
	content := p.Template.Content
	if content == "" {
		content = p.Template.Name
	}
	body := map[string]any{
		"inbox_id": p.InboxID, "contact_id": p.ContactID, "source_id": p.SourceID,
		"message": map[string]any{"content": content, "template_params": p.Template.params(ch)},
	}
	if p.Status != "" {
		body["status"] = p.Status
	}
	if p.TeamID > 0 {
		body["team_id"] = p.TeamID
	}
	var out struct {
		ID json.Number `json:"id"`
	}
	if _, err := c.bot.Do(ctx, &transport.Request{Method: http.MethodPost, Path: c.prefix + "/conversations", Body: body}, &out); err != nil {
		return helpdesk.Conversation{}, err
	}
	conv := helpdesk.Conversation{Vendor: Vendor, Account: c.account, ID: out.ID.String(), Channel: ch,
		Extra: map[string]string{ExtraInboxID: strconv.FormatInt(p.InboxID, 10), ExtraContactID: strconv.FormatInt(p.ContactID, 10)}}
	if p.Status != "" {
		conv.Extra[ExtraStatus] = p.Status
	}
	return conv, nil
}
