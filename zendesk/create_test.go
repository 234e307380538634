package zendesk_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

func TestCreateConversation(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	ctx := context.Background()
	require.True(t, c.Capabilities().Has(helpdesk.CapCreateConversation))

	req := helpdesk.NewConversation{
		Requester:      helpdesk.Author{Phone: "+5511987654321", Name: "Ana"},
		Text:           "Meu pedido não chegou.\nPode verificar?",
		Channel:        helpdesk.ChannelSMS,
		Tags:           []string{"sms", "klaviyo"},
		IdempotencyKey: "sms:01E000001",
	}
	conv, err := helpdesk.CreateConversation(ctx, c, req)
	require.NoError(t, err)
	require.Equal(t, zendesk.Vendor, conv.Vendor)
	require.Equal(t, helpdesk.ChannelSMS, conv.Channel)
	id, err := strconv.ParseInt(conv.ID, 10, 64)
	require.NoError(t, err)
	tk, ok := srv.Ticket(id)
	require.True(t, ok)
	require.Equal(t, "SMS: Meu pedido não chegou.", tk.Subject)
	require.Equal(t, req.Text, tk.Comments[0].Body)

	require.True(t, tk.Comments[0].Public)
	require.Equal(t, []string{"sms", "klaviyo"}, srv.TicketTags(id))
	require.Equal(t, zendesk.TicketConversation(srv.Options().Subdomain, id).Key(), conv.Key(), "named as webhooks name it")

	// The same idempotency key returns the same ticket.
	before := srv.Requests()
	again, err := helpdesk.CreateConversation(ctx, c, req)
	require.NoError(t, err)
	require.Equal(t, conv.ID, again.ID)
	require.Equal(t, before+1, srv.Requests())

	// A known Zendesk user is the requester.
	other, err := helpdesk.CreateConversation(ctx, c, helpdesk.NewConversation{Requester: helpdesk.Author{ID: "9001"}, Text: "hi"})
	require.NoError(t, err)
	require.NotEqual(t, conv.ID, other.ID)

	// The bot answers on the new ticket with the conversation it got.
	_, err = c.SendMessage(ctx, conv, helpdesk.Message{Text: "Vou verificar."})
	require.NoError(t, err)
}

func TestCreateConversationRefusedLocally(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	before := srv.Requests()
	_, err := helpdesk.CreateConversation(context.Background(), c, helpdesk.NewConversation{Text: "hi"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	_, err = helpdesk.CreateConversation(context.Background(), c, helpdesk.NewConversation{Requester: helpdesk.Author{Email: "a@example.com"}, Text: " "})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Equal(t, before, srv.Requests())
}
