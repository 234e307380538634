package zendesk

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

var _ driver.ConversationCreator = clientDriver{}

// newTicket is the body of POST /api/v2/tickets.
type newTicket struct {
	Subject     string        `json:"subject,omitempty"`
	Comment     newComment    `json:"comment"`
	Requester   *ticketPerson `json:"requester,omitempty"`
	RequesterID int64         `json:"requester_id,omitempty"`
	SubmitterID int64         `json:"submitter_id,omitempty"`
	Tags        []string      `json:"tags,omitempty"`
}

type newComment struct {
	Body   string `json:"body"`
	Public bool   `json:"public"`
}

type ticketPerson struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// CreateConversation implements driver.ConversationCreator: POST
// /api/v2/tickets opens a ticket requested by req.Requester, with req.Text
// as its first public comment and req.Tags as its tags (so agents can
// build a view and a close-sooner automation on them, e.g. "sms"). A
// requester with a numeric ID is the existing Zendesk user, also made the
// submitter so the first comment is theirs; otherwise Zendesk finds or
// creates the user by e-mail, or creates one named after the name or
// phone number. With req.IdempotencyKey the request carries Zendesk's
// Idempotency-Key, so a retried creation returns the same ticket.
func (d clientDriver) CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	t := newTicket{
		Subject: strings.TrimSpace(req.Subject),
		Comment: newComment{Body: req.Text, Public: true},
		Tags:    req.Tags,
	}
	if t.Subject == "" {
		t.Subject = subjectFrom(req)
	}
	if id, err := strconv.ParseInt(req.Requester.ID, 10, 64); err == nil && id > 0 {
		t.RequesterID, t.SubmitterID = id, id
	} else {
		name := strings.TrimSpace(req.Requester.Name)
		if name == "" {
			name = req.Requester.Phone
		}
		if name == "" {
			name = req.Requester.Email
		}
		t.Requester = &ticketPerson{Name: name, Email: req.Requester.Email}
	}
	var res struct {
		Ticket struct {
			ID ID `json:"id"`
		} `json:"ticket"`
	}
	_, err := d.c.support.Do(ctx, &transport.Request{
		Method:         http.MethodPost,
		Path:           "/api/v2/tickets",
		Body:           map[string]newTicket{"ticket": t},
		IdempotencyKey: req.IdempotencyKey,
	}, &res)
	if err != nil {
		return helpdesk.Conversation{}, fieldError(err)
	}
	conv := TicketConversation(d.c.cfg.Subdomain, int64(res.Ticket.ID))
	if req.Channel != "" {
		conv.Channel = req.Channel
	}
	return conv, nil
}

// subjectFrom makes a subject from the channel and the first line of the
// text, as Zendesk does for messaging tickets.
func subjectFrom(req helpdesk.NewConversation) string {
	line := strings.TrimSpace(req.Text)
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	if r := []rune(line); len(r) > 60 {
		line = string(r[:60]) + "…"
	}
	switch req.Channel {
	case helpdesk.ChannelSMS:
		return "SMS: " + line
	case "":
		return line
	}
	return string(req.Channel) + ": " + line
}

// CreateConversation opens a ticket on behalf of a customer (see
// clientDriver.CreateConversation), through the portable checks:
// helpdesk.CreateConversation(ctx, c, req) reaches it.
func (c *Client) CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	return c.Helpdesk.(helpdesk.ConversationCreator).CreateConversation(ctx, req)
}
