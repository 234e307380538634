package zendesk_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/openapi"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// TestSunshineRequestsMatchSpec sends every Sunshine request the driver
// makes through a fake that validates it against the published Sunshine
// Conversations OpenAPI spec (skipped when the specs folder is absent).
func TestSunshineRequestsMatchSpec(t *testing.T) {
	spec := openapi.Load(t, "sunshine/openapi.yaml")
	srv := zendesktest.NewServer(t, &zendesktest.Options{ValidateSunshine: func(r *http.Request, body []byte) error { return spec.Validate(r, body) }})
	cfg := srv.ChatConfig()
	cfg.BotAvatarURL = "https://cdn.example/bot.png"
	cfg.BotAISubtype = true
	c, err := zendesk.New(cfg, &zendesk.Options{NoBudget: true, MaxRetryWait: time.Second})
	require.NoError(t, err)
	ctx := context.Background()
	o := srv.Options()

	convID, tid := srv.CreateConversation("oi")
	conv := zendesk.SunshineConversation(o.Subdomain, o.SunshineAppID, convID).With(zendesk.ExtraFirstMessageID, "m-first")
	_, err = c.SendMessage(ctx, conv, helpdesk.Message{Text: "Olá! Como posso ajudar?"})
	require.NoError(t, err)
	require.NoError(t, c.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200", Notice: "Um especialista vai continuar."}))
	require.NoError(t, c.Resolve(ctx, conv))
	require.NoError(t, c.Reassign(ctx, zendesk.WithTicket(conv, tid), helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "501", Note: "VIP"}))
	sc, _ := srv.Conversation(convID)
	require.Len(t, sc.PassControls, 2)
	require.Equal(t, 1, sc.Releases)

	// The validator is live: a wrong author type is refused.
	bad, err := http.NewRequest(http.MethodPost, srv.Sunshine.URL+"/v2/apps/"+o.SunshineAppID+"/conversations/"+convID+"/messages", nil)
	require.NoError(t, err)
	bad.Header.Set("Content-Type", "application/json")
	require.Error(t, spec.Validate(bad, []byte(`{"author":{"type":"robot"},"content":{"type":"text","text":"x"}}`)))
}
