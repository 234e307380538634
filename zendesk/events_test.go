package zendesk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// Fixture sources: testdata/README.md.

func parseEventFixture(t *testing.T, c *zendesk.Client, name string) ([]helpdesk.Event, error) {
	t.Helper()
	return c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, fixture(t, name), t0, "01J0INVOCATION"))
}

// Event-subscription webhooks carry the trigger signature headers; they
// used to reach the trigger parser and be refused with 400 "ticketId is
// missing or not a number".
func TestEventSubscriptionWebhooks(t *testing.T) {
	c := webhookClient(t)
	conv := func(ticket string, ch helpdesk.Channel, extra map[string]string) helpdesk.Conversation {
		extra[zendesk.ExtraTicketID] = ticket
		return helpdesk.Conversation{Vendor: "zendesk", Account: "acme", ID: ticket, Channel: ch, Extra: extra}
	}
	web := func(group, assignee, updated string) map[string]string {
		m := map[string]string{zendesk.ExtraRequesterID: "7001", zendesk.ExtraVia: "web", zendesk.ExtraUpdatedAt: updated}
		if group != "" {
			m[zendesk.ExtraGroupID] = group
		}
		if assignee != "" {
			m[zendesk.ExtraAssigneeID] = assignee
		}
		return m
	}
	tests := []struct {
		file string
		want helpdesk.Event
	}{
		{"event_comment_added_customer.json", helpdesk.Event{
			Type: helpdesk.EventMessageCreated, VendorType: zendesk.EventTypeCommentAdded, DeliveryID: "ticket:4711:comment:31234567890200",
			OccurredAt:   time.Date(2026, 7, 1, 10, 0, 0, 672717030, time.UTC),
			Conversation: conv("4711", helpdesk.ChannelEmail, web("100", "9001", "2026-07-01T10:00:00Z")),
			Status:       &helpdesk.StatusChange{To: helpdesk.StatusOpen, VendorTo: "OPEN"},
			Message: &helpdesk.InboundMessage{ID: "31234567890200", Text: "Ainda não recebi. Pode verificar?", Subject: "Pedido não chegou", Public: true,
				Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "7001", Name: "Maria Silva"}},
		}},
		{"event_comment_added_agent_numeric.json", helpdesk.Event{
			Type: helpdesk.EventMessageCreated, VendorType: zendesk.EventTypeCommentAdded, DeliveryID: "ticket:4711:comment:31234567890300",
			OccurredAt:   time.Date(2026, 7, 1, 10, 5, 0, 123456789, time.UTC),
			Conversation: conv("4711", helpdesk.ChannelEmail, web("100", "8001", "2026-07-01T10:05:00Z")),
			Status:       &helpdesk.StatusChange{To: helpdesk.StatusOpen, VendorTo: "OPEN"},
			Message: &helpdesk.InboundMessage{ID: "31234567890300", Text: "Estamos verificando com a transportadora.", Subject: "Pedido não chegou",
				Author: helpdesk.Author{Role: helpdesk.RoleAgent, ID: "8001", Name: "Ana Agent"}},
		}},
		{"event_comment_added_bot.json", helpdesk.Event{
			Type: helpdesk.EventMessageCreated, VendorType: zendesk.EventTypeCommentAdded, DeliveryID: "ticket:4711:comment:31234567890250",
			OccurredAt:   time.Date(2026, 7, 1, 10, 1, 0, 5e8, time.UTC),
			Conversation: conv("4711", helpdesk.ChannelEmail, web("100", "9001", "2026-07-01T10:01:00Z")),
			Status:       &helpdesk.StatusChange{To: helpdesk.StatusPending, VendorTo: "PENDING"},
			Message: &helpdesk.InboundMessage{ID: "31234567890250", Text: "Vou verificar agora.", Subject: "Pedido não chegou", Public: true,
				Author: helpdesk.Author{Role: helpdesk.RoleBot, ID: "9001", Name: "Support Bot", Self: true}},
		}},
		{"event_status_changed.json", helpdesk.Event{
			Type: helpdesk.EventStatusChanged, VendorType: zendesk.EventTypeStatusChanged, DeliveryID: "event:6a3b3a7e-52a4-4b53-9b0c-8f7b0a4d2c01",
			OccurredAt:   time.Date(2026, 7, 1, 11, 0, 0, 25e7, time.UTC),
			Conversation: conv("4711", helpdesk.ChannelEmail, web("200", "8001", "2026-07-01T11:00:00Z")),
			Status:       &helpdesk.StatusChange{From: helpdesk.StatusOpen, To: helpdesk.StatusResolved, VendorFrom: "OPEN", VendorTo: "SOLVED"},
		}},
		{"event_agent_assignment_changed.json", helpdesk.Event{
			Type: helpdesk.EventConversationAssigned, VendorType: zendesk.EventTypeAgentAssignmentChanged, DeliveryID: "event:1e0d7a55-0c51-4b8e-a3a4-6c3f3a3b9d02",
			OccurredAt:   time.Date(2026, 7, 1, 10, 30, 0, 0, time.UTC),
			Conversation: conv("4711", helpdesk.ChannelEmail, web("200", "8001", "2026-07-01T10:30:00Z")),
			Status:       &helpdesk.StatusChange{To: helpdesk.StatusOpen, VendorTo: "OPEN"},
			Assignment:   &helpdesk.Assignment{AgentID: "8001", GroupID: "200"},
		}},
		{"event_group_assignment_changed.json", helpdesk.Event{
			Type: helpdesk.EventConversationAssigned, VendorType: zendesk.EventTypeGroupAssignmentChanged, DeliveryID: "event:2f1e8b66-1d62-4c9f-b4b5-7d4a4b4c0e03",
			OccurredAt:   time.Date(2026, 7, 1, 10, 29, 0, 0, time.UTC),
			Conversation: conv("4711", helpdesk.ChannelEmail, web("200", "", "2026-07-01T10:29:00Z")),
			Status:       &helpdesk.StatusChange{To: helpdesk.StatusOpen, VendorTo: "OPEN"},
			Assignment:   &helpdesk.Assignment{GroupID: "200"},
		}},
		{"event_ticket_created.json", helpdesk.Event{
			Type: helpdesk.EventConversationCreated, VendorType: zendesk.EventTypeTicketCreated, DeliveryID: "event:3a2f9c77-2e73-4da0-85c6-8e5b5c5d1f04",
			OccurredAt: time.Date(2026, 7, 1, 9, 58, 0, 9e8, time.UTC),
			Conversation: conv("4711", helpdesk.ChannelEmail, map[string]string{zendesk.ExtraRequesterID: "7001", zendesk.ExtraVia: "email",
				zendesk.ExtraUpdatedAt: "2026-07-01T09:58:00Z", zendesk.ExtraGroupID: "100"}),
			Status: &helpdesk.StatusChange{To: helpdesk.StatusNew, VendorTo: "NEW"},
		}},
		{"event_priority_changed.json", helpdesk.Event{
			Type: helpdesk.EventOther, VendorType: "zen:event-type:ticket.priority_changed", DeliveryID: "event:4b3fad88-3f84-4eb1-96d7-9f6c6d6e2a05",
			OccurredAt:   time.Date(2026, 7, 1, 10, 40, 0, 0, time.UTC),
			Conversation: conv("4711", helpdesk.ChannelEmail, web("", "", "2026-07-01T10:40:00Z")),
		}},
		{"event_messaging_message_added_system.json", helpdesk.Event{
			Type: helpdesk.EventMessageCreated, VendorType: zendesk.EventTypeMessagingMessageAdded, DeliveryID: "ticket:141:message:67ab5f55155becd183e284cb",
			OccurredAt:   time.Date(2025, 2, 11, 14, 32, 5, 254571515, time.UTC),
			Conversation: conv("141", helpdesk.ChannelWebChat, map[string]string{}),
			Message: &helpdesk.InboundMessage{ID: "67ab5f55155becd183e284cb", Text: "Hi there. How can I help you today?", Public: true,
				Author: helpdesk.Author{Role: helpdesk.RoleSystem, ID: "zd:answerBot", Name: "Z3n Tests (ff66ff 403433/1724317083)"}},
		}},
		{"event_messaging_message_added_end_user.json", helpdesk.Event{
			Type: helpdesk.EventMessageCreated, VendorType: zendesk.EventTypeMessagingMessageAdded, DeliveryID: "ticket:141:message:67ab5f61155becd183e284d0",
			OccurredAt:   time.Date(2025, 2, 11, 14, 32, 17, 4571515, time.UTC),
			Conversation: conv("141", helpdesk.ChannelWebChat, map[string]string{}),
			Message: &helpdesk.InboundMessage{ID: "67ab5f61155becd183e284d0", Text: "Quero trocar o tamanho.", Public: true,
				Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "7002", Name: "João Souza"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			events, err := parseEventFixture(t, c, tc.file)
			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Empty(t, cmp.Diff(tc.want, events[0], cmpopts.IgnoreFields(helpdesk.Event{}, "Raw", "Extra")))
			p, ok := events[0].Extra.(*zendesk.EventPayload)
			require.True(t, ok, "Extra is %T", events[0].Extra)
			require.Equal(t, tc.want.VendorType, p.Type)
			require.Equal(t, "2022-11-06", p.ZendeskEventVersion)
			require.NotEmpty(t, p.AccountID)
		})
	}

	customer, err := parseEventFixture(t, c, "event_comment_added_customer.json")
	require.NoError(t, err)
	require.True(t, customer[0].IsCustomerMessage())
	private := strings.Replace(string(fixture(t, "event_comment_added_customer.json")), `"is_public": true
    }`, `"is_public": false
    }`, 1)
	events, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, []byte(private), t0, ""))
	require.NoError(t, err)
	require.Equal(t, helpdesk.RoleCustomer, events[0].Message.Author.Role)
	require.False(t, events[0].Message.Public, "an internal note of the requester stays not public")
}

// One comment delivered by a trigger webhook and by an event subscription
// is one delivery id, so a host that configured both answers once.
func TestEventAndTriggerOfOneCommentShareDeliveryID(t *testing.T) {
	c := webhookClient(t)
	trig := zendesktest.TriggerBody(zendesk.TriggerPayload{TicketID: "4711", CommentID: "31234567890200", Text: "Ainda não recebi. Pode verificar?",
		IsPublic: "true", Author: zendesk.TriggerUser{ID: "7001"}, Sender: zendesk.TriggerUser{ID: "7001"}})
	var handled atomic.Int32
	h, err := helpdesk.NewWebhookHandler(c, func(context.Context, helpdesk.Event) error {
		handled.Add(1)
		return nil
	}, nil)
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	for _, body := range [][]byte{trig, fixture(t, "event_comment_added_customer.json")} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, zendesktest.NewTriggerRequest(testSecret, body, now, ""))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	require.Equal(t, int32(1), handled.Load())
}

func TestEventWebhookFieldsItNeeds(t *testing.T) {
	c := webhookClient(t)
	base := string(fixture(t, "event_comment_added_customer.json"))
	for name, edit := range map[string][2]string{
		"comment id missing": {`"id": "31234567890200",`, ``},
		"body not a string":  {`"body": "Ainda não recebi. Pode verificar?",`, `"body": {"text": "x"},`},
		"is_public missing": {`,
      "is_public": true`, ``},
		"is_public malformed": {`"is_public": true
    }`, `"is_public": "yes"
    }`},
		"author id missing": {`"author": {"id": "7001", "is_staff": false, "name": "Maria Silva"}`, `"author": {"name": "Maria Silva"}`},
		"comment not object": {`"event": {
    "comment": {`, `"event": {"comment": "x", "c": {`},
		"no ticket id": {`"id": "4711",`, `"id": "x",`},
	} {
		body := strings.Replace(base, edit[0], edit[1], 1)
		require.NotEqual(t, base, body, name)
		if name == "no ticket id" {
			body = strings.Replace(body, `"subject": "zen:ticket:4711"`, `"subject": "zen:ticket:"`, 1)
		}
		_, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, []byte(body), t0, ""))
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload, name)
		require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err), name)
	}

	// A field the driver does not need never decides: tags as a string,
	// via as a string, an unknown event type without a ticket.
	body := strings.Replace(strings.Replace(base, `"tags": ["pedido"]`, `"tags": "pedido"`, 1), `"via": {"channel": "web"}`, `"via": "web"`, 1)
	events, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, []byte(body), t0, ""))
	require.NoError(t, err)
	require.True(t, events[0].IsCustomerMessage())
	events, err = c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret,
		[]byte(`{"type":"zen:event-type:user.created","id":"u1","account_id":1,"detail":{"id":"7003"},"event":{},"subject":"zen:user:7003","time":"2026-07-01T10:00:00Z","zendesk_event_version":"2022-11-06"}`), t0, ""))
	require.NoError(t, err)
	require.Equal(t, helpdesk.EventOther, events[0].Type)
	require.Equal(t, "zen:event-type:user.created", events[0].VendorType)
	require.Equal(t, "event:u1", events[0].DeliveryID)
}

// A trigger body field the driver does not need (title, comments) with an
// unexpected JSON type no longer refuses a customer's comment; a needed one
// (commentId, isPublic) still does.
func TestTriggerDecodesTolerantly(t *testing.T) {
	c := webhookClient(t)
	events, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret,
		[]byte(`{"ticketId":"1","commentId":"2","isPublic":"true","text":"hi","title":5,"comments":["x"],"sender":{"id":"7","name":{"first":"M"}}}`), t0, ""))
	require.NoError(t, err)
	require.True(t, events[0].IsCustomerMessage())
	require.Equal(t, "hi", events[0].Message.Text)
	require.Equal(t, "7", events[0].Message.Author.ID)
	for _, body := range []string{
		`{"ticketId":"1","commentId":2,"isPublic":"true","text":"hi","title":5}`,
		`{"ticketId":"1","commentId":"2","isPublic":true,"text":"hi","title":5}`,
		`{"ticketId":"1","commentId":"2","isPublic":"true","text":["hi"],"title":5}`,
		`{"ticketId":"1","commentId":"2","isPublic":"true","text":"hi","author":{"id":9001},"title":5}`,
	} {
		_, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, []byte(body), t0, ""))
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload, body)
	}
}

// A raw NUL byte is refused by every Zendesk webhook kind (and by every
// driver); the escaped \u0000 is valid JSON and accepted.
func TestRawNULRefused(t *testing.T) {
	c := webhookClient(t)
	trigger := []byte("{\"ticketId\":\"1\",\"commentId\":\"2\",\"isPublic\":\"true\",\"text\":\"a\x00b\"}")
	event := []byte(strings.Replace(string(fixture(t, "event_comment_added_customer.json")), "Pode verificar?", "Pode\x00verificar?", 1))
	for name, body := range map[string][]byte{"trigger": trigger, "event": event} {
		_, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, body, t0, ""))
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload, name)
		require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err), name)
	}
	sun := []byte(strings.Replace(string(fixture(t, "sunshine_batch.json")), "meu pedido", "meu\x00pedido", 1))
	_, err := c.ParseWebhook(context.Background(), sunshineRequest(sun))
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)

	events, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret,
		[]byte(`{"ticketId":"1","commentId":"2","isPublic":"true","text":"a\u0000b"}`), t0, ""))
	require.NoError(t, err)
	require.Equal(t, "a\x00b", events[0].Message.Text)
}

func sunshineRequest(body []byte) *helpdesk.WebhookRequest {
	return &helpdesk.WebhookRequest{Header: http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {testSunSecret}}, Body: body, ReceivedAt: t0}
}

// The spec's own example with a numeric user.externalId used to make the
// whole delivery an EventOther answered 200: the customer was never seen.
func TestSunshineNumericExternalIDIsStillACustomerMessage(t *testing.T) {
	c := webhookClient(t)
	events, err := c.ParseWebhook(context.Background(), sunshineRequest(fixture(t, "sunshine_numeric_external_id.json")))
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.True(t, events[0].IsCustomerMessage(), "%+v", events[0])
	require.Equal(t, "hello", events[0].Message.Text)
	require.Equal(t, helpdesk.ChannelTelegram, events[0].Conversation.Channel)
}

func TestSunshineFieldsItNeeds(t *testing.T) {
	c := webhookClient(t)
	base := string(fixture(t, "sunshine_numeric_external_id.json"))
	for name, edit := range map[string][2]string{
		"text not a string":     {`"text": "hello"`, `"text": {"v": "hello"}`},
		"author type missing":   {`"type": "user",`, ``},
		"author type malformed": {`"type": "user",`, `"type": 1,`},
		"no conversation id":    {`"id": "f52b01137aa6c250bc7251fa",`, ``},
		"no message id":         {`"id": "5f74c7d84a146f3abd72af1d",`, ``},
		"subtypes not an array": {`"type": "user",`, `"type": "user", "subtypes": "activity",`},
	} {
		body := strings.Replace(base, edit[0], edit[1], 1)
		require.NotEqual(t, base, body, name)
		_, err := c.ParseWebhook(context.Background(), sunshineRequest([]byte(body)))
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload, name)
		require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err), name)
	}
}

func TestSunshineFormResponse(t *testing.T) {
	c := webhookClient(t)
	events, err := c.ParseWebhook(context.Background(), sunshineRequest(fixture(t, "sunshine_form_response.json")))
	require.NoError(t, err)
	require.Len(t, events, 1)
	e := events[0]
	require.True(t, e.IsCustomerMessage())
	require.Equal(t, "Your name?: Maria Silva\nYour email?: maria@example.com\nTopic?: Delivery", e.Message.Text)
	form, ok := e.Extra.(*zendesk.SunshineFormResponse)
	require.True(t, ok, "Extra is %T", e.Extra)
	require.Len(t, form.Fields, 3)
	require.Equal(t, "Maria Silva", form.Fields[0].Text)
	require.Equal(t, "maria@example.com", form.Fields[1].Email)
	require.Equal(t, "delivery", form.Fields[2].Select[0].Name)
}

func sunshineSubtypeEvents(t *testing.T) map[string]helpdesk.Event {
	t.Helper()
	c := webhookClient(t, func(cfg *zendesk.Config) { cfg.SunshineSwitchboardName = "agentdesk-bot" })
	events, err := c.ParseWebhook(context.Background(), sunshineRequest(fixture(t, "sunshine_subtypes.json")))
	require.NoError(t, err)
	byID := map[string]helpdesk.Event{}
	for _, e := range events {
		byID[e.DeliveryID] = e
	}
	return byID
}

func TestSunshineAuthorSubtypes(t *testing.T) {
	byID := sunshineSubtypeEvents(t)
	require.Equal(t, helpdesk.RoleSystem, byID["evt-activity-1"].Message.Author.Role, "activity from the agent workspace is a system line")
	require.Equal(t, helpdesk.RoleBot, byID["evt-botsub-1"].Message.Author.Role)
	require.False(t, byID["evt-botsub-1"].Message.Author.Self)
	require.Equal(t, helpdesk.RoleAgent, byID["evt-agentsub-1"].Message.Author.Role, "the agent subtype is a human agent whatever the source")
}

func TestSunshineMediaSize(t *testing.T) {
	file := sunshineSubtypeEvents(t)["evt-file-1"]
	require.True(t, file.IsCustomerMessage())
	require.Equal(t, []helpdesk.Attachment{{URL: "https://example.org/FAQ.pdf", Name: "FAQ.pdf", ContentType: "application/pdf", Size: 627328}}, file.Message.Attachments)
}

// The bot offering control to the agent workspace changes nothing yet: it
// used to be reported as an assignment to the bot.
func TestSunshineOfferControlIsNoAssignment(t *testing.T) {
	offer := sunshineSubtypeEvents(t)["evt-offer-1"]
	require.Equal(t, helpdesk.EventOther, offer.Type, "an offer changes no assignment yet")
	require.Nil(t, offer.Assignment)
	sw, ok := offer.Extra.(*zendesk.SunshineSwitchboard)
	require.True(t, ok)
	require.Equal(t, "switchboard:offerControl", sw.Type)
	require.Equal(t, "zd-agentWorkspace", sw.Conversation.PendingSwitchboardIntegration.Name)
}
