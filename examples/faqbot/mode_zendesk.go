package main

import (
	"log/slog"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
)

// Zendesk mode: ZENDESK_SUBDOMAIN, ZENDESK_EMAIL, ZENDESK_API_TOKEN (or
// ZENDESK_OAUTH_TOKEN), ZENDESK_BOT_USER_ID, ZENDESK_N2_GROUP_ID,
// ZENDESK_WEBHOOK_SECRET, optional ZENDESK_BASE_URL; for chat
// SUNSHINE_APP_ID, SUNSHINE_KEY_ID, SUNSHINE_SECRET, SUNSHINE_WEBHOOK_SECRET,
// optional SUNSHINE_BASE_URL.
func init() {
	vendorModes["zendesk"] = func(getenv func(string) string, logger *slog.Logger) (helpdesk.Helpdesk, []string, error) {
		cfg, err := zendesk.ConfigFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		c, err := zendesk.New(cfg, &zendesk.Options{Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		return c, []string{"/webhooks/zendesk", "/webhooks/sunshine"}, nil
	}
}
