package main

import (
	"bytes"
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
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// The customer messages every vendor test sends: each must reach the
// configured level-2 target, through the embedded policy's placeholders
// ("n2", "n2-billing").
var handoverTexts = map[string]string{
	"low confidence":  "Do you accept bitcoin?",
	"asks for human":  "Quero falar com um atendente",
	"billing keyword": "I want a refund, I'll file a chargeback",
}

// embeddedMux is faqbot's vendor mode as run starts it, with the embedded
// policy.
func embeddedMux(t *testing.T, vendor string, env map[string]string) (*http.ServeMux, *helpdesk.WebhookHandler) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := escalation.LoadConfig(bytes.NewReader(defaultPolicy))
	require.NoError(t, err)
	hd, paths, policy, err := setupVendor(vendor, func(k string) string { return env[k] }, logger, cfg, true, nil)
	require.NoError(t, err)
	mux, h, err := vendorMux(hd, paths, policy, 0, logger)
	require.NoError(t, err)
	return mux, h
}

func serveCode(mux http.Handler, r *http.Request) int {
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, r)
	return rec.Code
}

// Zendesk with the embedded policy: a low-confidence question, a request
// for a human and a billing keyword reach ZENDESK_N2_GROUP_ID; a ticket a
// human agent already holds gets no answer at all.
func TestZendeskEmbeddedPolicyHandsOver(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	o := srv.Options()
	env := map[string]string{
		"ZENDESK_SUBDOMAIN":      o.Subdomain,
		"ZENDESK_EMAIL":          o.Email,
		"ZENDESK_API_TOKEN":      o.APIToken,
		"ZENDESK_BOT_USER_ID":    strconv.FormatInt(o.BotUserID, 10),
		"ZENDESK_BOT_GROUP_ID":   strconv.FormatInt(o.BotGroupID, 10),
		"ZENDESK_N2_GROUP_ID":    strconv.FormatInt(o.N2GroupID, 10),
		"ZENDESK_WEBHOOK_SECRET": o.WebhookSecret,
		"ZENDESK_BASE_URL":       srv.Support.URL,
	}
	mux, h := embeddedMux(t, "zendesk", env)
	deliver := func(p []byte, inv string) {
		req := zendesktest.NewTriggerRequest(o.WebhookSecret, p, time.Now(), inv)
		req.URL.Path = "/webhooks/zendesk"
		require.Less(t, serveCode(mux, req), 300)
	}
	tickets := map[string]int64{}
	for name, text := range handoverTexts {
		id := srv.CreateTicket(name, text)
		tickets[name] = id
		tk, _ := srv.Ticket(id)
		deliver(zendesktest.TriggerBody(srv.CustomerComment(id, tk.Comments[0].ID, text)), "inv-"+name)
	}
	taken := srv.CreateTicket("taken", "Do you accept bitcoin?")
	tk, _ := srv.Ticket(taken)
	p := srv.CustomerComment(taken, tk.Comments[0].ID, "Do you accept bitcoin?")
	p.AssigneeID, p.GroupID = strconv.FormatInt(o.AgentID, 10), strconv.FormatInt(o.N2GroupID, 10)
	deliver(zendesktest.TriggerBody(p), "inv-taken")
	require.NoError(t, h.Shutdown(context.Background()))

	for name, id := range tickets {
		tk, _ := srv.Ticket(id)
		require.Equal(t, o.N2GroupID, tk.GroupID, "%s: handed to ZENDESK_N2_GROUP_ID", name)
	}
	tk, _ = srv.Ticket(taken)
	require.Zero(t, tk.Updates, "the bot stays silent in a ticket a human holds")
	require.Len(t, tk.Comments, 1)
}

// Cloud Chat with the embedded policy hands over to CLOUDCHAT_N2_TEAM_ID,
// stays silent in an open conversation a human holds, and refuses to start
// without a level-2 team.
func TestCloudChatEmbeddedPolicyHandsOver(t *testing.T) {
	srv := cloudchattest.NewServer(t, nil)
	agent := srv.AddAgent("Ana", "online")
	team := srv.AddTeam("Level 2", agent)
	env := map[string]string{
		"CLOUDCHAT_BASE_URL":       srv.URL,
		"CLOUDCHAT_ACCOUNT_ID":     strconv.FormatInt(srv.AccountID(), 10),
		"CLOUDCHAT_API_TOKEN":      srv.BotToken(),
		"CLOUDCHAT_USER_TOKEN":     srv.UserToken(),
		"CLOUDCHAT_BOT_AGENT_ID":   strconv.FormatInt(srv.BotID(), 10),
		"CLOUDCHAT_WEBHOOK_SECRET": "whsec-cloudchat-test",
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := escalation.LoadConfig(bytes.NewReader(defaultPolicy))
	require.NoError(t, err)
	_, _, _, err = setupVendor("cloudchat", func(k string) string { return env[k] }, logger, cfg, true, nil)
	require.ErrorContains(t, err, "CLOUDCHAT_N2_TEAM_ID", "the embedded policy needs a level-2 team")

	env["CLOUDCHAT_N2_TEAM_ID"] = strconv.FormatInt(team, 10)
	mux, h := embeddedMux(t, "cloudchat", env)
	signer := &cloudchattest.Signer{Secret: env["CLOUDCHAT_WEBHOOK_SECRET"]}
	convs := map[string]int64{}
	i := 0
	for name, text := range handoverTexts {
		i++
		conv := srv.AddConversation(cloudchattest.Conversation{Status: "pending", Channel: "Channel::Whatsapp", CanReply: true})
		convs[name] = conv
		body := cloudchattest.MessagePayload(cloudchattest.MessageEvent{
			ID: int64(100 + i), Content: text, Sender: &cloudchattest.Sender{ID: 77, Name: "Maria"},
			Conversation: cloudchattest.ConversationRef{ID: conv, Status: "pending", Channel: "Channel::Whatsapp"},
		})
		require.Less(t, serveCode(mux, signer.Request(body, "delivery-"+name)), 300)
	}
	taken := srv.AddConversation(cloudchattest.Conversation{Status: "open", Channel: "Channel::Whatsapp", CanReply: true})
	before, _ := srv.Conversation(taken)
	body := cloudchattest.MessagePayload(cloudchattest.MessageEvent{
		ID: 200, Content: "Do you accept bitcoin?", Sender: &cloudchattest.Sender{ID: 77, Name: "Maria"},
		Conversation: cloudchattest.ConversationRef{ID: taken, Status: "open", Channel: "Channel::Whatsapp", AssigneeID: agent, AssigneeType: "User"},
	})
	require.Less(t, serveCode(mux, signer.Request(body, "delivery-taken")), 300)
	require.NoError(t, h.Shutdown(context.Background()))

	for name, id := range convs {
		c, _ := srv.Conversation(id)
		require.Equal(t, team, c.TeamID, "%s: handed to CLOUDCHAT_N2_TEAM_ID", name)
	}
	after, _ := srv.Conversation(taken)
	require.Equal(t, before.Messages, after.Messages, "the bot stays silent in a conversation a human holds")
	require.Zero(t, after.TeamID)
}

// Intercom with the embedded policy hands over to INTERCOM_N2_TEAM_ID and
// stays silent in a conversation assigned to a human's team.
func TestIntercomEmbeddedPolicyHandsOver(t *testing.T) {
	srv := intercomtest.NewServer(t, nil)
	human := srv.AddAdmin("Ana", false)
	n2 := srv.AddTeam("N2", human)
	env := map[string]string{
		"INTERCOM_ACCESS_TOKEN":  intercomtest.DefaultToken,
		"INTERCOM_BASE_URL":      srv.URL,
		"INTERCOM_BOT_TEAM_ID":   intercomtest.DefaultBotTeamID,
		"INTERCOM_N2_TEAM_ID":    n2,
		"INTERCOM_CLIENT_SECRET": "client-secret-faqbot",
	}
	mux, h := embeddedMux(t, "intercom", env)
	signer := &intercomtest.Signer{Secret: env["INTERCOM_CLIENT_SECRET"]}
	deliver := func(conv, text string) {
		part, _ := srv.CustomerReply(conv, text)
		c, _ := srv.Conversation(conv)
		r := signer.Request(intercomtest.Payload(intercomtest.Event{Topic: intercom.TopicUserReplied, Conversation: c, Parts: []intercomtest.Part{part}}))
		require.Less(t, serveCode(mux, r), 300)
	}
	convs := map[string]string{}
	for name, text := range handoverTexts {
		convs[name] = srv.AddConversation(intercomtest.Conversation{})
		deliver(convs[name], text)
	}
	taken := srv.AddConversation(intercomtest.Conversation{TeamAssigneeID: n2, AdminAssigneeID: human})
	deliver(taken, "Do you accept bitcoin?")
	require.NoError(t, h.Shutdown(context.Background()))

	for name, id := range convs {
		c, _ := srv.Conversation(id)
		require.Equal(t, n2, c.TeamAssigneeID, "%s: handed to INTERCOM_N2_TEAM_ID", name)
	}
	after, _ := srv.Conversation(taken)
	for _, p := range after.Parts {
		require.NotEqual(t, intercomtest.DefaultBotAdminID, p.Author.ID, "the bot stays silent in a conversation a human holds: %+v", p)
	}
	require.Equal(t, n2, after.TeamAssigneeID)
}

// HubSpot with the embedded policy hands over to HUBSPOT_N2_AGENT_ID, and
// once it has, the customer's next message gets no bot answer: the thread
// is the agent's.
func TestHubSpotEmbeddedPolicyHandsOver(t *testing.T) {
	srv := hubspottest.NewServer(t)
	const external = "https://bot.example.com/webhooks/hubspot"
	secret := "hs-client-secret-faqbot-1"
	agent := strconv.Itoa(hubspottest.AgentUserID)
	env := map[string]string{
		"HUBSPOT_ACCESS_TOKEN":  hubspottest.Token,
		"HUBSPOT_CLIENT_SECRET": secret,
		"HUBSPOT_BOT_USER_ID":   strconv.Itoa(hubspottest.BotUserID),
		"HUBSPOT_N2_AGENT_ID":   agent,
		"HUBSPOT_WEBHOOK_URL":   external,
		"HUBSPOT_BASE_URL":      srv.URL,
	}
	mux, h := embeddedMux(t, "hubspot", env)
	deliver := func(thread int64, text string) {
		body := srv.CustomerDelivery(thread, text)
		signed := httptest.NewRequest(http.MethodPost, external, bytes.NewReader(body))
		hubspottest.Sign(signed, body, secret, time.Now())
		r := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080/webhooks/hubspot", bytes.NewReader(body))
		r.Header = signed.Header.Clone()
		r.Header.Set("Content-Type", "application/json")
		require.Less(t, serveCode(mux, r), 300)
	}
	threads := map[string]int64{}
	for name, text := range handoverTexts {
		threads[name] = srv.NewThread("hi")
		deliver(threads[name], text)
	}
	// After the handover the thread is the agent's: a question the FAQ
	// answers gets no bot answer there. Events of one thread are handled
	// in order, so it is decided after the handover.
	deliver(threads["low confidence"], "How do I reset my password?")
	require.NoError(t, h.Shutdown(context.Background()))

	for name, id := range threads {
		th, _ := srv.Thread(id)
		require.Equal(t, "A-"+agent, th.AssignedTo, "%s: handed to HUBSPOT_N2_AGENT_ID", name)
	}
	th, _ := srv.Thread(threads["low confidence"])
	for _, m := range th.Messages {
		require.NotContains(t, m.Text, "Forgot password", "the bot stays silent in a thread it handed over")
	}
}
