package main

import (
	"log/slog"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/intercom"
)

// Intercom mode: INTERCOM_ACCESS_TOKEN, INTERCOM_REGION (us, eu, au;
// default us) or INTERCOM_BASE_URL, INTERCOM_BOT_ADMIN_ID (optional: read
// from GET /me), INTERCOM_BOT_TEAM_ID, INTERCOM_N2_TEAM_ID,
// INTERCOM_CLIENT_SECRET, INTERCOM_ACTION_TOKEN, INTERCOM_VERSION
// (optional). It serves topic webhooks on /webhooks/intercom and the
// Custom Action (token in Authorization: Bearer) on /actions/intercom.
func init() {
	vendorModes["intercom"] = func(getenv func(string) string, logger *slog.Logger) (helpdesk.Helpdesk, []string, error) {
		cfg, err := intercom.ConfigFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		c, err := intercom.New(cfg, &intercom.Options{Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		return c, []string{"/webhooks/intercom", "/actions/intercom"}, nil
	}
}
