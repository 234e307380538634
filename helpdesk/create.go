package helpdesk

import (
	"context"
	"fmt"
	"strings"
)

// NewConversation is what CreateConversation needs to open a conversation
// (a ticket) on behalf of a customer: for example an SMS the customer sent
// through another system, bridged into the helpdesk.
type NewConversation struct {
	// Requester is the customer: at least one of ID, Email or Phone
	// (E.164), and a Name when known.
	Requester Author
	// Subject of the ticket, where the vendor has one.
	Subject string
	// Text is the customer's first message.
	Text string
	// Channel says where the customer wrote (ChannelSMS for a bridged
	// text); drivers record it the way their vendor can.
	Channel Channel
	// Tags to put on the conversation, so agents can build views and
	// automations on them.
	Tags []string
	// IdempotencyKey, when set, makes a retried creation return the same
	// conversation where the vendor honours one.
	IdempotencyKey string
}

// Validate reports a request without text or without any way to identify
// the requester.
func (n NewConversation) Validate() error {
	if n.Requester.ID == "" && n.Requester.Email == "" && n.Requester.Phone == "" {
		return &FieldError{Field: "requester", Problem: "an id, an e-mail or a phone number is required"}
	}
	if strings.TrimSpace(n.Text) == "" {
		return &FieldError{Field: "text", Problem: "empty first message"}
	}
	return nil
}

// ConversationCreator is implemented by the Helpdesk of every driver (and
// the Fake); it works where Capabilities has CapCreateConversation and
// fails with ErrUnsupported elsewhere.
type ConversationCreator interface {
	CreateConversation(ctx context.Context, req NewConversation) (Conversation, error)
}

// CreateConversation opens a conversation on h on behalf of a customer. It
// fails with ErrUnsupported, without a request, when h cannot.
func CreateConversation(ctx context.Context, h Helpdesk, req NewConversation) (Conversation, error) {
	c, ok := h.(ConversationCreator)
	if !ok || !h.Capabilities().Has(CapCreateConversation) {
		return Conversation{}, errUnsupportedCreate
	}
	return c.CreateConversation(ctx, req)
}

var errUnsupportedCreate = &OpError{Op: OpCreateConversation, Err: fmt.Errorf("this helpdesk cannot open conversations: %w", ErrUnsupported)}
