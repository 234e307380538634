package cloudchat_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// A dashboard URL pasted as CLOUDCHAT_BASE_URL is cut to the instance's
// address (and gives the account id); set in Go, it is refused, never
// accepted to send every call to /app/accounts/1/dashboard/api/v1/....
func TestDashboardURLAsBaseURL(t *testing.T) {
	env := map[string]string{
		cloudchat.EnvAPIToken:      "bot-token",
		cloudchat.EnvBotAgentID:    "7",
		cloudchat.EnvWebhookSecret: "whsec",
	}
	for _, tc := range []struct {
		base, account string
		wantBase      string
		wantAccount   int64
	}{
		{"https://chat.example.com/app/accounts/12/dashboard", "", "https://chat.example.com", 12},
		{"https://chat.example.com/app/accounts/12/conversations/5?x=1", "3", "https://chat.example.com", 3},
		{"https://chat.example.com/chatwoot/app/accounts/4/dashboard", "", "https://chat.example.com/chatwoot", 4},
		{"https://chat.example.com/", "9", "https://chat.example.com/", 9},
	} {
		env[cloudchat.EnvBaseURL], env[cloudchat.EnvAccountID] = tc.base, tc.account
		cfg, err := cloudchat.ConfigFromEnv(func(k string) string { return env[k] })
		require.NoError(t, err, tc.base)
		require.Equal(t, tc.wantBase, cfg.BaseURL, tc.base)
		require.Equal(t, tc.wantAccount, cfg.AccountID, tc.base)
	}

	for _, base := range []string{"https://chat.example.com/app/accounts/1/dashboard", "https://chat.example.com/api/v1/accounts/1", "https://chat.example.com/app"} {
		cfg := cloudchat.Config{BaseURL: base, AccountID: 1, APIToken: "t", BotID: 7, WebhookSecrets: []string{"s"}}
		err := cfg.Validate()
		var ce *helpdesk.ConfigError
		require.True(t, errors.As(err, &ce), base)
		require.NotNil(t, ce.Field("BaseURL"), "%s: %v", base, err)
		require.Contains(t, ce.Field("BaseURL").Problem, "before /app")
	}
}

// ConfigFromEnv names the variables, reports each problem once, and says
// which driver it comes from.
func TestConfigFromEnvNamesVariables(t *testing.T) {
	env := map[string]string{cloudchat.EnvN2TeamID: "level2", cloudchat.EnvBotAgentID: "bot"}
	_, err := cloudchat.ConfigFromEnv(func(k string) string { return env[k] })
	var ce *helpdesk.ConfigError
	require.True(t, errors.As(err, &ce))
	var fields []string
	for _, p := range ce.Problems {
		fields = append(fields, p.Field)
	}
	require.Equal(t, []string{
		cloudchat.EnvBotAgentID, cloudchat.EnvN2TeamID, // unparsable, once each
		cloudchat.EnvBaseURL, cloudchat.EnvAccountID, cloudchat.EnvAPIToken, cloudchat.EnvWebhookSecret,
	}, fields)
	require.Regexp(t, `^cloudchat: `, err.Error())
}
