package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

// The HubSpot mode, configured from the environment against the fake
// HubSpot behind a proxy (HUBSPOT_WEBHOOK_URL is what HubSpot signs),
// answers a customer in the thread, hands a low-confidence question to the
// N2 agent, and stores the ticket-created workflow's association.
// hubspotMode runs the HubSpot mode against srv, with its N2 agent, and
// returns its handler and a deliver function that signs a body for the
// public URL, as HubSpot does, and sends it to the local path, as the
// proxy does, answering the status.
func hubspotMode(t *testing.T, srv *hubspottest.Server, secret string) (h *helpdesk.WebhookHandler, deliver func(path string, body []byte, sign func(*http.Request)) int, agent string) {
	const external = "https://bot.example.com/webhooks/hubspot"
	agent = strconv.Itoa(hubspottest.AgentUserID)
	env := map[string]string{
		"HUBSPOT_ACCESS_TOKEN":  hubspottest.Token,
		"HUBSPOT_CLIENT_SECRET": secret,
		"HUBSPOT_BOT_USER_ID":   strconv.Itoa(hubspottest.BotUserID),
		"HUBSPOT_N2_AGENT_ID":   agent,
		"HUBSPOT_WEBHOOK_URL":   external,
		"HUBSPOT_BASE_URL":      srv.URL,
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hd, paths, err := vendorModes["hubspot"](func(k string) string { return env[k] }, logger, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"/webhooks/hubspot", "/webhooks/hubspot/tickets"}, paths)
	cfg := escalation.Config{MinConfidence: 0.5}
	cfg.DefaultTarget.Kind = "agent"
	cfg.DefaultTarget.ID = agent
	policy, err := escalation.New(cfg)
	require.NoError(t, err)
	mux, wh, err := vendorMux(hd, paths, policy, 0, logger)
	require.NoError(t, err)
	deliver = func(path string, body []byte, sign func(*http.Request)) int {
		signed := httptest.NewRequest(http.MethodPost, strings.TrimSuffix(external, "/webhooks/hubspot")+path, strings.NewReader(string(body)))
		sign(signed)
		r := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080"+path, strings.NewReader(string(body)))
		r.Header = signed.Header.Clone()
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Code
	}
	return wh, deliver, agent
}

func TestHubSpotMode(t *testing.T) {
	srv := hubspottest.NewServer(t)
	secret := "hs-client-secret-faqbot-1"
	h, deliver, agent := hubspotMode(t, srv, secret)
	answered := srv.NewThread("hi")
	escalated := srv.NewThread("hi")
	th, _ := srv.Thread(escalated)
	for i, tc := range []struct {
		thread int64
		text   string
	}{{answered, "How do I reset my password?"}, {escalated, "Do you accept bitcoin?"}} {
		body := srv.CustomerDelivery(tc.thread, tc.text)
		code := deliver("/webhooks/hubspot", body, func(r *http.Request) { hubspottest.Sign(r, body, secret, timeNow()) })
		require.Less(t, code, 300, "delivery %d", i)
	}
	ticketBody := hubspottest.TicketCreatedBody(th.Tickets[0], escalated)
	code := deliver("/webhooks/hubspot/tickets", ticketBody, func(r *http.Request) { hubspottest.SignV2(r, ticketBody, secret) })
	require.Less(t, code, 300, "ticket-created workflow delivery")
	// A delivery signed for another URL is refused with a 4xx.
	forged := srv.CustomerDelivery(answered, "forged")
	code = deliver("/webhooks/hubspot", forged, func(r *http.Request) {
		r.URL.Host = "evil.example.com"
		hubspottest.Sign(r, forged, secret, timeNow())
	})
	require.Equal(t, http.StatusUnauthorized, code)
	require.NoError(t, h.Shutdown(context.Background()))

	// The forged delivery's message joins the thread too (the fake
	// records it before the bot's queued answer may land): look for the
	// answer, not at the last message.
	got, _ := srv.Thread(answered)
	var directions []string
	for _, m := range got.Messages {
		directions = append(directions, m.Direction)
	}
	require.Contains(t, directions, "OUTGOING", "the bot answers in the thread")
	got, _ = srv.Thread(escalated)
	require.Equal(t, "A-"+agent, got.AssignedTo, "a low-confidence question goes to the N2 agent")

}

func timeNow() time.Time { return time.Now() }
