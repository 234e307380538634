package hubspot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/hubspot"
)

// mfaKey is a 160-bit authenticator key, as a password manager shows it.
const mfaKey = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func validConfig() hubspot.Config {
	return hubspot.Config{
		BotUserID: "71260648", BotEmail: "bot@example.com",
		AccessToken:   "pat-na1-11111111-2222-3333-4444-555555555555",
		ClientSecrets: []string{"hs-client-secret-current-5c1e9a"},
		Handover:      helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "71260700"},
		MFASecret:     mfaKey,
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*hubspot.Config)
		fields  []string
		problem string // a word the first problem must contain
	}{
		{"valid", func(*hubspot.Config) {}, nil, ""},
		{"valid event mode", func(c *hubspot.Config) {
			c.HandoverMode = hubspot.HandoverEvent
			c.Handover = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "5150"}
			c.HandoverEvent = "pe62515_handover_n2"
		}, nil, ""},
		{"empty", func(c *hubspot.Config) { *c = hubspot.Config{} }, []string{"BotUserID", "AccessToken", "ClientSecrets"}, "pat-"},
		{"not a private-app token", func(c *hubspot.Config) { c.AccessToken = "CJSP5qf1KhICAQEYs-gDIIGOBii1_Ao" }, []string{"AccessToken"}, "pat-"},
		{"bot id from the wrong place", func(c *hubspot.Config) { c.BotUserID = "A-71260648" }, []string{"BotUserID"}, "users/user/"},
		{"MFA secret not base32", func(c *hubspot.Config) { c.MFASecret = "JBSWY3DPEHPK3PX1" }, []string{"MFASecret"}, "base32"},
		{"MFA URL without secret", func(c *hubspot.Config) { c.MFASecret = "otpauth://totp/HubSpot:bot?issuer=HubSpot" }, []string{"MFASecret"}, "secret"},
		{"team in agent mode", func(c *hubspot.Config) { c.Handover = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "5150"} }, []string{"Handover"}, "team"},
		{"event mode without an event", func(c *hubspot.Config) { c.HandoverMode = hubspot.HandoverEvent }, []string{"HandoverEvent"}, "pe<portal>"},
		{"event name not internal", func(c *hubspot.Config) {
			c.HandoverMode = hubspot.HandoverEvent
			c.HandoverEvent = "transbordo_para_n2"
		}, []string{"HandoverEvent"}, "internal"},
		{"unknown mode", func(c *hubspot.Config) { c.HandoverMode = "team" }, []string{"HandoverMode"}, "agent"},
		{"relative webhook URL", func(c *hubspot.Config) { c.WebhookURL = "/webhooks/hubspot" }, []string{"WebhookURL"}, "absolute"},
		{"blank client secret", func(c *hubspot.Config) { c.ClientSecrets = append(c.ClientSecrets, " ") }, []string{"ClientSecrets"}, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if tc.fields == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, hubspot.ErrInvalidConfig)
			var ce *helpdesk.ConfigError
			require.ErrorAs(t, err, &ce)
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.Field)
			}
			require.Equal(t, tc.fields, got)
			require.Contains(t, err.Error(), tc.problem, "the problem says what to do")
			_, err = hubspot.New(cfg, nil)
			require.ErrorIs(t, err, hubspot.ErrInvalidConfig, "New refuses what Validate refuses")
			requireNoSecret(t, err.Error(), validConfig())
		})
	}
}

func TestNormalizeMFASecret(t *testing.T) {
	forms := []string{
		mfaKey,
		"jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp",
		"JBSW-Y3DP-EHPK-3PXP-JBSW-Y3DP-EHPK-3PXP",
		"  " + mfaKey + "====\n",
		"otpauth://totp/HubSpot:project%40example.com?secret=" + mfaKey + "&issuer=HubSpot",
	}
	for _, f := range forms {
		got, err := hubspot.NormalizeMFASecret(f)
		require.NoError(t, err, "form %q", f)
		require.Equal(t, mfaKey, got, "form %q", f)
	}
	for _, bad := range []string{"", "0000 1111", "JBSWY3DP", "otpauth://hotp/x?secret=" + mfaKey, "otpauth://totp/x?issuer=HubSpot"} {
		_, err := hubspot.NormalizeMFASecret(bad)
		require.Error(t, err, "%q", bad)
		if len(bad) > 4 {
			require.NotContains(t, err.Error(), bad)
		}
	}
}

func TestTOTP(t *testing.T) {
	cfg := validConfig()
	cfg.MFASecret = "otpauth://totp/HubSpot:bot?secret=" + mfaKey + "&issuer=HubSpot"
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	code, err := cfg.TOTP(at)
	require.NoError(t, err)
	want, err := totp.GenerateCode(mfaKey, at)
	require.NoError(t, err)
	require.Equal(t, want, code)
	require.Len(t, code, 6)
	cfg.MFASecret = ""
	_, err = cfg.TOTP(at)
	require.Error(t, err)
}

func requireNoSecret(t *testing.T, text string, cfg hubspot.Config) {
	t.Helper()
	for _, s := range append([]string{cfg.AccessToken, cfg.MFASecret}, cfg.ClientSecrets...) {
		if s != "" {
			require.NotContains(t, text, s)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	cfg := validConfig()
	c, err := hubspot.New(cfg, nil)
	require.NoError(t, err)
	for _, v := range []any{cfg, &cfg, c} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			requireNoSecret(t, fmt.Sprintf(verb, v), cfg)
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		requireNoSecret(t, string(b), cfg)
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
		requireNoSecret(t, buf.String(), cfg)
		require.Contains(t, buf.String(), strconv.Quote("71260648")[1:9])
	}
}
