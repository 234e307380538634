package minidriver

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// Webhook headers.
const (
	SignatureHeader = "X-Minidesk-Signature"
	TimestampHeader = "X-Minidesk-Timestamp"
)

// Scheme is how Minidesk signs deliveries: "X-Minidesk-Signature:
// v1=<hex HMAC-SHA256 of "<unix ts>.<body>">", the time in
// X-Minidesk-Timestamp. Test signers sign with Scheme.SignRequest. Do not
// modify it.
var Scheme = driver.Scheme{
	Header:          SignatureHeader,
	Prefix:          "v1=",
	Hash:            sha256.New,
	Encoding:        driver.Hex,
	TimestampHeader: TimestampHeader,
	TimeFormat:      driver.UnixSeconds,
	Message: func(req *helpdesk.WebhookRequest, ts string) [][]byte {
		return [][]byte{[]byte(ts), []byte("."), req.Body}
	},
}

// EventReplyCreated is the delivery type of a new reply or note, the one
// this driver maps; deliveries of other types give no events.
const EventReplyCreated = "reply.created"

// Author types in a reply.
const (
	AuthorCustomer = "customer"
	AuthorAgent    = "agent"
	AuthorBot      = "bot"
)

// delivery is a webhook body. Only what identifies the reply is required:
// an unreadable created_at never hides a customer's message.
type delivery struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	TicketID flexID `json:"ticket_id"`
	Reply    *struct {
		ID       flexID `json:"id"`
		Body     string `json:"body"`
		Internal bool   `json:"internal"`
		Author   struct {
			Type string `json:"type"`
			ID   flexID `json:"id"`
		} `json:"author"`
	} `json:"reply"`
	CreatedAt string `json:"created_at"`
}

func (c *Client) verifyWebhook(req *helpdesk.WebhookRequest) error {
	_, err := c.verifier.Verify(req, &Scheme)
	return err
}

func (c *Client) parseWebhook(req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if err := req.RequireJSON(); err != nil {
		return nil, err
	}
	var d delivery
	if err := json.Unmarshal(req.Body, &d); err != nil {
		return nil, driver.InvalidPayload("body is not a Minidesk delivery")
	}
	if d.Type != EventReplyCreated {
		return nil, nil
	}
	if d.Reply == nil || !numericID(string(d.TicketID)) {
		return nil, driver.InvalidPayload("reply.created without a reply or a ticket_id")
	}
	id := d.ID
	if id == "" {
		if d.Reply.ID == "" {
			return nil, driver.InvalidPayload("reply.created without a delivery or reply id")
		}
		id = "reply:" + string(d.TicketID) + ":" + string(d.Reply.ID)
	}
	author := helpdesk.Author{ID: string(d.Reply.Author.ID)}
	switch strings.ToLower(d.Reply.Author.Type) {
	case AuthorCustomer:
		author.Role = helpdesk.RoleCustomer
	case AuthorAgent:
		author.Role = helpdesk.RoleAgent
	case AuthorBot:
		author.Role = helpdesk.RoleBot
	default:
		author.Role = helpdesk.RoleSystem
	}
	if author.ID != "" && author.ID == c.cfg.BotAgentID {
		author.Self, author.Role = true, helpdesk.RoleBot
	}
	return []helpdesk.Event{{
		Type:         helpdesk.EventMessageCreated,
		VendorType:   d.Type,
		DeliveryID:   id,
		OccurredAt:   occurredAt(d.CreatedAt, req),
		Conversation: helpdesk.Conversation{Vendor: Vendor, ID: string(d.TicketID)},
		Message: &helpdesk.InboundMessage{
			ID:     string(d.Reply.ID),
			Author: author,
			Text:   d.Reply.Body,
			Public: !d.Reply.Internal,
		},
		Raw: json.RawMessage(bytes.Clone(req.Body)),
	}}, nil
}

// occurredAt is created_at, or else the (verified) signed time.
func occurredAt(createdAt string, req *helpdesk.WebhookRequest) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, createdAt); err == nil {
		return t
	}
	t, _ := Scheme.TimeFormat.Parse(req.Header.Get(TimestampHeader))
	return t
}
