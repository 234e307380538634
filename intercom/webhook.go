package intercom

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// Conversation.Extra keys set by ParseWebhook.
const (
	// ExtraEntry is how the event arrived: EntryTopic or EntryAction.
	ExtraEntry = "intercom.entry"
	// ExtraContactID is the customer's contact id.
	ExtraContactID = "intercom.contact_id"
	// ExtraAdminAssigneeID is the admin the conversation is assigned to
	// ("" for none). When it is the bot, Reassign to a team also
	// unassigns the bot.
	ExtraAdminAssigneeID = "intercom.admin_assignee_id"
	// ExtraTeamAssigneeID is the team the conversation is assigned to
	// ("" for none).
	ExtraTeamAssigneeID = "intercom.team_assignee_id"
	// ExtraState is the conversation's state when the event was built:
	// "open", "closed" or "snoozed".
	ExtraState = "intercom.state"
	// ExtraSourceType is Intercom's channel of the conversation's first
	// message (source.type, or the Custom Action's channel field), e.g.
	// "conversation" (Messenger chat), "email", "whatsapp".
	ExtraSourceType = "intercom.source_type"
)

// Entry points, the values of ExtraEntry.
const (
	EntryTopic  = "topic"
	EntryAction = "action"
)

// SignatureHeader carries the topic webhooks' signature.
const SignatureHeader = "X-Hub-Signature"

// Scheme is how Intercom signs topic webhooks: X-Hub-Signature:
// sha1=<hex>, HMAC-SHA1 of the raw body keyed with the app's client
// secret. No time is signed, so there is no tolerance window: a captured
// delivery stays valid forever, and the webhook handler's deduplication on
// (app id, conversation id, part id) is the only replay guard. Keep the
// dedupe store's TTL at least as long as you care about replays
// (helpdesk.DefaultDedupeTTL, 72 h).
var Scheme = driver.Scheme{Header: SignatureHeader, Prefix: "sha1=", Hash: sha1.New, Encoding: driver.Hex}

// VerifyWebhook implements driver.Driver for both entry points. A request
// with X-Hub-Signature is a topic webhook and must carry a signature by one
// of Config.ClientSecrets; any other request is a Custom Action call and
// must carry Authorization: Bearer <one of Config.ActionTokens>, compared
// in constant time. Anything else is refused (401) before the body is
// read.
func (d clientDriver) VerifyWebhook(req *helpdesk.WebhookRequest) error {
	if req.Header.Get(SignatureHeader) != "" {
		_, err := d.c.hooks.Verify(req, &Scheme)
		return err
	}
	auth := strings.TrimSpace(req.Header.Get("Authorization"))
	if auth == "" {
		return driver.InvalidSignature(helpdesk.ErrSignatureMissing, "neither %s (topic webhook) nor Authorization (Custom Action) is present", SignatureHeader)
	}
	tok, ok := cutPrefixFold(auth, "Bearer ")
	if !ok {
		return driver.InvalidSignature(helpdesk.ErrSignatureMismatch, "Authorization is not a Bearer token")
	}
	return d.c.actions.VerifyToken(strings.TrimSpace(tok), "Custom Action bearer token")
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

// ParseWebhook implements driver.Driver: a topic notification (see
// parseTopic) or a Custom Action request (see ActionBodyTemplate),
// according to which credential VerifyWebhook found.
func (d clientDriver) ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if err := req.RequireJSON(); err != nil {
		return nil, err
	}
	if req.Header.Get(SignatureHeader) != "" {
		return d.c.parseTopic(ctx, req)
	}
	return d.c.parseAction(req)
}

// id is an Intercom id that arrives as a string, a number or null: the
// spec types conversation and part ids as strings but admin_assignee_id
// and team_assignee_id as nullable integers, and its examples mix both.
type id string

func (v *id) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || b[0] == 'n':
		*v = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = id(s)
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		*v = id(b) // a number, kept as written
	default:
		return &json.UnmarshalTypeError{Value: "non-scalar", Type: reflect.TypeFor[string]()}
	}
	return nil
}

// notification is a topic webhook's envelope with the conversation item.
// Only what the driver maps is decoded; anything else is ignored, so an
// unexpected field never hides a customer message.
type notification struct {
	Type      string `json:"type"`
	AppID     id     `json:"app_id"`
	ID        id     `json:"id"`
	Topic     string `json:"topic"`
	CreatedAt int64  `json:"created_at"`
	Data      struct {
		Item conversationItem `json:"item"`
	} `json:"data"`
}

type conversationItem struct {
	Type            string `json:"type"`
	ID              id     `json:"id"`
	ConversationID  id     `json:"conversation_id"` // *.deleted topics
	State           string `json:"state"`
	AdminAssigneeID id     `json:"admin_assignee_id"`
	TeamAssigneeID  id     `json:"team_assignee_id"`
	Source          struct {
		Type        string       `json:"type"`
		ID          id           `json:"id"`
		Subject     string       `json:"subject"`
		Body        string       `json:"body"`
		Author      author       `json:"author"`
		Attachments []attachment `json:"attachments"`
	} `json:"source"`
	Contacts struct {
		Contacts []struct {
			ID id `json:"id"`
		} `json:"contacts"`
	} `json:"contacts"`
	ConversationParts struct {
		Parts []part `json:"conversation_parts"`
	} `json:"conversation_parts"`
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

type part struct {
	ID             id           `json:"id"`
	PartType       string       `json:"part_type"`
	Body           string       `json:"body"`
	CreatedAt      int64        `json:"created_at"`
	Author         author       `json:"author"`
	Attachments    []attachment `json:"attachments"`
	AppPackageCode string       `json:"app_package_code"`
}

type author struct {
	Type  string `json:"type"`
	ID    id     `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type attachment struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Filesize    int64  `json:"filesize"`
}

// Topics the driver maps.
const (
	TopicUserCreated       = "conversation.user.created"
	TopicUserReplied       = "conversation.user.replied"
	TopicAdminReplied      = "conversation.admin.replied"
	TopicAdminSingle       = "conversation.admin.single.created"
	TopicAdminNoted        = "conversation.admin.noted"
	TopicAdminAssigned     = "conversation.admin.assigned"
	TopicAdminClosed       = "conversation.admin.closed"
	TopicAdminOpened       = "conversation.admin.opened"
	TopicAdminSnoozed      = "conversation.admin.snoozed"
	TopicAdminUnsnoozed    = "conversation.admin.unsnoozed"
	TopicOperatorReplied   = "conversation.operator.replied"
	TopicPing              = "ping"
	notificationEventType  = "notification_event"
	conversationTopicStart = "conversation" // conversation.* and conversation_part.*
)

// parseTopic maps a topic notification. Message topics give one
// EventMessageCreated for the newest part (source for
// conversation.user.created), with the body as plain text whatever the API
// version sent; admin.assigned gives EventConversationAssigned;
// closed/opened/snoozed/unsnoozed give EventStatusChanged; ping gives
// none; other conversation topics give EventOther. The DeliveryID is
// "intercom:<app id>:<conversation id>:<part id>" (part ids are unique
// only within a workspace; notification ids are sometimes null).
func (c *Client) parseTopic(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	var n notification
	if err := json.Unmarshal(req.Body, &n); err != nil {
		return nil, driver.InvalidPayload("topic notification is not valid JSON: %s", jsonProblem(err))
	}
	if n.Type != notificationEventType {
		return nil, driver.InvalidPayload("type must be %q, got %q", notificationEventType, n.Type)
	}
	switch {
	case n.Topic == "":
		return nil, driver.InvalidPayload("topic is missing")
	case n.Topic == TopicPing:
		return nil, nil
	}
	item := &n.Data.Item
	convID := string(item.ID)
	if item.Type != "conversation" {
		if item.ConversationID != "" {
			convID = string(item.ConversationID)
		} else {
			// Contact, ticket and other topics the bot does not act on.
			return nil, nil
		}
	}
	if convID == "" {
		return nil, driver.InvalidPayload("data.item.id (the conversation id) is missing")
	}
	conv := helpdesk.Conversation{Vendor: Vendor, Account: string(n.AppID), ID: convID, Channel: channelOf(item.Source.Type)}
	extra := make(map[string]string, 6)
	extra[ExtraEntry] = EntryTopic
	if item.State != "" {
		extra[ExtraState] = item.State
	}
	if item.Source.Type != "" {
		extra[ExtraSourceType] = item.Source.Type
	}
	if len(item.Contacts.Contacts) > 0 && item.Contacts.Contacts[0].ID != "" {
		extra[ExtraContactID] = string(item.Contacts.Contacts[0].ID)
	}
	if item.AdminAssigneeID != "" {
		extra[ExtraAdminAssigneeID] = string(item.AdminAssigneeID)
	}
	if item.TeamAssigneeID != "" {
		extra[ExtraTeamAssigneeID] = string(item.TeamAssigneeID)
	}
	conv.Extra = extra

	ev := helpdesk.Event{VendorType: n.Topic, Conversation: conv, Raw: req.Body}
	if n.CreatedAt > 0 {
		ev.OccurredAt = time.Unix(n.CreatedAt, 0).UTC()
	}
	var p *part
	subject := ""
	if n.Topic == TopicUserCreated {
		src := &item.Source
		p = &part{ID: src.ID, PartType: "comment", Body: src.Body, Author: src.Author, Attachments: src.Attachments, CreatedAt: item.CreatedAt}
		subject = src.Subject
	} else {
		p = newestPart(item.ConversationParts.Parts)
	}
	ev.DeliveryID = deliveryID(string(n.AppID), convID, p, string(n.ID), req.Body)
	if p != nil && p.CreatedAt > 0 {
		ev.OccurredAt = time.Unix(p.CreatedAt, 0).UTC()
	}

	switch n.Topic {
	case TopicUserCreated, TopicUserReplied, TopicAdminReplied, TopicAdminSingle, TopicAdminNoted, TopicOperatorReplied:
		if p == nil {
			return nil, driver.InvalidPayload("%s has no conversation part (data.item.conversation_parts.conversation_parts is empty)", n.Topic)
		}
		m, err := c.message(ctx, n.Topic, p, false)
		if err != nil {
			return nil, err
		}
		if subject != "" {
			m.Subject = HTMLToText(subject)
		}
		ev.Type = helpdesk.EventMessageCreated
		ev.Message = m
	case TopicAdminAssigned:
		ev.Type = helpdesk.EventConversationAssigned
		a := &helpdesk.Assignment{AgentID: string(item.AdminAssigneeID), GroupID: string(item.TeamAssigneeID)}
		bot := c.knownAdminID()
		a.ToBot = (a.AgentID != "" && a.AgentID == bot) || (a.AgentID == "" && a.GroupID != "" && a.GroupID == c.botTeam)
		ev.Assignment = a
	case TopicAdminClosed:
		ev.Type = helpdesk.EventStatusChanged
		ev.Status = &helpdesk.StatusChange{To: helpdesk.StatusResolved, VendorTo: "closed"}
	case TopicAdminOpened, TopicAdminUnsnoozed:
		ev.Type = helpdesk.EventStatusChanged
		ev.Status = &helpdesk.StatusChange{To: helpdesk.StatusOpen, VendorTo: "open"}
		if n.Topic == TopicAdminUnsnoozed {
			ev.Status.From, ev.Status.VendorFrom = helpdesk.StatusSnoozed, "snoozed"
		}
	case TopicAdminSnoozed:
		ev.Type = helpdesk.EventStatusChanged
		ev.Status = &helpdesk.StatusChange{To: helpdesk.StatusSnoozed, VendorTo: "snoozed"}
	default:
		if !strings.HasPrefix(n.Topic, conversationTopicStart) {
			return nil, nil
		}
		ev.Type = helpdesk.EventOther
	}
	return []helpdesk.Event{ev}, nil
}

// newestPart returns the part with the latest created_at (the last one on
// a tie), or nil.
func newestPart(parts []part) *part {
	var best *part
	for i := range parts {
		if best == nil || parts[i].CreatedAt >= best.CreatedAt {
			best = &parts[i]
		}
	}
	return best
}

// deliveryID is the dedupe key: app id + conversation id + part id, or the
// notification id, or a digest of the signed body when neither exists.
func deliveryID(app, conv string, p *part, notif string, body []byte) string {
	switch {
	case p != nil && p.ID != "":
		return "intercom:" + app + ":" + conv + ":" + string(p.ID)
	case notif != "":
		return "intercom:" + app + ":" + conv + ":" + notif
	}
	sum := sha256.Sum256(body)
	return "intercom:" + app + ":" + conv + ":body-" + hex.EncodeToString(sum[:12])
}

// message maps a conversation part. Authors of type user, lead and
// contact are the customer; admin is a teammate (the bot itself when its
// id is the bot's admin id); bot (Fin, Operator, workflows) is RoleBot.
// Notes are not public.
func (c *Client) message(ctx context.Context, topic string, p *part, plain bool) (*helpdesk.InboundMessage, error) {
	m := &helpdesk.InboundMessage{ID: string(p.ID), Public: topic != TopicAdminNoted && p.PartType != "note"}
	m.Author = helpdesk.Author{ID: string(p.Author.ID), Name: p.Author.Name, Email: p.Author.Email}
	switch p.Author.Type {
	case "user", "lead", "contact":
		m.Author.Role = helpdesk.RoleCustomer
	case "admin":
		m.Author.Role = helpdesk.RoleAgent
		if p.Author.ID != "" {
			bot, err := c.BotAdminID(ctx)
			if err != nil {
				return nil, err
			}
			if string(p.Author.ID) == bot || c.cfg.AppPackageCode != "" && p.AppPackageCode == c.cfg.AppPackageCode {
				m.Author.Role, m.Author.Self = helpdesk.RoleBot, true
			}
		}
	case "bot":
		m.Author.Role = helpdesk.RoleBot
		if c.cfg.AppPackageCode != "" && p.AppPackageCode == c.cfg.AppPackageCode {
			m.Author.Self = true
		}
	case "team":
		m.Author.Role = helpdesk.RoleAgent
	default:
		switch topic {
		case TopicUserCreated, TopicUserReplied:
			m.Author.Role = helpdesk.RoleCustomer
		case TopicOperatorReplied:
			m.Author.Role = helpdesk.RoleBot
		default:
			m.Author.Role = helpdesk.RoleSystem
		}
	}
	if topic == TopicOperatorReplied && m.Author.Role == helpdesk.RoleAgent {
		m.Author.Role = helpdesk.RoleBot
	}
	switch {
	case plain:
		m.Text = strings.TrimSpace(p.Body)
	default:
		m.Text = HTMLToText(p.Body)
		if strings.IndexByte(p.Body, '<') >= 0 {
			m.HTML = p.Body
		}
	}
	for _, a := range p.Attachments {
		m.Attachments = append(m.Attachments, helpdesk.Attachment{URL: a.URL, Name: a.Name, ContentType: a.ContentType, Size: a.Filesize})
	}
	return m, nil
}

// channelOf maps Intercom's source.type (or a Custom Action's channel) to
// a helpdesk.Channel.
func channelOf(t string) helpdesk.Channel {
	switch strings.ToLower(t) {
	case "":
		return helpdesk.ChannelUnknown
	case "conversation", "chat", "messenger_chat", "push", "web":
		return helpdesk.ChannelWebChat
	case "email":
		return helpdesk.ChannelEmail
	case "whatsapp":
		return helpdesk.ChannelWhatsApp
	case "instagram":
		return helpdesk.ChannelInstagram
	case "facebook":
		return helpdesk.ChannelMessenger
	case "sms":
		return helpdesk.ChannelSMS
	case "phone_call", "phone", "call":
		return helpdesk.ChannelVoice
	case "api":
		return helpdesk.ChannelAPI
	}
	return helpdesk.ChannelOther
}

// jsonProblem describes a decode error without quoting the body.
func jsonProblem(err error) string {
	if bytes.Contains([]byte(err.Error()), []byte("unexpected end")) {
		return "truncated"
	}
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at byte " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		return "field " + e.Field + " must be " + e.Type.String() + ", got " + e.Value
	}
	return "unreadable"
}
