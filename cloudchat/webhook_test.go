package cloudchat_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk"
)

var fixedNow = time.Date(2026, 7, 14, 9, 13, 0, 0, time.UTC)

func parserClient(t testing.TB, mut func(*cloudchat.Config)) *cloudchat.Client {
	t.Helper()
	cfg := cloudchat.Config{
		BaseURL: "https://chat.example.test", AccountID: 1, APIToken: "bot-token-xyz", BotID: 7,
		WebhookSecrets: []string{"old-secret-0001", testSecret}, ServerVersion: "4.15.1",
	}
	if mut != nil {
		mut(&cfg)
	}
	c, err := cloudchat.New(cfg, nil)
	require.NoError(t, err)
	return c
}

// signed returns a delivery of body signed with secret at ts and received
// at fixedNow.
func signed(body []byte, secret string, ts time.Time, delivery string) *helpdesk.WebhookRequest {
	tsRaw := strconv.FormatInt(ts.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(cloudchat.HeaderTimestamp, tsRaw)
	u, _ := url.Parse("https://bot.example.test/webhooks/cloudchat")
	req := &helpdesk.WebhookRequest{Method: "POST", URL: u, Header: h, Body: body, ReceivedAt: fixedNow}
	h.Set(cloudchat.HeaderSignature, cloudchat.Scheme().Sign(secret, req, tsRaw))
	if delivery != "" {
		h.Set(cloudchat.HeaderDelivery, delivery)
	}
	return req
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestParseFixtures(t *testing.T) {
	c := parserClient(t, nil)
	ignore := cmpopts.IgnoreFields(helpdesk.Event{}, "Raw")
	wa := func(extra map[string]string) helpdesk.Conversation {
		return helpdesk.Conversation{Vendor: "cloudchat", Account: "1", ID: "321", Channel: helpdesk.ChannelWhatsApp, Extra: extra}
	}
	tests := []struct {
		file string
		want []helpdesk.Event
	}{
		{"message_created_incoming.json", []helpdesk.Event{{
			Type: helpdesk.EventMessageCreated, VendorType: "message_created", DeliveryID: "message_created:9812",
			OccurredAt: time.Date(2026, 7, 14, 9, 12, 31, 482e6, time.UTC),
			Conversation: wa(map[string]string{"cloudchat.can_reply": "true", "cloudchat.status": "pending", "cloudchat.inbox_id": "4",
				"cloudchat.vendor_channel": "Channel::Whatsapp", "cloudchat.contact_id": "77"}),
			Message: &helpdesk.InboundMessage{ID: "9812", Text: "Hi, where is my order?", Public: true,
				Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "77", Name: "Maria", Phone: "+5511987654321"}},
			Status: &helpdesk.StatusChange{To: helpdesk.StatusPending, VendorTo: "pending"},
		}}},
		{"message_created_bot_echo.json", []helpdesk.Event{{
			Type: helpdesk.EventMessageCreated, VendorType: "message_created", DeliveryID: "message_created:9813",
			OccurredAt: time.Date(2026, 7, 14, 9, 12, 33, 100e6, time.UTC),
			Conversation: wa(map[string]string{"cloudchat.can_reply": "true", "cloudchat.status": "pending", "cloudchat.inbox_id": "4",
				"cloudchat.vendor_channel": "Channel::Whatsapp", "cloudchat.contact_id": "77", "cloudchat.assignee_id": "7", "cloudchat.assignee_type": "AgentBot"}),
			Message: &helpdesk.InboundMessage{ID: "9813", Text: "Your order has shipped.", Public: true,
				Author: helpdesk.Author{Role: helpdesk.RoleBot, ID: "7", Name: "Acme Bot", Self: true}},
			Status: &helpdesk.StatusChange{To: helpdesk.StatusPending, VendorTo: "pending"},
		}}},
		{"message_created_private_note.json", []helpdesk.Event{{
			Type: helpdesk.EventMessageCreated, VendorType: "message_created", DeliveryID: "message_created:9820",
			OccurredAt: time.Date(2026, 7, 14, 9, 20, 0, 0, time.UTC),
			Conversation: wa(map[string]string{"cloudchat.can_reply": "true", "cloudchat.status": "open", "cloudchat.inbox_id": "4",
				"cloudchat.vendor_channel": "Channel::Whatsapp", "cloudchat.contact_id": "77", "cloudchat.assignee_id": "12", "cloudchat.assignee_type": "User", "cloudchat.team_id": "3"}),
			Message: &helpdesk.InboundMessage{ID: "9820", Text: "Customer verified by phone.", Public: false,
				Author: helpdesk.Author{Role: helpdesk.RoleAgent, ID: "12", Name: "Ana", Email: "ana@acme.test"}},
			Status: &helpdesk.StatusChange{To: helpdesk.StatusOpen, VendorTo: "open"},
		}}},
		{"message_created_template.json", []helpdesk.Event{{
			Type: helpdesk.EventMessageCreated, VendorType: "message_created", DeliveryID: "message_created:9821",
			OccurredAt: time.Date(2026, 7, 14, 9, 30, 0, 0, time.UTC),
			Conversation: wa(map[string]string{"cloudchat.can_reply": "false", "cloudchat.status": "resolved", "cloudchat.inbox_id": "4",
				"cloudchat.vendor_channel": "Channel::Whatsapp"}),
			Message: &helpdesk.InboundMessage{ID: "9821", Text: "Please rate the conversation", Public: true,
				Author: helpdesk.Author{Role: helpdesk.RoleSystem}},
			Status: &helpdesk.StatusChange{To: helpdesk.StatusResolved, VendorTo: "resolved"},
		}}},
		{"conversation_status_changed.json", []helpdesk.Event{{
			Type: helpdesk.EventStatusChanged, VendorType: "conversation_status_changed", DeliveryID: "conversation_status:321:open:1784020900250000000",
			OccurredAt: time.Unix(1784020900, 25e7).UTC(), // updated_at, not timestamp (the last activity)
			Conversation: wa(map[string]string{"cloudchat.can_reply": "true", "cloudchat.status": "open", "cloudchat.inbox_id": "4",
				"cloudchat.vendor_channel": "Channel::Whatsapp", "cloudchat.contact_id": "77", "cloudchat.team_id": "3"}),
			Status: &helpdesk.StatusChange{To: helpdesk.StatusOpen, VendorTo: "open"},
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body := fixture(t, tc.file)
			evs, err := c.ParseWebhook(context.Background(), signed(body, testSecret, fixedNow, "d1"))
			require.NoError(t, err)
			if d := cmp.Diff(tc.want, evs, ignore); d != "" {
				t.Fatalf("events (-want +got):\n%s", d)
			}
			for _, e := range evs {
				require.NotContains(t, string(e.Raw), "Zk3sEcReTpUbSuB", "pubsub_token must not survive in Raw")
				require.True(t, json.Valid(e.Raw))
			}
		})
	}
}

func TestParseOtherShapes(t *testing.T) {
	c := parserClient(t, nil)
	parse := func(file, delivery string) []helpdesk.Event {
		evs, err := c.ParseWebhook(context.Background(), signed(fixture(t, file), testSecret, fixedNow, delivery))
		require.NoError(t, err)
		return evs
	}
	t.Run("conversation_updated gives assignment and status", func(t *testing.T) {
		evs := parse("conversation_updated_assignee.json", "d2")
		require.Len(t, evs, 2)
		require.Equal(t, helpdesk.EventConversationAssigned, evs[0].Type)
		require.Equal(t, &helpdesk.Assignment{AgentID: "12", GroupID: "3"}, evs[0].Assignment)
		require.Equal(t, helpdesk.EventStatusChanged, evs[1].Type)
		require.Equal(t, &helpdesk.StatusChange{From: helpdesk.StatusPending, To: helpdesk.StatusOpen, VendorFrom: "pending", VendorTo: "open"}, evs[1].Status)
		require.NotEqual(t, evs[0].DeliveryID, evs[1].DeliveryID)
		require.Equal(t, time.Unix(1784020901, 5e8).UTC(), evs[0].OccurredAt, "updated_at is a float")
	})
	t.Run("integer message_type as in conversation.messages[]", func(t *testing.T) {
		body := strings.Replace(string(fixture(t, "message_created_incoming.json")), `"message_type":"incoming","private"`, `"message_type":0,"private"`, 1)
		evs, err := c.ParseWebhook(context.Background(), signed([]byte(body), testSecret, fixedNow, ""))
		require.NoError(t, err)
		require.True(t, evs[0].IsCustomerMessage())
		body = strings.Replace(body, `"message_type":0,"private"`, `"message_type":3,"private"`, 1)
		evs, err = c.ParseWebhook(context.Background(), signed([]byte(body), testSecret, fixedNow, ""))
		require.NoError(t, err)
		require.Equal(t, helpdesk.RoleSystem, evs[0].Message.Author.Role)
	})
	t.Run("message_updated carries the external error", func(t *testing.T) {
		evs := parse("message_updated_failed.json", "")
		require.Len(t, evs, 1)
		require.Equal(t, helpdesk.EventOther, evs[0].Type)
		require.True(t, strings.HasPrefix(evs[0].DeliveryID, "message_updated:9813:"), "fallback delivery id: event + message id + body hash, got %s", evs[0].DeliveryID)
		again := parse("message_updated_failed.json", "upd-2")
		require.Equal(t, evs[0].DeliveryID, again[0].DeliveryID, "the unsigned X-Chatwoot-Delivery never changes the id")
		require.Equal(t, &cloudchat.MessageUpdate{MessageID: "9813", ExternalError: "131047: Re-engagement message"}, evs[0].Extra)
		require.False(t, evs[0].IsCustomerMessage())
	})
	t.Run("Twilio WhatsApp conversation_created", func(t *testing.T) {
		evs := parse("conversation_created.json", "")
		require.Len(t, evs, 1)
		require.Equal(t, helpdesk.EventConversationCreated, evs[0].Type)
		require.Equal(t, helpdesk.ChannelWhatsAppTwilio, evs[0].Conversation.Channel)
		require.Equal(t, "322", evs[0].Conversation.ID)
	})
	t.Run("contact_created is a vendor event", func(t *testing.T) {
		evs := parse("contact_created.json", "d3")
		require.Len(t, evs, 1)
		require.Equal(t, &cloudchat.VendorEvent{Name: "contact_created", Contact: &helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "77", Name: "Maria", Email: "maria@example.test", Phone: "+5511987654321"}}, evs[0].Extra)
	})
	t.Run("typing", func(t *testing.T) {
		evs := parse("conversation_typing_on.json", "d4")
		require.Equal(t, &cloudchat.VendorEvent{Name: "conversation_typing_on", Private: true}, evs[0].Extra)
		require.Equal(t, "321", evs[0].Conversation.ID)
		require.Equal(t, fixedNow, evs[0].OccurredAt, "an event without a time of its own carries the receive time")
	})
}

func TestBotShouldAnswer(t *testing.T) {
	c := parserClient(t, nil)
	parse := func(file string) helpdesk.Event {
		evs, err := c.ParseWebhook(context.Background(), signed(fixture(t, file), testSecret, fixedNow, ""))
		require.NoError(t, err)
		return evs[0]
	}
	in := parse("message_created_incoming.json")
	require.True(t, cloudchat.BotShouldAnswer(in))
	require.False(t, cloudchat.BotShouldAnswer(parse("message_created_bot_echo.json")))
	require.False(t, cloudchat.BotShouldAnswer(parse("message_created_private_note.json")))
	require.False(t, cloudchat.BotShouldAnswer(parse("message_created_template.json")))
	open := in
	open.Conversation = in.Conversation.With(cloudchat.ExtraStatus, "open")
	require.False(t, cloudchat.BotShouldAnswer(open), "after hand-off the bot stays silent")
	human := in
	human.Conversation = in.Conversation.With(cloudchat.ExtraAssigneeType, "User")
	require.False(t, cloudchat.BotShouldAnswer(human))
}

func TestVerify(t *testing.T) {
	body := fixture(t, "message_created_incoming.json")
	c := parserClient(t, nil)
	ctx := context.Background()
	cases := []struct {
		name string
		req  *helpdesk.WebhookRequest
		ok   bool
	}{
		{"current secret", signed(body, testSecret, fixedNow, ""), true},
		{"rotated-out secret still accepted", signed(body, "old-secret-0001", fixedNow, ""), true},
		{"forged", signed(body, "attacker", fixedNow, ""), false},
		{"stale", signed(body, testSecret, fixedNow.Add(-6*time.Minute), ""), false},
		{"within tolerance", signed(body, testSecret, fixedNow.Add(-4*time.Minute), ""), true},
		{"future", signed(body, testSecret, fixedNow.Add(6*time.Minute), ""), false},
	}
	tampered := signed(body, testSecret, fixedNow, "")
	tampered.Body = []byte(strings.Replace(string(body), "where is my order", "refund me now!!!!", 1))
	cases = append(cases, struct {
		name string
		req  *helpdesk.WebhookRequest
		ok   bool
	}{"body changed", tampered, false})
	noPrefix := signed(body, testSecret, fixedNow, "")
	noPrefix.Header.Set(cloudchat.HeaderSignature, strings.TrimPrefix(noPrefix.Header.Get(cloudchat.HeaderSignature), "sha256="))
	noTS := signed(body, testSecret, fixedNow, "")
	noTS.Header.Del(cloudchat.HeaderTimestamp)
	bodyOnly := signed(body, testSecret, fixedNow, "")
	bodyOnly.Header.Set(cloudchat.HeaderSignature, "sha256="+hmacHex(testSecret, body))
	unsigned := signed(body, testSecret, fixedNow, "")
	unsigned.Header.Del(cloudchat.HeaderSignature)
	unsigned.Header.Del(cloudchat.HeaderTimestamp)
	for _, x := range []struct {
		name string
		r    *helpdesk.WebhookRequest
	}{{"no sha256= prefix", noPrefix}, {"no timestamp", noTS}, {"HMAC of the body alone (#13809)", bodyOnly}, {"unsigned without opt-in", unsigned}} {
		cases = append(cases, struct {
			name string
			req  *helpdesk.WebhookRequest
			ok   bool
		}{x.name, x.r, false})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ParseWebhook(ctx, tc.req)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			require.Equal(t, http.StatusUnauthorized, helpdesk.WebhookStatus(err))
			require.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestUnsignedOptIn(t *testing.T) {
	const token = "url-token-0123456789abcdef"
	body := fixture(t, "message_created_incoming.json")
	req := func(q string) *helpdesk.WebhookRequest {
		u, _ := url.Parse("https://bot.example.test/webhooks/cloudchat" + q)
		return &helpdesk.WebhookRequest{Method: "POST", URL: u, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
	}
	old := parserClient(t, func(c *cloudchat.Config) {
		c.ServerVersion = "4.11.0"
		c.WebhookSecrets = nil
		c.UnsignedToken = token
	})
	evs, err := old.ParseWebhook(context.Background(), req("?token="+token))
	require.NoError(t, err)
	require.Equal(t, "message_created:9812", evs[0].DeliveryID)
	_, err = old.ParseWebhook(context.Background(), req("?token=wrong-token-0123456789"))
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
	_, err = old.ParseWebhook(context.Background(), req(""))
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)

	modern := parserClient(t, func(c *cloudchat.Config) { c.UnsignedToken = token })
	_, err = modern.ParseWebhook(context.Background(), req("?token="+token))
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature, "a 4.13+ server signs everything: unsigned is a forgery")
}

func TestParseRejectsMalformed(t *testing.T) {
	c := parserClient(t, nil)
	for _, body := range []string{`[]`, `{}`, `{"event":"message_created"}`, `{"event":"message_created","id":1}`, `not json`, `{"event":1}`, `{"event":"conversation_updated"}`} {
		_, err := c.ParseWebhook(context.Background(), signed([]byte(body), testSecret, fixedNow, ""))
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload, body)
	}
}

func FuzzParseCloudChat(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	require.NoError(f, err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			f.Add(fixture(f, e.Name()))
		}
	}
	f.Add([]byte(`{"event":"message_created","id":"1","message_type":3,"conversation":{"id":1.5,"contact_inbox":{"pubsub_token":"\"x`))
	f.Add([]byte(`{"event":"conversation_updated","id":2,"changed_attributes":[{"status":{"previous_value":{}}}],"updated_at":"1e999"}`))
	c := parserClient(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := c.ParseWebhook(context.Background(), signed(body, testSecret, fixedNow, ""))
		if err != nil {
			if !errorsIsAny(err, helpdesk.ErrInvalidPayload, helpdesk.ErrInvalidSignature) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		for _, e := range evs {
			if e.DeliveryID == "" || e.Conversation.Vendor != cloudchat.Vendor {
				t.Fatalf("event without delivery id or vendor: %+v", e)
			}
			if e.IsCustomerMessage() && e.Message.Author.Self {
				t.Fatalf("customer message marked as the bot's own")
			}
		}
	})
}

func BenchmarkParseWebhook(b *testing.B) {
	body := fixture(b, "message_created_incoming.json")
	c := parserClient(b, nil)
	req := signed(body, testSecret, fixedNow, "d1")
	b.Run("ParseWebhook", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := c.ParseWebhook(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal-struct", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var m plainMessage
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal-map", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestQueuedHandlerAcksAtOnce(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	got := make(chan helpdesk.Event, 4)
	h, err := helpdesk.NewWebhookHandler(e.client, func(_ context.Context, ev helpdesk.Event) error {
		got <- ev
		return nil
	}, &helpdesk.WebhookOptions{QueueSize: 16})
	require.NoError(t, err)
	defer h.Shutdown(context.Background())
	body := e.customerPayload(conv, "preciso de ajuda")
	for i := 0; i < 2; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, e.signer.Request(body, ""))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	ev := <-got
	require.True(t, cloudchat.BotShouldAnswer(ev))
	require.NoError(t, h.Shutdown(context.Background()))
	require.Len(t, got, 0, "the redelivery is dropped")
}

func TestDuplicateMessageCreatedDeduped(t *testing.T) {
	c := parserClient(t, nil)
	body := fixture(t, "message_created_incoming.json")
	a, err := c.ParseWebhook(context.Background(), signed(body, testSecret, fixedNow, "delivery-a"))
	require.NoError(t, err)
	b, err := c.ParseWebhook(context.Background(), signed(body, testSecret, fixedNow, "delivery-b"))
	require.NoError(t, err)
	require.Equal(t, a[0].DeliveryID, b[0].DeliveryID, "one message, one event, whatever the delivery")
}

func TestOtherAccountRefused(t *testing.T) {
	c := parserClient(t, nil)
	body := strings.Replace(string(fixture(t, "message_created_incoming.json")), `"account":{"id":1,"name":"Acme"},"inbox"`, `"account":{"id":2,"name":"Other"},"inbox"`, 1)
	evs, err := c.ParseWebhook(context.Background(), signed([]byte(body), testSecret, fixedNow, ""))
	require.NoError(t, err)
	require.Equal(t, "2", evs[0].Conversation.Account)
	_, err = c.SendMessage(context.Background(), evs[0].Conversation, helpdesk.Message{Text: "hi"})
	var fe *helpdesk.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "conversation.account", fe.Field)
}

// plainMessage is what a host without the SDK would decode from a
// message_created delivery.
type plainMessage struct {
	Event       string `json:"event"`
	ID          int64  `json:"id"`
	Content     string `json:"content"`
	MessageType string `json:"message_type"`
	Private     bool   `json:"private"`
	Sender      struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"sender"`
	Conversation struct {
		ID       int64  `json:"id"`
		Status   string `json:"status"`
		CanReply bool   `json:"can_reply"`
		Channel  string `json:"channel"`
	} `json:"conversation"`
}

// BenchmarkParseVsUnmarshal interleaves ParseWebhook (signature check,
// decoding, mapping, pubsub_token redaction) with plain json.Unmarshal of
// the same bytes, so that load from other processes hits all three alike,
// and reports the time ratios: x-struct against a minimal struct, x-map
// against map[string]any.
func BenchmarkParseVsUnmarshal(b *testing.B) {
	body := fixture(b, "message_created_incoming.json")
	c := parserClient(b, nil)
	req := signed(body, testSecret, fixedNow, "d1")
	var tp, ts, tm time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := c.ParseWebhook(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		var p plainMessage
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		tp += t1.Sub(t0)
		ts += t2.Sub(t1)
		tm += t3.Sub(t2)
	}
	b.ReportMetric(float64(tp)/float64(ts), "x-struct")
	b.ReportMetric(float64(tp)/float64(tm), "x-map")
}

func hmacHex(secret string, parts ...[]byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// One order and one clock: the signature is checked first, then the signed
// time against the request's ReceivedAt (not the wall clock), within
// Options.Tolerance; each refusal has its own error, all matching
// helpdesk.ErrInvalidSignature.
func TestVerifyOrderAndClock(t *testing.T) {
	body := fixture(t, "message_created_incoming.json")
	c := parserClient(t, nil)
	ctx := context.Background()
	noTS := signed(body, testSecret, fixedNow, "")
	noTS.Header.Del(cloudchat.HeaderTimestamp)
	noSig := signed(body, testSecret, fixedNow, "")
	noSig.Header.Del(cloudchat.HeaderSignature)
	cases := []struct {
		name string
		req  *helpdesk.WebhookRequest
		want error
	}{
		{"no signature", noSig, helpdesk.ErrSignatureMissing},
		{"no timestamp", noTS, helpdesk.ErrSignatureMissing},
		{"forged", signed(body, "attacker", fixedNow, ""), helpdesk.ErrSignatureMismatch},
		{"forged and stale: the signature is checked first", signed(body, "attacker", fixedNow.Add(-time.Hour), ""), helpdesk.ErrSignatureMismatch},
		{"stale", signed(body, testSecret, fixedNow.Add(-6*time.Minute), ""), helpdesk.ErrSignatureStale},
		{"future", signed(body, testSecret, fixedNow.Add(6*time.Minute), ""), helpdesk.ErrSignatureFuture},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ParseWebhook(ctx, tc.req)
			require.ErrorIs(t, err, tc.want)
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			require.Equal(t, http.StatusUnauthorized, helpdesk.WebhookStatus(err))
		})
	}

	// The receive time is the clock: a delivery signed long ago and
	// received then is fine, whatever the wall clock says.
	old := signed(body, testSecret, fixedNow, "")
	require.True(t, time.Since(old.ReceivedAt) > time.Hour || time.Until(old.ReceivedAt) > time.Hour, "the fixture clock is far from now")
	_, err := c.ParseWebhook(ctx, old)
	require.NoError(t, err)

	// Options.Tolerance widens the window.
	wide, err := cloudchat.New(c.Config(), &cloudchat.Options{Tolerance: 10 * time.Minute})
	require.NoError(t, err)
	_, err = wide.ParseWebhook(ctx, signed(body, testSecret, fixedNow.Add(-6*time.Minute), ""))
	require.NoError(t, err)
	_, err = wide.ParseWebhook(ctx, signed(body, testSecret, fixedNow.Add(-11*time.Minute), ""))
	require.ErrorIs(t, err, helpdesk.ErrSignatureStale)

	_, err = cloudchat.New(c.Config(), &cloudchat.Options{Tolerance: -time.Second})
	require.ErrorIs(t, err, cloudchat.ErrInvalidConfig)
}

// X-Chatwoot-Delivery is not signed: replaying a captured delivery inside
// the tolerance with that header changed or dropped must be dropped by the
// handler, for every kind of event.
func TestReplayWithNewDeliveryHeaderIsDropped(t *testing.T) {
	c := parserClient(t, nil)
	for _, file := range []string{"message_created_incoming.json", "conversation_status_changed.json",
		"conversation_updated_assignee.json", "message_updated_failed.json", "contact_created.json"} {
		t.Run(file, func(t *testing.T) {
			body := fixture(t, file)
			var handled atomic.Int32
			h, err := helpdesk.NewWebhookHandler(c, func(context.Context, helpdesk.Event) error {
				handled.Add(1)
				return nil
			}, nil)
			require.NoError(t, err)
			var first int32
			for i, delivery := range []string{"d1", "d2-replayed", ""} {
				rec := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPost, "https://bot.example.test/webhooks/cloudchat", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				cloudchat.Scheme().SignRequest(r, body, testSecret, time.Now())
				if delivery != "" {
					r.Header.Set(cloudchat.HeaderDelivery, delivery)
				}
				h.ServeHTTP(rec, r)
				require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
				if i == 0 {
					first = handled.Load()
				}
			}
			require.Positive(t, first)
			require.Equal(t, first, handled.Load(), "a replay with a new delivery header is handled again")
		})
	}
}
