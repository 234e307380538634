package klaviyo_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
)

// parse signs body with the first secret at at (zero: now) and parses it.
func parse(t testing.TB, c *klaviyo.Client, body []byte, at time.Time) ([]helpdesk.Event, error) {
	return drivertest.Deliver(context.Background(), c, klaviyotest.SignedRequest(context.Background(), body, webhookSecrets[0], at))
}

func TestParseSentSMS(t *testing.T) {
	c, srv := newClient(t, nil)
	id := srv.NewProfile("+5511987654321", "")
	events, err := parse(t, c, srv.SentSMS(id, "Cadê meu pedido?"), time.Time{})
	require.NoError(t, err)
	require.Len(t, events, 1)
	e := events[0]
	require.True(t, e.IsCustomerMessage())
	require.Equal(t, klaviyo.TopicSentSMS, e.VendorType)
	require.Equal(t, "Cadê meu pedido?", e.Message.Text)
	require.Equal(t, id, e.Conversation.ID)
	require.Equal(t, helpdesk.ChannelSMS, e.Conversation.Channel)
	require.Equal(t, "+5511987654321", e.Conversation.Get(klaviyo.ExtraPhone))
	require.Equal(t, "+5511987654321", e.Message.Author.Phone)
	require.Equal(t, klaviyotest.SendingNumber, e.Conversation.Get(klaviyo.ExtraSendingNumber))
	require.NotEmpty(t, e.Conversation.Get(klaviyo.ExtraConversationID))

	echo, err := parse(t, c, srv.ReceivedSMS(id, "Seu pedido chega sexta."), time.Time{})
	require.NoError(t, err)
	require.Len(t, echo, 1)
	require.True(t, echo[0].FromSelf(), "Received SMS is the account's own text")
	require.False(t, echo[0].IsCustomerMessage())
}

func TestParseOtherTopics(t *testing.T) {
	c, _ := newClient(t, nil)
	item := klaviyotest.SMSItem("event:klaviyo.clicked_sms", "01E1", "01P1", "+5511987654321", "01C1", "", time.Now())
	events, err := parse(t, c, klaviyotest.Delivery(item), time.Time{})
	require.NoError(t, err)
	require.Empty(t, events, "topics other than the SMS ones give no events")
}

func TestWebhookRefused(t *testing.T) {
	c, srv := newClient(t, nil)
	id := srv.NewProfile("+5511987654321", "")
	body := srv.SentSMS(id, "hello")
	ctx := context.Background()
	tests := []struct {
		name string
		req  func() *http.Request
		want error
		text string
	}{
		{"wrong secret", func() *http.Request {
			return klaviyotest.SignedRequest(ctx, body, "kl_whsec_not_ours_0000", time.Time{})
		}, helpdesk.ErrSignatureMismatch, "matches no configured secret"},
		{"stale", func() *http.Request {
			return klaviyotest.SignedRequest(ctx, body, webhookSecrets[0], time.Now().Add(-time.Hour))
		}, helpdesk.ErrSignatureStale, "before it was received"},
		{"tampered body", func() *http.Request {
			r := klaviyotest.SignedRequest(ctx, body, webhookSecrets[0], time.Time{})
			tampered := klaviyotest.Delivery(klaviyotest.SMSItem(klaviyo.TopicSentSMS, "01E9", id, "+5511987654321", "", "refund me", time.Now()))
			r2 := drivertest.SignedRequest(ctx, klaviyotest.WebhookPath, tampered, r.Header)
			return r2
		}, helpdesk.ErrSignatureMismatch, "matches no configured secret"},
		{"webhook id header differs from the body", func() *http.Request {
			r := drivertest.SignedRequest(ctx, klaviyotest.WebhookPath, body, nil)
			klaviyotest.Sign(r, body, webhookSecrets[0], "01JOTHERWEBHOOK00000000000", time.Now())
			return r
		}, helpdesk.ErrSignatureMismatch, "meta.klaviyo_webhook_id"},
		{"no webhook id header", func() *http.Request {
			r := klaviyotest.SignedRequest(ctx, body, webhookSecrets[0], time.Time{})
			r.Header.Del(klaviyo.WebhookIDHeader)
			return r
		}, helpdesk.ErrSignatureMissing, klaviyo.WebhookIDHeader},
		{"epoch timestamp", func() *http.Request {
			r := drivertest.SignedRequest(ctx, klaviyotest.WebhookPath, body, nil)
			r.Header.Set(klaviyo.WebhookIDHeader, klaviyotest.WebhookID)
			r.Header.Set(klaviyo.TimestampHeader, "1767225600")
			req := &helpdesk.WebhookRequest{Header: r.Header, Body: body}
			r.Header.Set(klaviyo.SignatureHeader, klaviyo.Scheme.Sign(webhookSecrets[0], req, "1767225600"))
			return r
		}, helpdesk.ErrSignatureMismatch, "not a valid time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Requests()
			_, err := drivertest.Deliver(ctx, c, tc.req())
			require.ErrorIs(t, err, tc.want)
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			require.Contains(t, err.Error(), tc.text)
			for _, s := range webhookSecrets {
				require.NotContains(t, err.Error(), s)
			}
			require.Equal(t, before, srv.Requests(), "no API call")
		})
	}
}

// TestSignatureOrder: the signature is hex HMAC-SHA256 over the body
// followed by the timestamp, not the other way round.
func TestSignatureOrder(t *testing.T) {
	body := []byte(`{"data":[],"meta":{"klaviyo_webhook_id":"w"}}`)
	ts := "Tue, 14 Apr 2026 03:50:12 GMT"
	req := &helpdesk.WebhookRequest{Body: body}
	got := klaviyo.Scheme.Sign("secret", req, ts)
	swapped := klaviyo.Scheme.Sign("secret", &helpdesk.WebhookRequest{Body: []byte(ts)}, string(body))
	require.Len(t, got, 64, "hex SHA-256")
	require.NotEqual(t, swapped, got)
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte(string(body) + ts))
	require.Equal(t, hex.EncodeToString(mac.Sum(nil)), got)
}

func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add(klaviyotest.Delivery(klaviyotest.SMSItem(klaviyo.TopicSentSMS, "01E1", "01P1", "+5511987654321", "01C1", "oi", time.Unix(1767225600, 0))))
	f.Add([]byte(`{"data":[{"topic":"event:klaviyo.sent_sms","payload":{"type":"event","id":"x","relationships":{"profile":{"data":{"id":"p"}}}}}],"meta":{"klaviyo_webhook_id":"` + klaviyotest.WebhookID + `"}}`))
	f.Add([]byte(`{"data":null}`))
	c, err := klaviyo.New(klaviyo.Config{APIKey: klaviyotest.APIKey, WebhookSecrets: webhookSecrets}, nil)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := parse(t, c, body, time.Time{})
		if err != nil {
			// Unreadable, or readable with another webhook's id: never
			// anything else, never a panic.
			if !errors.Is(err, helpdesk.ErrInvalidPayload) {
				require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch)
			}
			return
		}
		for _, e := range events {
			require.Equal(t, klaviyo.Vendor, e.Conversation.Vendor)
			require.NotEmpty(t, e.Conversation.ID)
			require.NotEmpty(t, e.DeliveryID)
			require.NotNil(t, e.Message)
		}
	})
}

// TestParseFixture reads a delivery written from Klaviyo's documented
// shapes (a Get Event payload inside the system webhook envelope).
func TestParseFixture(t *testing.T) {
	body, err := os.ReadFile("testdata/sent_sms.json")
	require.NoError(t, err)
	c, err := klaviyo.New(klaviyo.Config{APIKey: klaviyotest.APIKey, WebhookSecrets: webhookSecrets}, nil)
	require.NoError(t, err)
	events, err := parse(t, c, body, time.Time{})
	require.NoError(t, err)
	require.Len(t, events, 1)
	e := events[0]
	require.True(t, e.IsCustomerMessage())
	require.Equal(t, "Oi! Meu pedido #4821 ainda não chegou.", e.Message.Text)
	require.Equal(t, "01GDDKASAP8TKDDA2GRZDSVP4H", e.Conversation.ID)
	require.Equal(t, "01JR7CONV0000000000000001", e.Conversation.Get(klaviyo.ExtraConversationID))
	require.Equal(t, "+5511987654321", e.Conversation.Get(klaviyo.ExtraPhone))
	require.Equal(t, "Ana Souza", e.Message.Author.Name)
	require.Equal(t, "klaviyo:4mXqKcPa6Jf", e.DeliveryID)
	require.Equal(t, time.Date(2026, 4, 14, 3, 50, 12, 0, time.UTC), e.OccurredAt.UTC())
}
