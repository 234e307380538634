package zendesk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// Check finds at startup what would otherwise fail on the first customer
// message: refused credentials, a bot user that is not an agent, groups
// that do not exist, a Sunshine app the key does not open.
func TestCheck(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	o := srv.Options()
	for _, tc := range []struct {
		name   string
		edit   func(*zendesk.Config)
		fields []string
	}{
		{"matching account", func(*zendesk.Config) {}, nil},
		{"chat mode", func(c *zendesk.Config) { c.Mode = zendesk.ModeChat }, nil},
		{"wrong token", func(c *zendesk.Config) { c.APIToken = "wrong-token" }, []string{"APIToken"}},
		{"wrong ids", func(c *zendesk.Config) {
			c.BotUserID, c.N2GroupID, c.BotGroupID = o.RequesterID, 999001, 999002
		}, []string{"BotUserID", "N2GroupID", "BotGroupID"}},
		{"unknown bot user", func(c *zendesk.Config) { c.BotUserID = 999003 }, []string{"BotUserID"}},
		{"wrong Sunshine key", func(c *zendesk.Config) { c.Mode, c.SunshineSecret = zendesk.ModeChat, "wrong" }, []string{"SunshineKeyID"}},
		{"wrong Sunshine app", func(c *zendesk.Config) { c.Mode, c.SunshineAppID = zendesk.ModeChat, "other-app" }, []string{"SunshineAppID"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := srv.Config()
			tc.edit(&cfg)
			c, err := zendesk.New(cfg, &zendesk.Options{MaxRetries: -1})
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
			require.NotContains(t, err.Error(), "wrong", "secrets are not quoted")
		})
	}
}
