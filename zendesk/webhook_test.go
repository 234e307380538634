package zendesk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

func deliver(c *zendesk.Client, r *http.Request) ([]helpdesk.Event, error) {
	return drivertest.Deliver(context.Background(), c, r)
}

const (
	testSecret    = "zd-test-webhook-signing-secret"
	testSunSecret = "sunshine-test-webhook-secret"
)

var t0 = time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)

// webhookClient is a client for webhook tests; deliveries carry their
// receive time (zendesktest.NewTriggerWebhookRequest sets ReceivedAt).
func webhookClient(t testing.TB, mutate ...func(*zendesk.Config)) *zendesk.Client {
	cfg := zendesk.Config{
		Subdomain: "acme", Email: "bot@acme.example", APIToken: "tok-123456", BotUserID: 9001, N2GroupID: 200,
		WebhookSecrets: []string{"previous-secret", testSecret}, SunshineAppID: zendesktest.DefaultSunshineAppID,
		SunshineKeyID: "app_k", SunshineSecret: "s3cr3t-key", SunshineWebhookSecrets: []string{testSunSecret},
		BotName: zendesktest.DefaultBotName, BaseURL: "http://127.0.0.1:1", SunshineBaseURL: "http://127.0.0.1:1",
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := zendesk.New(cfg, &zendesk.Options{NoBudget: true})
	require.NoError(t, err)
	return c
}

func fixture(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestParseTriggerSeedBody(t *testing.T) {
	c := webhookClient(t)
	body := fixture(t, "trigger_seed.json")
	req := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0, "01J0INVOCATION")
	events, err := c.ParseWebhook(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, events, 1)
	e := events[0]
	want := helpdesk.Event{
		Type: helpdesk.EventMessageCreated, VendorType: "trigger", DeliveryID: "ticket:4711:comment:31234567890123", OccurredAt: t0,
		Conversation: helpdesk.Conversation{Vendor: "zendesk", Account: "acme", ID: "4711", Channel: helpdesk.ChannelEmail,
			Extra: map[string]string{zendesk.ExtraTicketID: "4711", zendesk.ExtraVia: "Mail", zendesk.ExtraAssigneeID: "9001", zendesk.ExtraRequesterID: "7001"}},
		Message: &helpdesk.InboundMessage{ID: "31234567890123", Text: "Meu pedido #123 não chegou.\nPode verificar?", Subject: "Pedido não chegou",
			Public: true, Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "7001", Name: "Maria Silva", Email: "maria@example.com"},
			Attachments: []helpdesk.Attachment{{URL: "https://acme.zendesk.com/attachments/token/abc/?name=nota.pdf", Name: "nota.pdf"}}},
	}
	require.Empty(t, cmp.Diff(want, e, cmpopts.IgnoreFields(helpdesk.Event{}, "Raw", "Extra")))
	require.True(t, e.IsCustomerMessage())
	p, ok := e.Extra.(*zendesk.TriggerPayload)
	require.True(t, ok)
	require.Equal(t, "End-user", p.Sender.Role)
	require.NotEmpty(t, e.Raw)
}

func TestParseTriggerRecommendedBody(t *testing.T) {
	c := webhookClient(t)
	for _, tc := range []struct {
		file     string
		role     helpdesk.Role
		self     bool
		public   bool
		customer bool
	}{
		{"trigger_customer.json", helpdesk.RoleCustomer, false, true, true},
		{"trigger_bot_echo.json", helpdesk.RoleBot, true, true, false},
		{"trigger_internal_note.json", helpdesk.RoleAgent, false, false, false},
		{"trigger_agent_reply.json", helpdesk.RoleAgent, false, true, false},
	} {
		events, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, fixture(t, tc.file), t0, ""))
		require.NoError(t, err, tc.file)
		e := events[0]
		require.Equal(t, tc.role, e.Message.Author.Role, tc.file)
		require.Equal(t, tc.self, e.Message.Author.Self, tc.file)
		require.Equal(t, tc.public, e.Message.Public, tc.file)
		require.Equal(t, tc.customer, e.IsCustomerMessage(), tc.file)
		require.Equal(t, "ticket:4711:comment:"+e.Message.ID, e.DeliveryID, "fallback dedupe id")
		require.Equal(t, "200", e.Conversation.Get(zendesk.ExtraGroupID))
		require.Equal(t, helpdesk.StatusOpen, e.Status.To)
		require.Equal(t, "Open", e.Status.VendorTo)
	}
}

func TestParseTriggerRecognisesPostedCommentsWithSeedBody(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	conv, id := ticketConv(srv)
	rc, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Here is your tracking link."})
	require.NoError(t, err)
	// The seed body has no author: the echo looks like the requester's.
	p := srv.CustomerComment(id, 0, "Here is your tracking link.")
	p.CommentID, p.Author = rc.MessageID, zendesk.TriggerUser{}
	events, err := deliver(c, zendesktest.NewTriggerRequest(srv.Options().WebhookSecret, zendesktest.TriggerBody(p), time.Now(), "inv"))
	require.NoError(t, err)
	require.True(t, events[0].FromSelf())
	require.False(t, events[0].IsCustomerMessage())
}

func TestTriggerSignatureChecks(t *testing.T) {
	c := webhookClient(t)
	body := fixture(t, "trigger_customer.json")
	parse := func(r *helpdesk.WebhookRequest) error {
		_, err := c.ParseWebhook(context.Background(), r)
		return err
	}
	// Either secret of a rotation works.
	require.NoError(t, parse(zendesktest.NewTriggerWebhookRequest("previous-secret", body, t0, "")))
	// Tolerance: 5 minutes either way, against the receive time.
	for _, skew := range []time.Duration{-5 * time.Minute, 5 * time.Minute, 4 * time.Minute} {
		r := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0.Add(skew), "")
		r.ReceivedAt = t0
		require.NoError(t, parse(r), skew)
	}
	for _, tc := range []struct {
		skew time.Duration
		want error
	}{{-5*time.Minute - time.Second, helpdesk.ErrSignatureStale}, {6 * time.Minute, helpdesk.ErrSignatureFuture}, {24 * time.Hour, helpdesk.ErrSignatureFuture}, {-24 * time.Hour, helpdesk.ErrSignatureStale}} {
		r := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0.Add(tc.skew), "")
		r.ReceivedAt = t0
		err := parse(r)
		require.ErrorIs(t, err, helpdesk.ErrInvalidSignature, "stale or replayed: %s", tc.skew)
		require.ErrorIs(t, err, tc.want, tc.skew)
	}
	// A longer Options.Tolerance accepts what the default refuses.
	lenient, err := zendesk.New(c.Config(), &zendesk.Options{NoBudget: true, Tolerance: time.Hour})
	require.NoError(t, err)
	r := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0.Add(-30*time.Minute), "")
	r.ReceivedAt = t0
	_, err = lenient.ParseWebhook(context.Background(), r)
	require.NoError(t, err)
	// Replaying an old delivery with a fresh timestamp breaks the signature.
	old := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0.Add(-time.Hour), "")
	old.Header.Set(zendesk.HeaderSignatureTimestamp, t0.Format(time.RFC3339))
	old.ReceivedAt = t0
	require.ErrorIs(t, parse(old), helpdesk.ErrInvalidSignature)

	bad := map[string]func(r *helpdesk.WebhookRequest){
		"forged": func(r *helpdesk.WebhookRequest) {
			r.Header.Set(zendesk.HeaderSignature, zendesktest.SignTrigger("guess", r.Header.Get(zendesk.HeaderSignatureTimestamp), r.Body))
		},
		"unsigned":      func(r *helpdesk.WebhookRequest) { r.Header.Del(zendesk.HeaderSignature) },
		"no timestamp":  func(r *helpdesk.WebhookRequest) { r.Header.Del(zendesk.HeaderSignatureTimestamp) },
		"bad timestamp": func(r *helpdesk.WebhookRequest) { r.Header.Set(zendesk.HeaderSignatureTimestamp, "yesterday") },
		"hex signature": func(r *helpdesk.WebhookRequest) { r.Header.Set(zendesk.HeaderSignature, "deadbeef") },
		"tampered body": func(r *helpdesk.WebhookRequest) { r.Body = []byte(strings.Replace(string(r.Body), "4711", "4712", 1)) },
		"no headers":    func(r *helpdesk.WebhookRequest) { r.Header = http.Header{"Content-Type": {"application/json"}} },
		"test secret used": func(r *helpdesk.WebhookRequest) {
			r.Header.Set(zendesk.HeaderSignature, zendesktest.SignTrigger("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", r.Header.Get(zendesk.HeaderSignatureTimestamp), r.Body))
		},
	}
	for name, mut := range bad {
		r := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0, "")
		mut(r)
		err := parse(r)
		require.ErrorIs(t, err, helpdesk.ErrInvalidSignature, name)
		require.NotContains(t, err.Error(), testSecret)
	}
	// Zendesk's fixed test-send secret only when allowed.
	ct := webhookClient(t, func(c *zendesk.Config) { c.AcceptTestSecret = true })
	r = zendesktest.NewTriggerWebhookRequest("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", body, t0, "")
	_, err = ct.ParseWebhook(context.Background(), r)
	require.NoError(t, err)
}

func TestTriggerBadPayloads(t *testing.T) {
	c := webhookClient(t)
	for name, body := range map[string]string{
		"malformed":       `{"ticketId": "4711", "text": `,
		"array":           `[1,2,3]`,
		"no ticket":       `{"text":"hi"}`,
		"ticket not num":  `{"ticketId":"{{ticket.id}}","text":"hi"}`,
		"wrong type":      `{"ticketId":"1","attachments":"none"}`,
		"unescaped quote": `{"ticketId":"1","text":"she said "hi""}`,
	} {
		_, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, []byte(body), t0, ""))
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload, name)
		require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err), name)
	}
	// Raw line breaks from an unescaped placeholder are repaired.
	events, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, []byte("{\"ticketId\":\"1\",\"commentId\":\"2\",\"isPublic\":\"true\",\"text\":\"line one\nline two\"}"), t0, ""))
	require.NoError(t, err)
	require.Equal(t, "line one\nline two", events[0].Message.Text)

	// Content type must be JSON; an empty body is refused.
	r := zendesktest.NewTriggerWebhookRequest(testSecret, fixture(t, "trigger_customer.json"), t0, "")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = c.ParseWebhook(context.Background(), r)
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
	require.Equal(t, http.StatusUnsupportedMediaType, helpdesk.WebhookStatus(err))
	_, err = c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, nil, t0, ""))
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
	_, err = deliver(c, zendesktest.NewTriggerRequest(testSecret, nil, time.Now(), ""))
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)

	// A body with no comment is an EventOther carrying the payload.
	events, err = c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, []byte(`{"ticketId":"9","status":"Solved"}`), t0, ""))
	require.NoError(t, err)
	require.Equal(t, helpdesk.EventOther, events[0].Type)
	require.Equal(t, helpdesk.StatusResolved, events[0].Status.To)
}

func TestParseSunshine(t *testing.T) {
	c := webhookClient(t)
	events, err := c.ParseWebhook(context.Background(), &helpdesk.WebhookRequest{
		Header: http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {testSunSecret}}, Body: fixture(t, "sunshine_batch.json")})
	require.NoError(t, err)
	require.Len(t, events, 6)
	byID := map[string]helpdesk.Event{}
	for _, e := range events {
		byID[e.DeliveryID] = e
	}
	user := byID["evt-user-1"]
	require.True(t, user.IsCustomerMessage())
	require.Equal(t, "Oi, meu pedido não chegou", user.Message.Text)
	require.Equal(t, helpdesk.ChannelWhatsApp, user.Conversation.Channel)
	require.Equal(t, "conv-1", zendesk.SunshineConversationID(user.Conversation))
	require.Equal(t, "msg-user-1", user.Conversation.Get(zendesk.ExtraFirstMessageID))
	require.Equal(t, "+5511999990000", user.Message.Author.Phone)
	require.Equal(t, time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), user.OccurredAt)

	echo := byID["evt-bot-1"]
	require.True(t, echo.FromSelf())
	require.Equal(t, helpdesk.RoleBot, echo.Message.Author.Role)
	require.False(t, echo.IsCustomerMessage())

	agent := byID["evt-agent-1"]
	require.Equal(t, helpdesk.RoleAgent, agent.Message.Author.Role)
	require.False(t, agent.Message.Author.Self)

	pb := byID["evt-postback-1"]
	require.Equal(t, helpdesk.EventOther, pb.Type)
	postback, ok := pb.Extra.(*zendesk.SunshinePostback)
	require.True(t, ok)
	require.Equal(t, "TALK_TO_HUMAN", postback.Postback.Payload)

	sw := byID["evt-switch-1"]
	require.Equal(t, helpdesk.EventConversationAssigned, sw.Type)
	swx, ok := sw.Extra.(*zendesk.SunshineSwitchboard)
	require.True(t, ok)
	require.Equal(t, "ticketClosed", swx.Reason)
	require.Equal(t, "switchboard:releaseControl", swx.Type)

	typing := byID["evt-typing-1"]
	require.Equal(t, helpdesk.EventOther, typing.Type)
	require.IsType(t, &zendesk.SunshineOther{}, typing.Extra)
}

func TestSunshineAuthAndPayloads(t *testing.T) {
	c := webhookClient(t)
	body := fixture(t, "sunshine_batch.json")
	req := func(key, ct string, b []byte) *helpdesk.WebhookRequest {
		h := http.Header{}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		if key != "" {
			h.Set("X-API-Key", key)
		}
		return &helpdesk.WebhookRequest{Header: h, Body: b}
	}
	for name, r := range map[string]*helpdesk.WebhookRequest{
		"wrong key":  req("nope", "application/json", body),
		"prefix key": req(testSunSecret[:10], "application/json", body),
		"no key":     req("", "application/json", body),
	} {
		_, err := c.ParseWebhook(context.Background(), r)
		require.ErrorIs(t, err, helpdesk.ErrInvalidSignature, name)
	}
	for name, r := range map[string]*helpdesk.WebhookRequest{
		"text/plain": req(testSunSecret, "text/plain", body),
		"malformed":  req(testSunSecret, "application/json", []byte(`{"events":[`)),
		"no events":  req(testSunSecret, "application/json", []byte(`{"app":{"id":"a"}}`)),
		"empty":      req(testSunSecret, "application/json", nil),
	} {
		_, err := c.ParseWebhook(context.Background(), r)
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload, name)
	}
	events, err := c.ParseWebhook(context.Background(), req(testSunSecret, "application/json", []byte(`{"app":{"id":"a"},"events":[]}`)))
	require.NoError(t, err)
	require.Empty(t, events)
	noSun := webhookClient(t, func(c *zendesk.Config) { c.SunshineWebhookSecrets = nil })
	_, err = noSun.ParseWebhook(context.Background(), req(testSunSecret, "application/json", body))
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
}

func TestConstantsAreTemplates(t *testing.T) {
	for _, body := range []string{zendesk.SeedTriggerBody, zendesk.RecommendedTriggerBody} {
		require.Contains(t, body, `"ticketId": "{{ticket.id}}"`)
		require.Contains(t, body, "{{ticket.latest_comment.id}}")
		require.NotContains(t, body, "latest_comment_id")
	}
	for _, ph := range []string{"{{ticket.latest_comment.author.id}}", "{{ticket.group.id}}", "{{ticket.status}}", "{{ticket.updated_at_with_timestamp}}"} {
		require.Contains(t, zendesk.RecommendedTriggerBody, ph)
	}
}

// The invocation id header is not signed: a captured delivery replayed
// inside the tolerance with that header changed or dropped must give the
// same delivery id, so the webhook handler drops it.
func TestTriggerReplayWithNewInvocationIDIsDropped(t *testing.T) {
	c := webhookClient(t)
	body := fixture(t, "trigger_seed.json")
	var handled atomic.Int32
	h, err := helpdesk.NewWebhookHandler(c, func(context.Context, helpdesk.Event) error {
		handled.Add(1)
		return nil
	}, nil)
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	for _, inv := range []string{"01J0INVOCATION", "01J0REPLAYED", ""} {
		r := zendesktest.NewTriggerRequest(testSecret, body, now, inv)
		if inv == "" {
			r.Header.Del(zendesk.HeaderInvocationID)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	require.Equal(t, int32(1), handled.Load(), "one signed comment is answered once")
}

func TestTriggerDeliveryIDWithoutComment(t *testing.T) {
	c := webhookClient(t)
	ids := map[string]bool{}
	for _, body := range []string{
		`{"ticketId":"5","status":"solved","updatedAt":"2026-07-01T10:00:00Z","commentId":"","text":""}`,
		`{"ticketId":"5","status":"open","updatedAt":"2026-07-01T10:05:00Z","commentId":"","text":""}`,
		`{"ticketId":"5","status":"open","commentId":"","text":""}`,
		`{"ticketId":"5","status":"pending","commentId":"","text":""}`,
	} {
		for range 2 {
			events, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(testSecret, []byte(body), t0, "inv-"+body))
			require.NoError(t, err)
			require.Len(t, events, 1)
			ids[events[0].DeliveryID] = true
		}
	}
	require.Len(t, ids, 4, "distinct signed bodies give distinct ids, the same body the same id whatever the header")
}
