package cloudchat_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// Check finds at startup what would otherwise fail on the first customer
// message or the first handover: an address that is not Cloud Chat, a
// refused token, a team or agent the account does not have.
func TestCheck(t *testing.T) {
	srv := cloudchattest.NewServer(t, nil)
	agent := srv.AddAgent("Ana", "online")
	team := srv.AddTeam("Level 2", agent)
	old := cloudchattest.NewServer(t, &cloudchattest.Options{Version: "4.12.0"})
	notChat := httptest.NewServer(nil) // answers 404 everywhere
	t.Cleanup(notChat.Close)
	base := func() cloudchat.Config {
		return cloudchat.Config{
			BaseURL: srv.URL, AccountID: srv.AccountID(), APIToken: srv.BotToken(), UserToken: srv.UserToken(),
			BotID: srv.BotID(), N2TeamID: team, N2AgentID: agent, WebhookSecrets: []string{"whsec"},
		}
	}
	for _, tc := range []struct {
		name   string
		edit   func(*cloudchat.Config)
		fields []string
	}{
		{"matching account", func(*cloudchat.Config) {}, nil},
		{"bot token only", func(c *cloudchat.Config) { c.UserToken = "" }, nil},
		{"bot token only, server before 4.14.2", func(c *cloudchat.Config) {
			c.BaseURL, c.AccountID, c.APIToken, c.UserToken = old.URL, old.AccountID(), "wrong-bot-token", ""
		}, nil}, // nothing can verify it there
		{"not a Cloud Chat address", func(c *cloudchat.Config) { c.BaseURL = notChat.URL }, []string{"BaseURL"}},
		{"wrong bot token", func(c *cloudchat.Config) { c.APIToken = "wrong-bot-token" }, []string{"APIToken"}},
		{"wrong user token", func(c *cloudchat.Config) { c.UserToken = "wrong-user-token" }, []string{"UserToken"}},
		{"wrong account", func(c *cloudchat.Config) { c.AccountID = 999 }, []string{"AccountID"}},
		{"wrong team and agent", func(c *cloudchat.Config) { c.N2TeamID, c.N2AgentID = 9991, 9992 }, []string{"N2AgentID", "N2TeamID"}},
		{"user token as the bot, wrong bot id", func(c *cloudchat.Config) {
			c.TokenKind, c.APIToken, c.UserToken, c.BotID = cloudchat.TokenUser, srv.UserToken(), "", 9993
		}, []string{"BotID"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.edit(&cfg)
			c, err := cloudchat.New(cfg, &cloudchat.Options{MaxRetries: -1})
			require.NoError(t, err)
			err = c.Check(context.Background())
			if tc.fields == nil {
				require.NoError(t, err)
				return
			}
			var ce *helpdesk.ConfigError
			require.True(t, errors.As(err, &ce), "%v", err)
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.Field)
			}
			require.Empty(t, cmp.Diff(tc.fields, got), "%v", err)
			require.NotContains(t, err.Error(), "wrong-", "tokens are not quoted")
		})
	}
}
