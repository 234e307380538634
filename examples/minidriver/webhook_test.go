package minidriver_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/examples/minidriver"
	"github.com/agentdesk/agentdesk/examples/minidriver/minidesktest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func newTestClient(t *testing.T, opts *minidriver.Options) (*minidriver.Client, *minidesktest.Server) {
	t.Helper()
	srv := minidesktest.NewServer(t)
	if opts == nil {
		opts = &minidriver.Options{}
	}
	opts.HTTPClient = srv.Client()
	c, err := minidriver.New(srv.Config(webhookSecrets...), opts)
	require.NoError(t, err)
	return c, srv
}

func TestParseWebhook(t *testing.T) {
	conv := helpdesk.Conversation{Vendor: minidriver.Vendor, ID: "4021"}
	tests := []struct {
		name    string
		body    []byte
		want    []helpdesk.Event
		wantErr error
	}{
		{
			name: "customer reply",
			body: fixture(t, "reply_customer.json"),
			want: []helpdesk.Event{{
				Type: helpdesk.EventMessageCreated, VendorType: "reply.created", DeliveryID: "evt_9f2c",
				OccurredAt: time.Date(2026, 11, 30, 9, 15, 2, 0, time.UTC), Conversation: conv,
				Message: &helpdesk.InboundMessage{ID: "88123", Text: "My parcel never arrived.", Public: true,
					Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "7710"}},
			}},
		},
		{
			name: "the bot's echo",
			body: fixture(t, "reply_bot.json"),
			want: []helpdesk.Event{{
				Type: helpdesk.EventMessageCreated, VendorType: "reply.created", DeliveryID: "evt_9f2d",
				OccurredAt: time.Date(2026, 11, 30, 9, 15, 4, 0, time.UTC), Conversation: conv,
				Message: &helpdesk.InboundMessage{ID: "88124", Text: "Sorry to hear that, checking now.", Public: true,
					Author: helpdesk.Author{Role: helpdesk.RoleBot, ID: "1", Self: true}},
			}},
		},
		{
			name: "agent note with string ids and an unknown field",
			body: fixture(t, "note_agent.json"),
			want: []helpdesk.Event{{
				Type: helpdesk.EventMessageCreated, VendorType: "reply.created", DeliveryID: "evt_9f2e",
				OccurredAt: time.Date(2026, 11, 30, 9, 20, 0, 0, time.UTC), Conversation: conv,
				Message: &helpdesk.InboundMessage{ID: "88125", Text: "Courier confirms loss.", Public: false,
					Author: helpdesk.Author{Role: helpdesk.RoleAgent, ID: "20"}},
			}},
		},
		{
			name: "a type the driver does not map gives no events",
			body: fixture(t, "ticket_closed.json"),
		},
		{
			name: "no delivery id: one is built from the reply",
			body: []byte(`{"type":"reply.created","ticket_id":4021,"reply":{"id":5,"body":"hi","author":{"type":"customer","id":9}},"created_at":"2026-11-30T09:15:02Z"}`),
			want: []helpdesk.Event{{
				Type: helpdesk.EventMessageCreated, VendorType: "reply.created", DeliveryID: "reply:4021:5",
				OccurredAt: time.Date(2026, 11, 30, 9, 15, 2, 0, time.UTC), Conversation: conv,
				Message: &helpdesk.InboundMessage{ID: "5", Text: "hi", Public: true,
					Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "9"}},
			}},
		},
		{name: "not JSON", body: []byte(`reply.created`), wantErr: helpdesk.ErrInvalidPayload},
		{name: "no ticket", body: []byte(`{"id":"e","type":"reply.created","reply":{"id":1,"body":"x","author":{"type":"customer","id":2}}}`), wantErr: helpdesk.ErrInvalidPayload},
		{name: "no reply", body: []byte(`{"id":"e","type":"reply.created","ticket_id":3}`), wantErr: helpdesk.ErrInvalidPayload},
		{name: "no id at all", body: []byte(`{"type":"reply.created","ticket_id":3,"reply":{"body":"x"}}`), wantErr: helpdesk.ErrInvalidPayload},
	}
	c, _ := newTestClient(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := minidesktest.SignedRequest(t.Context(), tc.body, webhookSecrets[1], time.Now())
			got, err := drivertest.Deliver(context.Background(), c, r)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err))
				return
			}
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(tc.want, got, cmpopts.IgnoreFields(helpdesk.Event{}, "Raw"), cmpopts.EquateEmpty()))
			for _, e := range got {
				require.JSONEq(t, string(tc.body), string(e.Raw))
			}
		})
	}
}

func TestVerifyWebhook(t *testing.T) {
	c, _ := newTestClient(t, &minidriver.Options{Tolerance: time.Minute})
	body := fixture(t, "reply_customer.json")
	now := time.Now()
	tests := []struct {
		name    string
		req     func() *http.Request
		wantErr error
	}{
		{"current secret", func() *http.Request { return minidesktest.SignedRequest(t.Context(), body, webhookSecrets[0], now) }, nil},
		{"rotated-out secret", func() *http.Request { return minidesktest.SignedRequest(t.Context(), body, webhookSecrets[1], now) }, nil},
		{"within the tolerance", func() *http.Request {
			return minidesktest.SignedRequest(t.Context(), body, webhookSecrets[0], now.Add(-50*time.Second))
		}, nil},
		{"beyond the tolerance", func() *http.Request {
			return minidesktest.SignedRequest(t.Context(), body, webhookSecrets[0], now.Add(-2*time.Minute))
		}, helpdesk.ErrSignatureStale},
		{"from the future", func() *http.Request {
			return minidesktest.SignedRequest(t.Context(), body, webhookSecrets[0], now.Add(2*time.Minute))
		}, helpdesk.ErrSignatureFuture},
		{"other secret", func() *http.Request { return minidesktest.SignedRequest(t.Context(), body, "whsec_other", now) }, helpdesk.ErrSignatureMismatch},
		{"body changed after signing", func() *http.Request {
			r := minidesktest.SignedRequest(t.Context(), body, webhookSecrets[0], now)
			tampered := drivertest.SignedRequest(t.Context(), minidesktest.WebhookPath, []byte(string(body)+" "), r.Header)
			return tampered
		}, helpdesk.ErrSignatureMismatch},
		{"timestamp changed after signing", func() *http.Request {
			r := minidesktest.SignedRequest(t.Context(), body, webhookSecrets[0], now)
			r.Header.Set(minidriver.TimestampHeader, driverTime(now.Add(-time.Second)))
			return r
		}, helpdesk.ErrSignatureMismatch},
		{"no timestamp", func() *http.Request {
			r := minidesktest.SignedRequest(t.Context(), body, webhookSecrets[0], now)
			r.Header.Del(minidriver.TimestampHeader)
			return r
		}, helpdesk.ErrSignatureMissing},
		{"no signature", func() *http.Request {
			r := minidesktest.SignedRequest(t.Context(), body, webhookSecrets[0], now)
			r.Header.Del(minidriver.SignatureHeader)
			return r
		}, helpdesk.ErrSignatureMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := drivertest.Deliver(context.Background(), c, tc.req())
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			for _, s := range webhookSecrets {
				require.NotContains(t, err.Error(), s)
			}
		})
	}
}

func driverTime(t time.Time) string { return minidriver.Scheme.TimeFormat.Format(t) }
