package zendesk

import (
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

// SunshineEnvelope is a Sunshine Conversations webhook delivery: one or
// more events.
type SunshineEnvelope struct {
	App struct {
		ID string `json:"id"`
	} `json:"app"`
	Webhook struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"webhook"`
	Events []SunshineEventEnvelope `json:"events"`
}

// SunshineEventEnvelope is one event of a delivery, payload undecoded.
type SunshineEventEnvelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"createdAt"`
	Payload   json.RawMessage `json:"payload"`
}

// SunshineConversationRef is the conversation block of Sunshine payloads.
type SunshineConversationRef struct {
	ID                            string                  `json:"id"`
	Type                          string                  `json:"type"`
	BrandID                       string                  `json:"brandId,omitempty"`
	ActiveSwitchboardIntegration  *SunshineSwitchboardRef `json:"activeSwitchboardIntegration,omitempty"`
	PendingSwitchboardIntegration *SunshineSwitchboardRef `json:"pendingSwitchboardIntegration,omitempty"`
}

// SunshineSwitchboardRef names a switchboard integration.
type SunshineSwitchboardRef struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	IntegrationID   string `json:"integrationId,omitempty"`
	IntegrationType string `json:"integrationType,omitempty"`
}

// SunshineUser is a Sunshine user (author.user with includeFullUser).
type SunshineUser struct {
	ID         string `json:"id"`
	ExternalID string `json:"externalId,omitempty"`
	Profile    struct {
		GivenName string `json:"givenName,omitempty"`
		Surname   string `json:"surname,omitempty"`
		Email     string `json:"email,omitempty"`
	} `json:"profile"`
}

// SunshineSource says where a message came from.
type SunshineSource struct {
	Type              string `json:"type"`
	IntegrationID     string `json:"integrationId,omitempty"`
	OriginalMessageID string `json:"originalMessageId,omitempty"`
	Client            *struct {
		Type       string `json:"type"`
		ExternalID string `json:"externalId,omitempty"`
	} `json:"client,omitempty"`
}

// SunshineMessage is a message in a conversation:message payload.
type SunshineMessage struct {
	ID       string `json:"id"`
	Received string `json:"received"`
	Author   struct {
		Type        string        `json:"type"`
		UserID      string        `json:"userId,omitempty"`
		DisplayName string        `json:"displayName,omitempty"`
		AvatarURL   string        `json:"avatarUrl,omitempty"`
		Subtypes    []string      `json:"subtypes,omitempty"`
		User        *SunshineUser `json:"user,omitempty"`
	} `json:"author"`
	Content struct {
		Type      string  `json:"type"`
		Text      string  `json:"text,omitempty"`
		MediaURL  string  `json:"mediaUrl,omitempty"`
		MediaType string  `json:"mediaType,omitempty"`
		MediaSize float64 `json:"mediaSize,omitempty"`
		AltText   string  `json:"altText,omitempty"`
		// TextFallback is a formResponse's readable text ("label: value"
		// lines), Fields its submitted fields.
		TextFallback string              `json:"textFallback,omitempty"`
		Fields       []SunshineFormField `json:"fields,omitempty"`
	} `json:"content"`
	Source   SunshineSource `json:"source"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// SunshineFormField is one submitted field of a formResponse message
// (type "text", "email" or "select"; the answer is in Text, Email or
// Select).
type SunshineFormField struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Label  string `json:"label"`
	Text   string `json:"text,omitempty"`
	Email  string `json:"email,omitempty"`
	Select []struct {
		Name  string `json:"name"`
		Label string `json:"label"`
	} `json:"select,omitempty"`
}

// SunshineFormResponse is the Event.Extra of a formResponse message (the
// customer submitted a form): its fields, typed. Message.Text is the
// message's textFallback.
type SunshineFormResponse struct {
	Fields []SunshineFormField
}

type sunMessagePayload struct {
	Conversation SunshineConversationRef `json:"conversation"`
	Message      SunshineMessage         `json:"message"`
}

// SunshinePostback is the Event.Extra of a conversation:postback event (a
// customer pressed a postback button).
type SunshinePostback struct {
	Conversation SunshineConversationRef `json:"conversation"`
	Postback     struct {
		Payload  string         `json:"payload"`
		Metadata map[string]any `json:"metadata,omitempty"`
	} `json:"postback"`
	User   *SunshineUser   `json:"user,omitempty"`
	Source *SunshineSource `json:"source,omitempty"`
}

// SunshineSwitchboard is the Event.Extra of switchboard:* events
// (passControl, acceptControl, offerControl, releaseControl and their
// :failure variants). Reason is "ticketClosed" or "transferToEmail" when
// Zendesk passes control back.
type SunshineSwitchboard struct {
	Conversation SunshineConversationRef `json:"conversation"`
	Reason       string                  `json:"reason,omitempty"`
	Metadata     map[string]any          `json:"metadata,omitempty"`
	// Type is the event type, e.g. "switchboard:passControl".
	Type string `json:"-"`
}

// SunshineOther is the Event.Extra of Sunshine events the driver does not
// map (conversation:read, conversation:typing, user:merge, …).
type SunshineOther struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// verifySunshine compares the X-API-Key header in constant time with the
// configured Sunshine webhook secrets (Sunshine signs nothing, so there is
// no signed time: dedupe on the events' ids guards replays).
func (c *Client) verifySunshine(req *helpdesk.WebhookRequest) error {
	return c.sunVerify.VerifyToken(req.Header.Get(HeaderSunshineAPIKey), HeaderSunshineAPIKey+" header")
}

// ParseSunshine verifies a Sunshine Conversations delivery (the X-API-Key
// header compared in constant time with the configured secrets) and maps
// each event: conversation:message from a user → a customer message; the
// bot's own business messages → Author.Self with RoleBot; other business
// messages by author.subtypes (activity → RoleSystem, agent → RoleAgent,
// bot or AI → RoleBot; without a subtype, Agent Workspace → RoleAgent);
// a formResponse → its textFallback as text and *SunshineFormResponse as
// Event.Extra; conversation:create → EventConversationCreated; switchboard
// events → EventConversationAssigned with *SunshineSwitchboard (offerControl
// and the :failure events → EventOther: nothing changed hands);
// conversation:postback → EventOther with *SunshinePostback; anything else
// → EventOther with *SunshineOther. Fields the driver does not need never
// refuse a message (see driver.DecodeTolerant); a conversation:message without a
// conversation id, message id or user/business author, or with one of the
// fields it reads of another JSON type, refuses the delivery with
// helpdesk.ErrInvalidPayload. The delivery id of each event is
// events[i].id. ParseWebhook calls it for Sunshine deliveries; errors are
// not wrapped in a *helpdesk.OpError.
func (c *Client) ParseSunshine(_ context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if req == nil {
		return nil, driver.InvalidPayload("no request")
	}
	if err := c.verifySunshine(req); err != nil {
		return nil, err
	}
	return c.parseSunshine(req)
}

func (c *Client) parseSunshine(req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if err := requireJSON(req); err != nil {
		return nil, err
	}
	if len(req.Body) == 0 {
		return nil, driver.InvalidPayload("empty body")
	}
	if err := refuseNUL(req.Body); err != nil {
		return nil, err
	}
	var env SunshineEnvelope
	if err := driver.DecodeTolerant(req.Body, &env, sunEnvelopeNeeded); err != nil {
		return nil, driver.InvalidPayload("Sunshine body is not the expected JSON object: %s", jsonProblem(err))
	}
	if env.Events == nil {
		return nil, driver.InvalidPayload("Sunshine body has no events array")
	}
	events := make([]helpdesk.Event, 0, len(env.Events))
	for i := range env.Events {
		ev, err := c.sunshineEvent(&env, &env.Events[i])
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// sunEnvelopeNeeded and sunMessageNeeded are the fields that decide
// whether and how a message is seen (see driver.DecodeTolerant): one of them with
// another JSON type refuses the delivery, while any other field that does
// not decode (the spec's own examples have a numeric user.externalId) is
// left empty.
var (
	sunEnvelopeNeeded = []string{"events.*.id", "events.*.type"}
	sunMessageNeeded  = []string{"conversation.id", "message.id", "message.author.type", "message.author.userId",
		"message.author.subtypes.*", "message.content.type", "message.content.text", "message.content.textFallback",
		"message.content.mediaUrl", "message.source.type"}
)

func (c *Client) sunshineEvent(env *SunshineEnvelope, e *SunshineEventEnvelope) (helpdesk.Event, error) {
	ev := helpdesk.Event{VendorType: e.Type, DeliveryID: e.ID, Raw: e.Payload, Type: helpdesk.EventOther}
	if t, err := time.Parse(time.RFC3339, e.CreatedAt); err == nil {
		ev.OccurredAt = t
	}
	appID := env.App.ID
	if appID == "" {
		appID = c.cfg.SunshineAppID
	}
	other := func() (helpdesk.Event, error) {
		ev.Type = helpdesk.EventOther
		ev.Extra = &SunshineOther{Type: e.Type, Payload: e.Payload}
		if ev.DeliveryID == "" {
			ev.DeliveryID = fallbackEventID(e)
		}
		return ev, nil
	}
	switch {
	case e.Type == "conversation:message":
		var p sunMessagePayload
		if err := driver.DecodeTolerant(e.Payload, &p, sunMessageNeeded); err != nil {
			return ev, driver.InvalidPayload("Sunshine conversation:message %s: %s", e.ID, jsonProblem(err))
		}
		switch {
		case p.Conversation.ID == "":
			return ev, driver.InvalidPayload("Sunshine conversation:message %s without conversation.id", e.ID)
		case p.Message.ID == "":
			return ev, driver.InvalidPayload("Sunshine conversation:message %s without message.id", e.ID)
		case p.Message.Author.Type != "user" && p.Message.Author.Type != "business":
			return ev, driver.InvalidPayload("Sunshine conversation:message %s: author.type %q is neither user nor business", e.ID, p.Message.Author.Type)
		}
		ev.Conversation = c.sunConversation(appID, &p.Conversation)
		ev.Type = helpdesk.EventMessageCreated
		ev.Message = c.sunMessage(&p.Message)
		if p.Message.Content.Type == "formResponse" {
			ev.Extra = &SunshineFormResponse{Fields: p.Message.Content.Fields}
		}
		ev.Conversation.Channel = sunChannel(&p.Message.Source)
		if ev.DeliveryID == "" && p.Message.ID != "" {
			ev.DeliveryID = "message:" + p.Message.ID
		}
		if ev.OccurredAt.IsZero() {
			if t, err := time.Parse(time.RFC3339, p.Message.Received); err == nil {
				ev.OccurredAt = t
			}
		}
		if ev.Message.Author.Role == helpdesk.RoleCustomer {
			ev.Conversation.Extra[ExtraSunshineUserID] = p.Message.Author.UserID
			if first := c.firstMsg.putIfAbsent(p.Conversation.ID, p.Message.ID); first != "" {
				ev.Conversation.Extra[ExtraFirstMessageID] = first
			}
		} else if first, ok := c.firstMsg.get(p.Conversation.ID); ok {
			ev.Conversation.Extra[ExtraFirstMessageID] = first
		}
	case e.Type == "conversation:postback":
		var p SunshinePostback
		if unmarshalLenient(e.Payload, &p) != nil {
			return other()
		}
		ev.Conversation = c.sunConversation(appID, &p.Conversation)
		ev.Extra = &p
	case e.Type == "conversation:create":
		var p struct {
			Conversation SunshineConversationRef `json:"conversation"`
		}
		if unmarshalLenient(e.Payload, &p) != nil || p.Conversation.ID == "" {
			return other()
		}
		ev.Conversation = c.sunConversation(appID, &p.Conversation)
		ev.Type = helpdesk.EventConversationCreated
	case strings.HasPrefix(e.Type, "switchboard:"):
		var p SunshineSwitchboard
		if unmarshalLenient(e.Payload, &p) != nil {
			return other()
		}
		p.Type = e.Type
		ev.Conversation = c.sunConversation(appID, &p.Conversation)
		ev.Extra = &p
		// offerControl only invites the pending integration: nothing is
		// assigned until it accepts (acceptControl) or control is passed.
		if !strings.HasSuffix(e.Type, ":failure") && e.Type != "switchboard:offerControl" {
			ev.Type = helpdesk.EventConversationAssigned
			a := &helpdesk.Assignment{}
			if act := p.Conversation.ActiveSwitchboardIntegration; act != nil {
				a.AgentID = act.Name
				a.ToBot = c.cfg.SunshineSwitchboardName != "" && act.Name == c.cfg.SunshineSwitchboardName
			}
			ev.Assignment = a
		}
	default:
		return other()
	}
	if ev.DeliveryID == "" {
		ev.DeliveryID = fallbackEventID(e)
	}
	return ev, nil
}

// fallbackEventID stands in for a missing events[i].id (never seen from
// Sunshine, which always sends one): a hash of the event, stable across
// redeliveries of the same bytes.
func fallbackEventID(e *SunshineEventEnvelope) string {
	h := sha256.New()
	h.Write([]byte(e.Type))
	h.Write([]byte{0})
	h.Write([]byte(e.CreatedAt))
	h.Write([]byte{0})
	h.Write(e.Payload)
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:16])
}

func (c *Client) sunConversation(appID string, ref *SunshineConversationRef) helpdesk.Conversation {
	return helpdesk.Conversation{Vendor: Vendor, Account: c.cfg.Subdomain, ID: ref.ID, Channel: helpdesk.ChannelWebChat,
		Extra: map[string]string{ExtraSunshineConversationID: ref.ID, ExtraSunshineAppID: appID}}
}

func (c *Client) sunMessage(m *SunshineMessage) *helpdesk.InboundMessage {
	msg := &helpdesk.InboundMessage{ID: m.ID, Text: m.Content.Text, Public: true}
	if msg.Text == "" {
		msg.Text = m.Content.TextFallback // formResponse: "label: value" lines
	}
	if m.Content.MediaURL != "" {
		att := helpdesk.Attachment{URL: m.Content.MediaURL, Name: m.Content.AltText, ContentType: m.Content.MediaType}
		if m.Content.MediaSize > 0 && m.Content.MediaSize < 1<<53 {
			att.Size = int64(m.Content.MediaSize)
		}
		msg.Attachments = []helpdesk.Attachment{att}
	}
	a := &m.Author
	switch a.Type {
	case "user":
		msg.Author = helpdesk.Author{Role: helpdesk.RoleCustomer, ID: a.UserID, Name: a.DisplayName}
		if a.User != nil {
			msg.Author.Email = a.User.Profile.Email
			if msg.Author.Name == "" {
				msg.Author.Name = strings.TrimSpace(a.User.Profile.GivenName + " " + a.User.Profile.Surname)
			}
		}
		if m.Source.Client != nil && (m.Source.Client.Type == "whatsapp" || m.Source.Client.Type == "twilio") {
			msg.Author.Phone = m.Source.Client.ExternalID
		}
	default: // "business"
		msg.Author = helpdesk.Author{Role: helpdesk.RoleBot, Name: a.DisplayName}
		_, posted := c.posted.get(m.ID)
		mine := posted
		if v, ok := m.Metadata[botMetadataKey]; ok && v != nil {
			mine = true
		}
		if !mine && m.Source.Type == "api:conversations" && c.cfg.BotName != "" && a.DisplayName == c.cfg.BotName {
			mine = true
		}
		// author.subtypes (one of AI, activity, agent, bot) says who wrote
		// a business message: "activity" is a system line (e.g. the
		// ticket was closed), "agent" a human agent, "bot" and "AI" a bot.
		switch {
		case mine:
			msg.Author.Self = true
			msg.Author.ID = strconv.FormatInt(c.cfg.BotUserID, 10)
		case hasSubtype(a.Subtypes, "activity"):
			msg.Author.Role = helpdesk.RoleSystem
		case hasSubtype(a.Subtypes, "agent"):
			msg.Author.Role = helpdesk.RoleAgent
		case hasSubtype(a.Subtypes, "bot"), hasSubtype(a.Subtypes, "AI"):
			msg.Author.Role = helpdesk.RoleBot
		case strings.HasPrefix(m.Source.Type, "zd:agentWorkspace"):
			msg.Author.Role = helpdesk.RoleAgent
		}
	}
	return msg
}

// sunChannel maps a message source (client type with includeFullSource,
// else source type) to a channel.
func sunChannel(s *SunshineSource) helpdesk.Channel {
	t := s.Type
	if s.Client != nil && s.Client.Type != "" {
		t = s.Client.Type
	}
	switch t {
	case "whatsapp":
		return helpdesk.ChannelWhatsApp
	case "messenger":
		return helpdesk.ChannelMessenger
	case "instagram":
		return helpdesk.ChannelInstagram
	case "telegram":
		return helpdesk.ChannelTelegram
	case "line":
		return helpdesk.ChannelLINE
	case "twilio", "messagebird":
		return helpdesk.ChannelSMS
	}
	return helpdesk.ChannelWebChat
}

func hasSubtype(subtypes []string, want string) bool {
	for _, s := range subtypes {
		if strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}
