package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
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
			_, _, err := vendorModes[name](func(k string) string { return env[k] }, logger, nil)
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

// lineWriter hands each log line to a channel, dropping lines when it is
// full.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	select {
	case w <- string(p):
	default:
	}
	return len(p), nil
}

// faqbot says where it listens at INFO, the default level (a WARN line
// would read as a problem), and serves /webhooks/sunshine only in
// Zendesk's chat mode.
func TestListeningLineAndZendeskPaths(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	o := srv.Options()
	env := map[string]string{
		"ZENDESK_SUBDOMAIN":      o.Subdomain,
		"ZENDESK_EMAIL":          o.Email,
		"ZENDESK_API_TOKEN":      o.APIToken,
		"ZENDESK_BOT_USER_ID":    strconv.FormatInt(o.BotUserID, 10),
		"ZENDESK_N2_GROUP_ID":    strconv.FormatInt(o.N2GroupID, 10),
		"ZENDESK_WEBHOOK_SECRET": o.WebhookSecret,
		"ZENDESK_BASE_URL":       srv.Support.URL,
	}
	getenv := func(k string) string { return env[k] }
	_, paths, err := vendorModes["zendesk"](getenv, slog.New(slog.DiscardHandler), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"/webhooks/zendesk"}, paths, "e-mail mode serves trigger webhooks only")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(lineWriter, 16)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-vendor", "zendesk", "-addr", "127.0.0.1:0"}, io.Discard, lines, getenv)
	}()
	select {
	case line := <-lines:
		require.Contains(t, line, "level=INFO")
		require.Contains(t, line, `msg="faqbot listening"`)
		require.Contains(t, line, "paths=[/webhooks/zendesk]")
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	}
	cancel()
	require.NoError(t, <-done)

	env["SUNSHINE_APP_ID"], env["SUNSHINE_KEY_ID"], env["SUNSHINE_SECRET"], env["SUNSHINE_WEBHOOK_SECRET"] = o.SunshineAppID, o.SunshineKeyID, o.SunshineSecret, o.SunshineWebhookSecret
	env["SUNSHINE_BASE_URL"] = srv.Sunshine.URL
	_, paths, err = vendorModes["zendesk"](getenv, slog.New(slog.DiscardHandler), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"/webhooks/zendesk", "/webhooks/sunshine"}, paths)
}

// Before it listens, faqbot checks the configuration against the vendor
// and reports every mismatch as one list naming the variables; -check
// stops there.
func TestStartupCheckListsProblems(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	o := srv.Options()
	env := map[string]string{
		"ZENDESK_SUBDOMAIN":      o.Subdomain,
		"ZENDESK_EMAIL":          o.Email,
		"ZENDESK_API_TOKEN":      o.APIToken,
		"ZENDESK_BOT_USER_ID":    strconv.FormatInt(o.RequesterID, 10), // an end-user, not an agent
		"ZENDESK_N2_GROUP_ID":    "424242",                             // no such group
		"ZENDESK_WEBHOOK_SECRET": o.WebhookSecret,
		"ZENDESK_BASE_URL":       srv.Support.URL,
	}
	getenv := func(k string) string { return env[k] }
	lines := make(lineWriter, 16)
	err := run(context.Background(), []string{"-vendor", "zendesk", "-addr", "127.0.0.1:0"}, io.Discard, lines, getenv)
	require.Error(t, err)
	require.Equal(t, "the zendesk account does not match the configuration (2 problem(s)):\n"+
		"  - ZENDESK_BOT_USER_ID: user "+env["ZENDESK_BOT_USER_ID"]+" is an end-user, not an agent: comments it authors would not come from the bot\n"+
		"  - ZENDESK_N2_GROUP_ID: no group 424242 in this Zendesk account (the number after \"groups/\" in the group's Admin Center URL)",
		err.Error())
	require.Empty(t, lines, "nothing listens after a failed check")

	env["ZENDESK_BOT_USER_ID"] = strconv.FormatInt(o.BotUserID, 10)
	env["ZENDESK_N2_GROUP_ID"] = strconv.FormatInt(o.N2GroupID, 10)
	require.NoError(t, run(context.Background(), []string{"-vendor", "zendesk", "-check"}, io.Discard, lines, getenv))
	require.Contains(t, <-lines, "faqbot configuration checked")

	env["ZENDESK_API_TOKEN"] = "wrong-token"
	err = run(context.Background(), []string{"-vendor", "zendesk", "-check"}, io.Discard, lines, getenv)
	require.ErrorContains(t, err, "ZENDESK_API_TOKEN: Zendesk refused the credentials")
	require.NotContains(t, err.Error(), "wrong-token")
}
