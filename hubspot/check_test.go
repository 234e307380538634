package hubspot_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

// Check finds at startup what would otherwise fail on the first customer
// message or handover: a refused token, a bot user or handover target the
// account does not have.
func TestCheck(t *testing.T) {
	srv := hubspottest.NewServer(t)
	for _, tc := range []struct {
		name   string
		edit   func(*hubspot.Config)
		fields []string
	}{
		{"matching account, agent handover", func(*hubspot.Config) {}, nil},
		{"team handover", func(c *hubspot.Config) {
			c.Handover = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.Itoa(hubspottest.TeamID)}
			c.HandoverMode = hubspot.HandoverEvent
			c.HandoverEvent = hubspottest.EventName
		}, nil},
		{"wrong token", func(c *hubspot.Config) { c.AccessToken = "pat-na1-wrong" }, []string{"AccessToken"}},
		{"unknown bot and agent", func(c *hubspot.Config) {
			c.BotUserID = "999001"
			c.Handover = helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "999002"}
		}, []string{"BotUserID", "Handover"}},
		{"unknown team", func(c *hubspot.Config) {
			c.Handover = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "999003"}
			c.HandoverMode = hubspot.HandoverEvent
			c.HandoverEvent = hubspottest.EventName
		}, []string{"Handover"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := srv.Config("client-secret")
			tc.edit(&cfg)
			c, err := hubspot.New(cfg, &hubspot.Options{MaxRetries: -1})
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
			require.NotContains(t, err.Error(), "pat-na1-wrong")
		})
	}
}
