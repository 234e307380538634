package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

// The Intercom mode answers a Custom Action call and a topic webhook,
// hands a customer who asks for a human to the N2 team, and refuses a
// wrong action token with 401.
func TestIntercomMode(t *testing.T) {
	srv := intercomtest.NewServer(t, nil)
	n2 := srv.AddTeam("N2", srv.AddAdmin("Ana", false))
	env := map[string]string{
		"INTERCOM_ACCESS_TOKEN":  intercomtest.DefaultToken,
		"INTERCOM_BASE_URL":      srv.URL,
		"INTERCOM_BOT_TEAM_ID":   "https://app.intercom.com/a/inbox/" + intercomtest.DefaultAppID + "/inbox/team/" + intercomtest.DefaultBotTeamID,
		"INTERCOM_N2_TEAM_ID":    n2,
		"INTERCOM_CLIENT_SECRET": "client-secret-faqbot",
		"INTERCOM_ACTION_TOKEN":  "action-token-faqbot-0123456789",
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hd, paths, err := vendorModes["intercom"](func(k string) string { return env[k] }, logger, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"/webhooks/intercom", "/actions/intercom"}, paths)
	mux, h, err := vendorMux(hd, paths, testPolicy(t, n2), 0, logger)
	require.NoError(t, err)

	answered := srv.AddConversation(intercomtest.Conversation{})
	human := srv.AddConversation(intercomtest.Conversation{})

	// A wrong token is refused and nothing is sent.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, intercomtest.ActionRequest("wrong-token-0123456789", intercom.ActionRequest{ConversationID: answered, Message: "hi"}))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Zero(t, srv.Requests())

	// The Custom Action: the customer asks how to reset a password.
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, intercomtest.ActionRequest(env["INTERCOM_ACTION_TOKEN"], intercom.ActionRequest{ConversationID: answered, Message: "How do I reset my password?", MessageID: "900"}))
	require.Less(t, rec.Code, 300, rec.Body.String())

	// A topic webhook: the other customer asks for a human.
	part, _ := srv.CustomerReply(human, "Quero falar com um atendente")
	c, _ := srv.Conversation(human)
	signer := &intercomtest.Signer{Secret: env["INTERCOM_CLIENT_SECRET"]}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, signer.Request(intercomtest.Payload(intercomtest.Event{Topic: intercom.TopicUserReplied, Conversation: c, Parts: []intercomtest.Part{part}})))
	require.Less(t, rec.Code, 300, rec.Body.String())
	require.NoError(t, h.Shutdown(context.Background()))

	c, _ = srv.Conversation(answered)
	require.NotEmpty(t, c.Parts, "the bot must answer in the conversation")
	require.Equal(t, intercomtest.DefaultBotAdminID, c.Parts[len(c.Parts)-1].Author.ID)
	c, _ = srv.Conversation(human)
	require.Equal(t, n2, c.TeamAssigneeID, "a request for a human goes to N2")
}
