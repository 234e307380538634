package intercom

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// ActionBodyTemplate is the request body to paste into the Custom Action
// (Settings → Integrations → Actions → your action → API connection →
// Request body, method POST, URL your bot's /actions/intercom endpoint,
// Authentication: a "Text" token sent as Authorization: Bearer <token>,
// the same as Config.ActionTokens). Replace each {{…}} by inserting the
// attribute of that meaning from the editor's attribute picker (type "{");
// Intercom's attribute labels vary by workspace language. Keep the JSON
// quotes around every value.
//
// conversation_id and message are required; the others fill the event's
// Conversation.Extra and Author. message_id, when your workspace offers
// the last message's part id, makes redeliveries (the workflow's fallback
// action repeats the call when the first fails) deduplicate exactly;
// without it, a call is identified by its conversation, text and
// created_at.
//
// Intercom does not sign these requests: the bearer token is the only
// credential, so use a long random token and restrict the endpoint to
// Intercom's published IP ranges where you can. The driver's handler
// answers as soon as the message is queued (helpdesk.WebhookOptions
// QueueSize > 0), well within the action's timeout, and the bot replies
// through the REST API, never in the action's response.
const ActionBodyTemplate = `{
  "conversation_id": "{{conversation.id}}",
  "message": "{{conversation.last_message}}",
  "message_id": "{{conversation.last_message_id}}",
  "created_at": "{{conversation.last_message_at}}",
  "contact_id": "{{contact.id}}",
  "email": "{{contact.email}}",
  "name": "{{contact.name}}",
  "channel": "{{conversation.channel}}",
  "team_id": "{{conversation.team_assignee_id}}",
  "admin_assignee_id": "{{conversation.admin_assignee_id}}",
  "workspace_id": "{{workspace.id}}"
}`

// ActionRequest is the body ActionBodyTemplate produces. Every value is a
// string, as the template quotes them; numbers are accepted too.
type ActionRequest struct {
	ConversationID string `json:"conversation_id"`
	Message        string `json:"message"`
	MessageID      string `json:"message_id,omitempty"`
	CreatedAt      string `json:"created_at,omitempty"`
	ContactID      string `json:"contact_id,omitempty"`
	Email          string `json:"email,omitempty"`
	Name           string `json:"name,omitempty"`
	Channel        string `json:"channel,omitempty"`
	TeamID         string `json:"team_id,omitempty"`
	AdminAssignee  string `json:"admin_assignee_id,omitempty"`
	WorkspaceID    string `json:"workspace_id,omitempty"`
}

// actionBody decodes ActionRequest tolerantly: any JSON scalar per field.
type actionBody struct {
	ConversationID *id `json:"conversation_id"`
	Message        *id `json:"message"`
	MessageID      id  `json:"message_id"`
	CreatedAt      id  `json:"created_at"`
	ContactID      id  `json:"contact_id"`
	Email          id  `json:"email"`
	Name           id  `json:"name"`
	Channel        id  `json:"channel"`
	TeamID         id  `json:"team_id"`
	AdminAssignee  id  `json:"admin_assignee_id"`
	WorkspaceID    id  `json:"workspace_id"`
}

// unfilled reports a template placeholder Intercom left as is (an
// attribute the workspace does not have).
func unfilled(s string) bool { return strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") }

func clean(v id) string {
	s := strings.TrimSpace(string(v))
	if unfilled(s) {
		return ""
	}
	return s
}

// parseAction maps a Custom Action request to one customer
// EventMessageCreated. A body without conversation_id or message, or with
// a conversation_id that is not a number, is refused with 400 naming the
// problem.
func (c *Client) parseAction(req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	var b actionBody
	if err := json.Unmarshal(req.Body, &b); err != nil {
		return nil, driver.InvalidPayload("Custom Action body is not the JSON object of intercom.ActionBodyTemplate: %s", jsonProblem(err))
	}
	var missing []string
	if b.ConversationID == nil || clean(*b.ConversationID) == "" {
		missing = append(missing, "conversation_id")
	}
	if b.Message == nil || unfilled(strings.TrimSpace(string(*b.Message))) {
		missing = append(missing, "message")
	}
	if len(missing) > 0 {
		return nil, driver.InvalidPayload("Custom Action body is missing %s (see intercom.ActionBodyTemplate)", strings.Join(missing, " and "))
	}
	convID := clean(*b.ConversationID)
	if !isDigits(convID) {
		return nil, driver.InvalidPayload("Custom Action conversation_id must be the numeric conversation id")
	}
	app := clean(b.WorkspaceID)
	if app == "" {
		app = c.cfg.AppID
	}
	channel := clean(b.Channel)
	conv := helpdesk.Conversation{Vendor: Vendor, Account: app, ID: convID, Channel: channelOf(channel)}
	extra := map[string]string{ExtraEntry: EntryAction}
	if v := clean(b.ContactID); v != "" {
		extra[ExtraContactID] = v
	}
	if v := clean(b.TeamID); v != "" {
		extra[ExtraTeamAssigneeID] = v
	}
	if v := clean(b.AdminAssignee); v != "" && v != "0" {
		extra[ExtraAdminAssigneeID] = v
	}
	if channel != "" {
		extra[ExtraSourceType] = channel
	}
	conv.Extra = extra
	body := string(*b.Message)
	m := &helpdesk.InboundMessage{
		ID:     clean(b.MessageID),
		Text:   HTMLToText(body),
		Public: true,
		Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: clean(b.ContactID), Name: clean(b.Name), Email: clean(b.Email)},
	}
	if strings.IndexByte(body, '<') >= 0 {
		m.HTML = body
	}
	ev := helpdesk.Event{Type: helpdesk.EventMessageCreated, VendorType: "custom_action", Conversation: conv, Message: m, Raw: req.Body}
	created := clean(b.CreatedAt)
	if n, err := strconv.ParseInt(created, 10, 64); err == nil && n > 0 {
		ev.OccurredAt = time.Unix(n, 0).UTC()
	} else if !req.ReceivedAt.IsZero() {
		ev.OccurredAt = req.ReceivedAt.UTC()
	}
	if m.ID != "" {
		ev.DeliveryID = "intercom:" + app + ":" + convID + ":" + m.ID
	} else {
		sum := sha256.Sum256([]byte(convID + "\x00" + body + "\x00" + created))
		ev.DeliveryID = "intercom:" + app + ":" + convID + ":action-" + hex.EncodeToString(sum[:12])
	}
	return []helpdesk.Event{ev}, nil
}
