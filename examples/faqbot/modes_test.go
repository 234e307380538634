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

	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

func testPolicy(t *testing.T, n2 string) *escalation.Policy {
	t.Helper()
	cfg := escalation.Config{MinConfidence: 0.5}
	cfg.DefaultTarget.Kind = "group"
	cfg.DefaultTarget.ID = n2
	p, err := escalation.New(cfg)
	require.NoError(t, err)
	return p
}

// The Zendesk mode, configured from the environment against the fake
// Zendesk, answers a signed trigger webhook in the ticket and hands a
// low-confidence question to the N2 group.
func TestZendeskMode(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	o := srv.Options()
	env := map[string]string{
		"ZENDESK_SUBDOMAIN":      o.Subdomain,
		"ZENDESK_EMAIL":          o.Email,
		"ZENDESK_API_TOKEN":      o.APIToken,
		"ZENDESK_BOT_USER_ID":    strconv.FormatInt(o.BotUserID, 10),
		"ZENDESK_N2_GROUP_ID":    strconv.FormatInt(o.N2GroupID, 10),
		"ZENDESK_WEBHOOK_SECRET": o.WebhookSecret,
		"ZENDESK_BASE_URL":       srv.Support.URL,
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hd, paths, err := vendorModes["zendesk"](func(k string) string { return env[k] }, logger, nil)
	require.NoError(t, err)
	require.Contains(t, paths, "/webhooks/zendesk")
	mux, h, err := vendorMux(hd, paths, testPolicy(t, strconv.FormatInt(o.N2GroupID, 10)), 0, logger)
	require.NoError(t, err)

	answered := srv.CreateTicket("Password", "How do I reset my password?")
	escalated := srv.CreateTicket("Crypto", "Do you accept bitcoin?")
	for i, id := range []int64{answered, escalated} {
		tk, _ := srv.Ticket(id)
		c := tk.Comments[0]
		body := zendesktest.TriggerBody(srv.CustomerComment(id, c.ID, c.Body))
		req := zendesktest.NewTriggerRequest(o.WebhookSecret, body, time.Now(), "inv-"+strconv.Itoa(i))
		req.URL.Path = "/webhooks/zendesk"
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		require.Less(t, rec.Code, 300, rec.Body.String())
	}
	require.NoError(t, h.Shutdown(context.Background()))

	tk, _ := srv.Ticket(answered)
	require.Greater(t, len(tk.Comments), 1, "the bot must answer in the ticket")
	require.Equal(t, o.BotUserID, tk.Comments[len(tk.Comments)-1].AuthorID)
	tk, _ = srv.Ticket(escalated)
	require.Equal(t, o.N2GroupID, tk.GroupID, "a low-confidence question goes to N2")

	// A forged delivery is refused with a 4xx.
	req := zendesktest.NewTriggerRequest("wrong-secret", []byte(`{"ticketId":"1"}`), time.Now(), "inv-x")
	req.URL.Path = "/webhooks/zendesk"
	rec := httptest.NewRecorder()
	mux2, _, _ := vendorMux(hd, paths, testPolicy(t, "1"), 0, logger)
	mux2.ServeHTTP(rec, req)
	require.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestModesRejectMissingConfig(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, mode := range vendorModes {
		_, _, err := mode(func(string) string { return "" }, logger, nil)
		require.Error(t, err, name)
	}
}

// The Cloud Chat mode answers a pending WhatsApp conversation in parts and
// hands a customer who asks for a human to the N2 team (pending → open).
func TestCloudChatMode(t *testing.T) {
	srv := cloudchattest.NewServer(t, nil)
	team := srv.AddTeam("Level 2", srv.AddAgent("Ana", "online"))
	env := map[string]string{
		"CLOUDCHAT_BASE_URL":       srv.URL,
		"CLOUDCHAT_ACCOUNT_ID":     strconv.FormatInt(srv.AccountID(), 10),
		"CLOUDCHAT_API_TOKEN":      srv.BotToken(),
		"CLOUDCHAT_USER_TOKEN":     srv.UserToken(),
		"CLOUDCHAT_BOT_AGENT_ID":   strconv.FormatInt(srv.BotID(), 10),
		"CLOUDCHAT_N2_TEAM_ID":     strconv.FormatInt(team, 10),
		"CLOUDCHAT_WEBHOOK_SECRET": "whsec-cloudchat-test",
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hd, paths, err := vendorModes["cloudchat"](func(k string) string { return env[k] }, logger, nil)
	require.NoError(t, err)
	mux, h, err := vendorMux(hd, paths, testPolicy(t, strconv.FormatInt(team, 10)), 120, logger)
	require.NoError(t, err)

	signer := &cloudchattest.Signer{Secret: env["CLOUDCHAT_WEBHOOK_SECRET"]}
	answered := srv.AddConversation(cloudchattest.Conversation{Status: "pending", Channel: "Channel::Whatsapp", CanReply: true})
	human := srv.AddConversation(cloudchattest.Conversation{Status: "pending", Channel: "Channel::Whatsapp", CanReply: true})
	for i, tc := range []struct {
		conv int64
		text string
	}{{answered, "How do I reset my password?"}, {human, "Quero falar com um atendente"}} {
		body := cloudchattest.MessagePayload(cloudchattest.MessageEvent{
			ID: int64(100 + i), Content: tc.text, Sender: &cloudchattest.Sender{ID: 77, Name: "Maria"},
			Conversation: cloudchattest.ConversationRef{ID: tc.conv, Status: "pending", Channel: "Channel::Whatsapp"},
		})
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, signer.Request(body, "delivery-"+strconv.Itoa(i)))
		require.Less(t, rec.Code, 300, rec.Body.String())
	}
	require.NoError(t, h.Shutdown(context.Background()))

	c, _ := srv.Conversation(answered)
	require.Greater(t, len(c.Messages), 2, "the long answer is split into several WhatsApp messages")
	c, _ = srv.Conversation(human)
	require.Equal(t, team, c.TeamID)
	require.Equal(t, "open", c.Status, "the hand-off opens the conversation for the team")
}
