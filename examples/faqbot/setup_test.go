package main

import (
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// A new user's mistakes in the environment come back as one list, each
// problem once, naming the variable to fix (never a Go field), prefixed
// by the driver.
func TestConfigErrorsNameVariables(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	goField := regexp.MustCompile(`(^|; )[A-Z][a-z]+[A-Z][A-Za-z]*(\[\d+\])?: `)
	for name, env := range map[string]map[string]string{
		"zendesk":   {"ZENDESK_N2_GROUP_ID": "n2", "ZENDESK_BOT_USER_ID": "bot"},
		"cloudchat": {"CLOUDCHAT_N2_TEAM_ID": "level2", "CLOUDCHAT_BOT_AGENT_ID": "bot"},
		"intercom":  {"INTERCOM_N2_TEAM_ID": "level2", "INTERCOM_BOT_ADMIN_ID": "bot"},
		"hubspot":   {"HUBSPOT_BOT_USER_ID": "bot"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := vendorModes[name](func(k string) string { return env[k] }, logger)
			var ce *helpdesk.ConfigError
			require.True(t, errors.As(err, &ce), "%v", err)
			require.True(t, strings.HasPrefix(err.Error(), name+": "), err.Error())
			seen := map[string]bool{}
			for _, p := range ce.Problems {
				require.Regexp(t, `^[A-Z0-9_]+( or [A-Z0-9_]+)?(\[\d+\])?$`, p.Field, "a problem names a variable: %v", err)
				require.False(t, seen[p.Field], "%s reported twice: %v", p.Field, err)
				seen[p.Field] = true
			}
			for k := range env {
				require.True(t, seen[k], "%s is named: %v", k, err)
			}
			require.NotRegexp(t, goField, err.Error())
		})
	}
}
