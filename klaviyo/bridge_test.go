package klaviyo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
)

func TestIsKeyword(t *testing.T) {
	tests := []struct {
		text   string
		custom []string
		want   bool
	}{
		{"STOP", nil, true},
		{"stop", nil, true},
		{"  Stop!  ", nil, true},
		{"join", nil, true},
		{"Start.", nil, true},
		{"help", nil, true},
		{"Please stop texting me about the order", nil, false},
		{"stopp", nil, false},
		{"", nil, false},
		{"PROMOÇÃO", []string{"promocao"}, true},
		{"promoção", []string{"PROMOÇÃO"}, true},
		{"Promoção de verão", []string{"promocao"}, false},
		{"VIP", []string{"vip", ""}, true},
		{"Où est ma commande ?", nil, false},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, klaviyo.IsKeyword(tc.text, tc.custom...), "%q %q", tc.text, tc.custom)
	}
}

type bridgeEnv struct {
	srv    *klaviyotest.Server
	sms    *klaviyo.Client
	desk   *helpdesktest.Fake
	bridge *klaviyo.Bridge
	parse  func(body []byte) helpdesk.Event
}

func newBridge(t *testing.T, opts *klaviyo.BridgeOptions) (*bridgeEnv, func(phone string) string, func(profile, text string) []byte) {
	c, srv := newClient(t, nil)
	desk := helpdesktest.NewFake()
	b, err := klaviyo.NewBridge(c, desk, opts)
	require.NoError(t, err)
	env := &bridgeEnv{srv: srv, sms: c, desk: desk, bridge: b, parse: func(body []byte) helpdesk.Event {
		events, err := parse(t, c, body, time.Time{})
		require.NoError(t, err)
		require.Len(t, events, 1)
		return events[0]
	}}
	return env, func(phone string) string { return srv.NewProfile(phone, "") }, srv.SentSMS
}

func TestBridge(t *testing.T) {
	ctx := context.Background()
	env, newProfile, sent := newBridge(t, &klaviyo.BridgeOptions{Keywords: []string{"VIP"}})
	srv := env.srv
	ana := newProfile("+5511987654321")

	// Keywords open no ticket.
	for _, kw := range []string{"STOP", "join", "Help", "vip"} {
		require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(sent(ana, kw))))
	}
	require.Zero(t, env.desk.Requests(), "keywords are Klaviyo's to answer")

	// The first text opens a ticket requested by the customer, tagged.
	require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(sent(ana, "Meu pedido não chegou"))))
	link, ok, err := env.bridge.Links().ByPhone(ctx, "+5511987654321")
	require.NoError(t, err)
	require.True(t, ok)
	fc, ok := env.desk.Conversation(link.Ticket.ID)
	require.True(t, ok)
	require.Equal(t, klaviyo.DefaultBridgeTags, fc.Tags)
	require.Equal(t, helpdesk.ChannelSMS, fc.Conversation.Channel)
	require.Equal(t, "Meu pedido não chegou", fc.Messages[0].Text)

	// The next text joins the open ticket instead of opening another.
	require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(sent(ana, "É o pedido 4821"))))
	fc, _ = env.desk.Conversation(link.Ticket.ID)
	require.Len(t, fc.Messages, 2)
	require.Contains(t, fc.Messages[1].Text, "É o pedido 4821")
	require.False(t, fc.Messages[1].Public, "added as an internal note, never sent to the customer by the helpdesk")

	// A public agent reply goes back by SMS; the bot's own replies and
	// internal notes do not.
	deskEvent := func(role helpdesk.Role, self, public bool, text, id string) helpdesk.Event {
		return helpdesk.Event{Type: helpdesk.EventMessageCreated, DeliveryID: id, Conversation: link.Ticket,
			Message: &helpdesk.InboundMessage{Author: helpdesk.Author{Role: role, Self: self}, Text: text, Public: public}}
	}
	require.NoError(t, env.bridge.HandleDesk(ctx, deskEvent(helpdesk.RoleAgent, false, true, "Chega amanhã!", "z1")))
	require.NoError(t, env.bridge.HandleDesk(ctx, deskEvent(helpdesk.RoleBot, true, true, "bot answer", "z2")))
	require.NoError(t, env.bridge.HandleDesk(ctx, deskEvent(helpdesk.RoleAgent, false, false, "internal", "z3")))
	require.NoError(t, env.bridge.HandleDesk(ctx, deskEvent(helpdesk.RoleCustomer, false, true, "customer", "z4")))
	require.Equal(t, []string{"Chega amanhã!"}, srv.Outbound(ana))

	// The echo of that text is the account's own: never bridged back.
	require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(srv.ReceivedSMS(ana, "Chega amanhã!"))))
	fc, _ = env.desk.Conversation(link.Ticket.ID)
	require.Len(t, fc.Messages, 2)

	// Once the ticket is closed, the next text opens a new one.
	require.NoError(t, env.bridge.HandleDesk(ctx, helpdesk.Event{Type: helpdesk.EventStatusChanged, Conversation: link.Ticket,
		Status: &helpdesk.StatusChange{To: helpdesk.StatusClosed}}))
	require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(sent(ana, "Outra dúvida"))))
	again, ok, err := env.bridge.Links().ByPhone(ctx, "+5511987654321")
	require.NoError(t, err)
	require.True(t, ok)
	require.NotEqual(t, link.Ticket.ID, again.Ticket.ID)

	// A redelivered text does not open a second ticket.
	before := env.desk.Requests()
	require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(sent(ana, "Outra dúvida"))))
	after, _, _ := env.bridge.Links().ByPhone(ctx, "+5511987654321")
	require.Equal(t, again.Ticket.ID, after.Ticket.ID)
	require.Equal(t, before+1, env.desk.Requests(), "the redelivery joins the ticket as a note, with the same idempotency key")
}

func TestBridgeWithoutPhone(t *testing.T) {
	env, _, _ := newBridge(t, nil)
	e := env.parse(klaviyotest.Delivery(klaviyotest.SMSItem(klaviyo.TopicSentSMS, "01E77", "01P77", "", "", "hello", time.Now())))
	require.NoError(t, env.bridge.HandleSMS(context.Background(), e), "no phone: logged, not retried")
	require.Zero(t, env.desk.Requests())
}

func TestBridgeClosedTicketOpensNew(t *testing.T) {
	ctx := context.Background()
	env, newProfile, sent := newBridge(t, nil)
	p := newProfile("+5521912345678")
	require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(sent(p, "oi"))))
	link, _, _ := env.bridge.Links().ByPhone(ctx, "+5521912345678")
	env.desk.FailNext(helpdesktest.OpSendMessage, helpdesk.ErrConversationClosed)
	require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(sent(p, "ainda aí?"))))
	now, _, _ := env.bridge.Links().ByPhone(ctx, "+5521912345678")
	require.NotEqual(t, link.Ticket.ID, now.Ticket.ID)
}

func TestNewBridgeNeedsCreate(t *testing.T) {
	c, _ := newClient(t, nil)
	desk := helpdesktest.NewFake(helpdesktest.WithCapabilities(helpdesk.Capabilities(helpdesk.CapSendMessage)))
	_, err := klaviyo.NewBridge(c, desk, nil)
	require.ErrorIs(t, err, klaviyo.ErrInvalidConfig)
	require.Contains(t, err.Error(), "CapCreateConversation")
}

func TestBridgeHandover(t *testing.T) {
	ctx := context.Background()
	env, newProfile, sent := newBridge(t, nil)
	p := newProfile("+5531998765432")
	conv := env.parse(sent(p, "quero falar com alguém")).Conversation
	ticket, err := env.bridge.Handover(ctx, conv, "The customer asked for a human.", "h1")
	require.NoError(t, err)
	fc, ok := env.desk.Conversation(ticket.ID)
	require.True(t, ok)
	require.Equal(t, "The customer asked for a human.", fc.Messages[0].Text)
	again, err := env.bridge.Handover(ctx, conv, "Still waiting.", "h2")
	require.NoError(t, err)
	require.Equal(t, ticket.ID, again.ID, "a linked phone keeps its ticket")

	// The agent's reply reaches the customer.
	require.NoError(t, env.bridge.HandleDesk(ctx, helpdesk.Event{Type: helpdesk.EventMessageCreated, DeliveryID: "z9", Conversation: ticket,
		Message: &helpdesk.InboundMessage{Author: helpdesk.Author{Role: helpdesk.RoleAgent}, Text: "Oi, sou a Bia.", Public: true}}))
	require.Equal(t, []string{"Oi, sou a Bia."}, env.srv.Outbound(p))

	_, err = env.bridge.Handover(ctx, helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: "01P"}, "x", "h3")
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
}

// An agent's reply Klaviyo cannot confirm is not texted again; the agent
// finds a note on the ticket saying so, once, and a redelivery of the
// reply sends nothing.
func TestBridgeUnconfirmedReplyLeavesANote(t *testing.T) {
	ctx := context.Background()
	env, newProfile, sent := newBridge(t, nil)
	p := newProfile("+5541987650000")
	require.NoError(t, env.bridge.HandleSMS(ctx, env.parse(sent(p, "cadê meu pedido?"))))
	link, ok, err := env.bridge.Links().ByPhone(ctx, "+5541987650000")
	require.NoError(t, err)
	require.True(t, ok)
	reply := helpdesk.Event{Type: helpdesk.EventMessageCreated, DeliveryID: "z5", Conversation: link.Ticket,
		Message: &helpdesk.InboundMessage{Author: helpdesk.Author{Role: helpdesk.RoleAgent}, Text: "Chega sexta.", Public: true}}
	env.srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.FaultResetBefore}})
	require.NoError(t, env.bridge.HandleDesk(ctx, reply))
	env.srv.InjectFaults(drivertest.FaultPlan{})
	require.NoError(t, env.bridge.HandleDesk(ctx, reply), "the redelivery")
	require.Empty(t, env.srv.Outbound(p), "not texted again")
	require.Equal(t, 1, env.srv.RequestsTo(sendPath))
	fc, _ := env.desk.Conversation(link.Ticket.ID)
	last := fc.Messages[len(fc.Messages)-1]
	require.Equal(t, klaviyo.UnconfirmedNote, last.Text)
	require.False(t, last.Public)
	var notes int
	for _, m := range fc.Messages {
		if m.Text == klaviyo.UnconfirmedNote {
			notes++
		}
	}
	require.Equal(t, 1, notes)
}
