package zendesk_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
)

func TestNormalizeSubdomain(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"acme", "acme", true},
		{"  Acme ", "acme", true},
		{"acme.zendesk.com", "acme", true},
		{"https://acme.zendesk.com", "acme", true},
		{"https://acme.zendesk.com/agent/tickets/123", "acme", true},
		{"http://acme.zendesk.com/", "acme", true},
		{"acme.zendesk.com/admin/home", "acme", true},
		{"my-shop2", "my-shop2", true},
		{"", "", false},
		{"https://acme.freshdesk.com", "", false},
		{"acme.example.com", "", false},
		{"ac me", "", false},
		{"-acme", "", false},
		{"https://", "", false},
	} {
		got, err := zendesk.NormalizeSubdomain(tc.in)
		if !tc.ok {
			require.Error(t, err, tc.in)
			require.Contains(t, err.Error(), "https://SUBDOMAIN.zendesk.com", "the error must show the expected form")
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func validConfig() zendesk.Config {
	return zendesk.Config{
		Subdomain: "https://acme.zendesk.com/agent", Email: "bot@acme.example", APIToken: "tok-SECRET-123456",
		BotUserID: 1, N2GroupID: 2, WebhookSecrets: []string{"whsec-SECRET-abc"},
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	require.NoError(t, validConfig().Validate())

	err := zendesk.Config{Mode: "fax", Subdomain: "acme.freshdesk.com", TicketUpdateShare: 2, Plan: "gold", BaseURL: "ftp://x"}.Validate()
	require.ErrorIs(t, err, zendesk.ErrInvalidConfig)
	var ce *helpdesk.ConfigError
	require.ErrorAs(t, err, &ce)
	for _, want := range []string{"mode", "subdomain", "credentials", "bot user id", "N2 group id", "webhook signing secret", "plan", "ticket update share", "base URL"} {
		require.Contains(t, err.Error(), want)
	}
	require.GreaterOrEqual(t, len(ce.Problems), 9)

	chat := validConfig()
	chat.Mode = zendesk.ModeChat
	err = chat.Validate()
	for _, want := range []string{"Sunshine app id", "Sunshine key id", "Sunshine secret", "Sunshine webhook secret"} {
		require.Contains(t, err.Error(), want)
	}

	both := validConfig()
	both.OAuthToken = "oauth-SECRET"
	require.ErrorContains(t, both.Validate(), "set one credential")

	withToken := validConfig()
	withToken.Email = "bot@acme.example/token"
	require.ErrorContains(t, withToken.Validate(), "without \"/token\"")

	cc := validConfig()
	cc.APIToken, cc.OAuthClientID = "", "client"
	require.ErrorContains(t, cc.Validate(), "OAuth client secret is required")
}

func TestSecretsNeverPrinted(t *testing.T) {
	c := validConfig()
	c.OAuthClientSecret = "cc-SECRET-zz"
	c.SunshineSecret = "sun-SECRET-yy"
	c.SunshineWebhookSecrets = []string{"sunwh-SECRET-xx"}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprint(&c)} {
		require.NotContains(t, s, "SECRET", s)
	}
	bad := c
	bad.Subdomain = "not a subdomain SECRET"
	bad.APIToken = ""
	err := bad.Validate()
	require.Error(t, err)
	require.NotContains(t, strings.ReplaceAll(err.Error(), "not a subdomain SECRET", ""), "SECRET")
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"ZENDESK_SUBDOMAIN":      "https://acme.zendesk.com/agent/dashboard",
		"ZENDESK_EMAIL":          "bot@acme.example",
		"ZENDESK_API_TOKEN":      "api-SECRET",
		"ZENDESK_BOT_USER_ID":    "9001",
		"ZENDESK_N2_GROUP_ID":    "200",
		"ZENDESK_WEBHOOK_SECRET": "old-SECRET, new-SECRET",
		"ZENDESK_PLAN":           "Enterprise",
	}
	cfg, err := zendesk.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	want := zendesk.Config{
		Mode: zendesk.ModeEmail, Subdomain: "acme", Email: "bot@acme.example", APIToken: "api-SECRET",
		BotUserID: 9001, N2GroupID: 200, WebhookSecrets: []string{"old-SECRET", "new-SECRET"}, Plan: zendesk.PlanEnterprise,
	}
	require.Empty(t, cmp.Diff(want.Normalize(), cfg, cmp.Comparer(func(a, b zendesk.Config) bool {
		return a.Subdomain == b.Subdomain && a.Email == b.Email && a.APIToken == b.APIToken && a.BotUserID == b.BotUserID &&
			a.N2GroupID == b.N2GroupID && cmp.Equal(a.WebhookSecrets, b.WebhookSecrets) && a.Plan == b.Plan && a.Mode == b.Mode
	})))
	require.Equal(t, 700, cfg.Plan.RequestsPerMinute())

	env["SUNSHINE_APP_ID"] = "app1"
	env["SUNSHINE_KEY_ID"] = "app_key"
	env["SUNSHINE_SECRET"] = "sun-SECRET"
	env["SUNSHINE_WEBHOOK_SECRET"] = "sunwh-SECRET"
	env["SUNSHINE_BASE_URL"] = "http://127.0.0.1:1/sc"
	cfg, err = zendesk.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, zendesk.ModeChat, cfg.Mode)
	require.Equal(t, "http://127.0.0.1:1/sc", cfg.SunshineBaseURL)

	_, err = zendesk.ConfigFromEnv(func(k string) string {
		if k == "ZENDESK_BOT_USER_ID" {
			return "bot"
		}
		if k == "ZENDESK_API_TOKEN" {
			return ""
		}
		return env[k]
	})
	require.ErrorIs(t, err, zendesk.ErrInvalidConfig)
	require.ErrorContains(t, err, "ZENDESK_BOT_USER_ID: must be a positive number")
	require.ErrorContains(t, err, "credentials are required")
	require.NotContains(t, err.Error(), "SECRET")
	require.True(t, errors.Is(err, zendesk.ErrInvalidConfig))
}

func TestPlanLimits(t *testing.T) {
	for plan, rpm := range map[zendesk.Plan]int{
		zendesk.PlanTeam: 200, zendesk.PlanGrowth: 400, zendesk.PlanProfessional: 400,
		zendesk.PlanEnterprise: 700, zendesk.PlanEnterprisePlus: 2500, zendesk.PlanHighVolume: 2500, "": 200,
	} {
		require.Equal(t, rpm, plan.RequestsPerMinute(), plan)
	}
	require.Equal(t, 100, zendesk.PlanEnterprise.TicketUpdatesPerMinute())
	require.Equal(t, 300, zendesk.PlanHighVolume.TicketUpdatesPerMinute())

	c := validConfig()
	c.Plan, c.TicketUpdateShare = zendesk.PlanGrowth, 0.3
	limits := c.Limits()
	require.Len(t, limits, 2)
	require.Equal(t, 400, limits[0].Count)
	require.Equal(t, "tickets-update", limits[1].Name)
	require.Equal(t, 30, limits[1].Count)
	_, err := zendesk.NewBudget(c)
	require.NoError(t, err)
}
