package main

import (
	"log/slog"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// Cloud Chat mode: CLOUDCHAT_BASE_URL, CLOUDCHAT_ACCOUNT_ID,
// CLOUDCHAT_API_TOKEN, CLOUDCHAT_USER_TOKEN (optional),
// CLOUDCHAT_BOT_AGENT_ID, CLOUDCHAT_N2_TEAM_ID, CLOUDCHAT_WEBHOOK_SECRET.
func init() {
	vendorModes["cloudchat"] = func(getenv func(string) string, logger *slog.Logger) (helpdesk.Helpdesk, []string, error) {
		cfg, err := cloudchat.ConfigFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		c, err := cloudchat.New(cfg, &cloudchat.Options{Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		return c, []string{"/webhooks/cloudchat"}, nil
	}
}
