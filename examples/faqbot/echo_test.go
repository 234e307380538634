package main

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// The bot's own message, delivered back by the vendor, is never answered:
// each vendor mode is driven end to end with its fake's echo, the way the
// vendor sends it, and the fake must see no request for it.

func TestZendeskModeIgnoresTheBotsEcho(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	o := srv.Options()
	env := map[string]string{
		"ZENDESK_SUBDOMAIN": o.Subdomain, "ZENDESK_EMAIL": o.Email, "ZENDESK_API_TOKEN": o.APIToken,
		"ZENDESK_BOT_USER_ID": strconv.FormatInt(o.BotUserID, 10), "ZENDESK_BOT_GROUP_ID": strconv.FormatInt(o.BotGroupID, 10),
		"ZENDESK_N2_GROUP_ID": strconv.FormatInt(o.N2GroupID, 10), "ZENDESK_WEBHOOK_SECRET": o.WebhookSecret,
		"ZENDESK_BASE_URL": srv.Support.URL,
	}
	mux, h := embeddedMux(t, "zendesk", env)
	id := srv.CreateTicket("echo", "Do you accept bitcoin?")
	req := zendesktest.NewTriggerRequest(o.WebhookSecret, zendesktest.TriggerBody(srv.BotComment(id, 987654, "Do you accept bitcoin? We do not, sorry.")), time.Now(), "inv-echo")
	req.URL.Path = "/webhooks/zendesk"
	before := srv.Requests()
	require.Less(t, serveCode(mux, req), 300)
	require.NoError(t, h.Shutdown(context.Background()))
	tk, _ := srv.Ticket(id)
	require.Zero(t, tk.Updates, "the bot's own comment is not answered")
	require.Equal(t, before, srv.Requests(), "no request for the bot's echo")
}

func TestCloudChatModeIgnoresTheBotsEcho(t *testing.T) {
	srv := cloudchattest.NewServer(t, nil)
	agent := srv.AddAgent("Ana", "online")
	team := srv.AddTeam("Level 2", agent)
	env := map[string]string{
		"CLOUDCHAT_BASE_URL": srv.URL, "CLOUDCHAT_ACCOUNT_ID": strconv.FormatInt(srv.AccountID(), 10),
		"CLOUDCHAT_API_TOKEN": srv.BotToken(), "CLOUDCHAT_USER_TOKEN": srv.UserToken(),
		"CLOUDCHAT_BOT_AGENT_ID": strconv.FormatInt(srv.BotID(), 10), "CLOUDCHAT_WEBHOOK_SECRET": "whsec-cloudchat-test",
		"CLOUDCHAT_N2_TEAM_ID": strconv.FormatInt(team, 10),
	}
	mux, h := embeddedMux(t, "cloudchat", env)
	conv := srv.AddConversation(cloudchattest.Conversation{Status: "pending", Channel: "Channel::Whatsapp", CanReply: true})
	before, _ := srv.Conversation(conv)
	body := cloudchattest.MessagePayload(cloudchattest.MessageEvent{
		ID: 300, Content: "Do you accept bitcoin? We do not, sorry.", MessageType: "outgoing",
		Sender:       &cloudchattest.Sender{ID: srv.BotID(), Name: "Bot", Type: "agent_bot"},
		Conversation: cloudchattest.ConversationRef{ID: conv, Status: "pending", Channel: "Channel::Whatsapp"},
	})
	signer := &cloudchattest.Signer{Secret: env["CLOUDCHAT_WEBHOOK_SECRET"]}
	require.Less(t, serveCode(mux, signer.Request(body, "delivery-echo")), 300)
	require.NoError(t, h.Shutdown(context.Background()))
	after, _ := srv.Conversation(conv)
	require.Equal(t, before.Messages, after.Messages, "the bot's own message is not answered")
	require.Zero(t, after.TeamID, "nor handed over")
}

func TestIntercomModeIgnoresTheBotsEcho(t *testing.T) {
	srv := intercomtest.NewServer(t, nil)
	human := srv.AddAdmin("Ana", false)
	n2 := srv.AddTeam("N2", human)
	env := map[string]string{
		"INTERCOM_ACCESS_TOKEN": intercomtest.DefaultToken, "INTERCOM_BASE_URL": srv.URL,
		"INTERCOM_BOT_TEAM_ID": intercomtest.DefaultBotTeamID, "INTERCOM_N2_TEAM_ID": n2,
		"INTERCOM_CLIENT_SECRET": "client-secret-faqbot",
	}
	mux, h := embeddedMux(t, "intercom", env)
	conv := srv.AddConversation(intercomtest.Conversation{})
	c, _ := srv.Conversation(conv)
	before := len(c.Parts)
	echo := intercomtest.Part{ID: "9000001", PartType: "comment", Body: "<p>Do you accept bitcoin? We do not, sorry.</p>",
		Author: intercomtest.Author{Type: "admin", ID: intercomtest.DefaultBotAdminID, Name: intercomtest.DefaultBotName}}
	signer := &intercomtest.Signer{Secret: env["INTERCOM_CLIENT_SECRET"]}
	r := signer.Request(intercomtest.Payload(intercomtest.Event{Topic: intercom.TopicAdminReplied, Conversation: c, Parts: []intercomtest.Part{echo}}))
	require.Less(t, serveCode(mux, r), 300)
	require.NoError(t, h.Shutdown(context.Background()))
	after, _ := srv.Conversation(conv)
	require.Len(t, after.Parts, before, "the bot's own reply is not answered")
	require.NotEqual(t, n2, after.TeamAssigneeID, "nor handed over")
}

func TestHubSpotModeIgnoresTheBotsEcho(t *testing.T) {
	srv := hubspottest.NewServer(t)
	secret := "hs-client-secret-faqbot-echo"
	h, deliver, agent := hubspotMode(t, srv, secret)
	thread := srv.NewThread("Do you accept bitcoin?")
	body := srv.BotDelivery(thread, "Do you accept bitcoin? We do not, sorry.")
	before, _ := srv.Thread(thread)
	require.Less(t, deliver("/webhooks/hubspot", body, func(r *http.Request) { hubspottest.Sign(r, body, secret, time.Now()) }), 300)
	require.NoError(t, h.Shutdown(context.Background()))
	after, _ := srv.Thread(thread)
	require.Len(t, after.Messages, len(before.Messages), "the bot's own message is not answered")
	require.NotEqual(t, "A-"+agent, after.AssignedTo, "nor handed over")
}

func TestKlaviyoModeIgnoresTheBotsEcho(t *testing.T) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{})
	env := klaviyoEnv(srv)
	mux, h := embeddedMux(t, "klaviyo", env)
	profile := srv.NewProfile("+5511987654321", "")
	body := srv.ReceivedSMS(profile, "Do you accept bitcoin? We do not, sorry.")
	before := len(srv.Outbound(profile))
	requests := srv.Requests()
	deliverSMS(t, mux, body)
	require.NoError(t, h.Shutdown(context.Background()))
	require.Len(t, srv.Outbound(profile), before, "the bot's own text is not answered")
	require.Equal(t, requests, srv.Requests(), "no request for the bot's echo")
}
