package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

const klaviyoSecret = "kl_whsec_faqbot_5d1e"

func klaviyoEnv(srv *klaviyotest.Server) map[string]string {
	return map[string]string{
		"KLAVIYO_API_KEY":        klaviyotest.APIKey,
		"KLAVIYO_BASE_URL":       srv.URL,
		"KLAVIYO_WEBHOOK_SECRET": klaviyoSecret,
	}
}

func deliverSMS(t *testing.T, mux http.Handler, body []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, klaviyotest.SignedRequest(context.Background(), body, klaviyoSecret, time.Time{}))
	require.Less(t, rec.Code, 300, rec.Body.String())
}

// The Klaviyo mode answers a customer's text, never a subscription
// keyword, and leaves a customer who asks for a human to Klaviyo's inbox
// with a notice.
func TestKlaviyoMode(t *testing.T) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{})
	env := klaviyoEnv(srv)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hd, paths, err := vendorModes["klaviyo"](func(k string) string { return env[k] }, logger, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"/webhooks/klaviyo"}, paths)
	mux, h, err := vendorMux(hd, paths, testPolicy(t, klaviyoInbox), 0, logger)
	require.NoError(t, err)

	asker := srv.NewProfile("+5511987654321", "")
	quitter := srv.NewProfile("+5511912345678", "")
	deliverSMS(t, mux, srv.SentSMS(quitter, "STOP"))
	deliverSMS(t, mux, srv.SentSMS(quitter, "help"))
	deliverSMS(t, mux, srv.SentSMS(asker, "How do I reset my password?"))
	require.NoError(t, h.Shutdown(context.Background()))

	require.NotEmpty(t, srv.Outbound(asker), "the bot must answer the text")

	// The startup check names the variable to fix.
	check := modeInfo(hd).check
	require.NoError(t, check(context.Background()))
	srv.FailNext(http.StatusUnauthorized)
	require.ErrorContains(t, check(context.Background()), "KLAVIYO_API_KEY")
	require.Empty(t, srv.Outbound(quitter), "STOP and HELP are Klaviyo's to answer")

	// A forged delivery is refused.
	mux2, _, err := vendorMux(hd, paths, testPolicy(t, klaviyoInbox), 0, logger)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	mux2.ServeHTTP(rec, klaviyotest.SignedRequest(context.Background(), srv.SentSMS(asker, "hi"), "kl_whsec_not_ours", time.Time{}))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestKlaviyoModeConfig(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := map[string]string{"KLAVIYO_API_KEY": "AbC123"}
	_, _, err := vendorModes["klaviyo"](func(k string) string { return env[k] }, logger, nil)
	require.ErrorContains(t, err, "KLAVIYO_API_KEY: looks like a public API key")
	require.ErrorContains(t, err, "KLAVIYO_WEBHOOK_SECRET: required")
}

// With ZENDESK_* set, a handover of an SMS conversation becomes a Zendesk
// ticket in the N2 group, tagged sms, and the metrics reach Klaviyo.
func TestKlaviyoModeWithZendesk(t *testing.T) {
	kl := klaviyotest.NewServer(t, klaviyotest.Options{})
	zd := zendesktest.NewServer(t, nil)
	o := zd.Options()
	env := klaviyoEnv(kl)
	for k, v := range map[string]string{
		"ZENDESK_SUBDOMAIN":      o.Subdomain,
		"ZENDESK_EMAIL":          o.Email,
		"ZENDESK_API_TOKEN":      o.APIToken,
		"ZENDESK_BOT_USER_ID":    strconv.FormatInt(o.BotUserID, 10),
		"ZENDESK_N2_GROUP_ID":    strconv.FormatInt(o.N2GroupID, 10),
		"ZENDESK_WEBHOOK_SECRET": o.WebhookSecret,
		"ZENDESK_BASE_URL":       zd.Support.URL,
	} {
		env[k] = v
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hd, paths, err := vendorModes["klaviyo"](func(k string) string { return env[k] }, logger, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"/webhooks/klaviyo", "/webhooks/zendesk"}, paths)
	n2 := strconv.FormatInt(o.N2GroupID, 10)
	mux, h, err := vendorMux(hd, paths, testPolicy(t, n2), 0, logger)
	require.NoError(t, err)

	p := kl.NewProfile("+5511987654321", "")
	deliverSMS(t, mux, kl.SentSMS(p, "Do you accept bitcoin?"))
	require.NoError(t, h.Shutdown(context.Background()))

	require.NoError(t, modeInfo(hd).check(context.Background()), "both accounts match")
	k := modeInfo(hd).Helpdesk.(*klaviyoDesk)
	link, ok, err := k.bridge.Links().ByPhone(context.Background(), "+5511987654321")
	require.NoError(t, err)
	require.True(t, ok, "the handover opened a ticket for the phone")
	id, _ := strconv.ParseInt(link.Ticket.ID, 10, 64)
	tk, ok := zd.Ticket(id)
	require.True(t, ok)
	require.Equal(t, o.N2GroupID, tk.GroupID, "the ticket goes to N2")
	require.Equal(t, []string{"sms", "klaviyo"}, zd.TicketTags(id))

	// serve calls the mode's close after draining: it flushes the metrics.
	require.NotNil(t, modeInfo(hd).close)
	require.NoError(t, modeInfo(hd).close(context.Background()))
	var metrics []string
	for _, e := range kl.Events() {
		metrics = append(metrics, e.Metric)
	}
	require.Contains(t, metrics, klaviyo.MetricOpenedTicket)
	require.Contains(t, metrics, klaviyo.MetricHandedOver)
}
