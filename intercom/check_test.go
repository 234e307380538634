package intercom_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

// Check finds at startup what would otherwise fail on the first customer
// message or handover: a refused token, a teammate or team the workspace
// does not have.
func TestCheck(t *testing.T) {
	srv := intercomtest.NewServer(t, nil)
	human := srv.AddAdmin("Ana", false)
	n2 := srv.AddTeam("N2", human)
	for _, tc := range []struct {
		name   string
		edit   func(*intercom.Config)
		fields []string
	}{
		{"matching workspace", func(*intercom.Config) {}, nil},
		{"wrong token", func(c *intercom.Config) { c.AccessToken = "wrong-token" }, []string{"AccessToken"}},
		{"other workspace", func(c *intercom.Config) { c.AppID = "zzz999" }, []string{"AppID"}},
		{"wrong ids", func(c *intercom.Config) {
			c.BotAdminID, c.N2AdminID, c.BotTeamID, c.N2TeamID = "111", "222", "333", "https://app.intercom.com/a/inbox/x/inbox/team/444"
		}, []string{"BotAdminID", "N2AdminID", "BotTeamID", "N2TeamID"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := intercom.Config{
				AccessToken: intercomtest.DefaultToken, BaseURL: srv.URL, AppID: intercomtest.DefaultAppID,
				BotAdminID: intercomtest.DefaultBotAdminID, BotTeamID: intercomtest.DefaultBotTeamID,
				N2TeamID: n2, N2AdminID: human, ClientSecrets: []string{"client-secret"},
			}
			tc.edit(&cfg)
			c, err := intercom.New(cfg, &intercom.Options{MaxRetries: -1})
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
			require.NotContains(t, err.Error(), "wrong-token")
		})
	}
}
