package main

import (
	"log/slog"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// Cloud Chat mode: CLOUDCHAT_BASE_URL, CLOUDCHAT_ACCOUNT_ID,
// CLOUDCHAT_API_TOKEN, CLOUDCHAT_USER_TOKEN (optional),
// CLOUDCHAT_BOT_AGENT_ID, CLOUDCHAT_N2_TEAM_ID (or CLOUDCHAT_N2_AGENT_ID),
// CLOUDCHAT_WEBHOOK_SECRET.
func init() {
	vendorModes["cloudchat"] = func(getenv func(string) string, logger *slog.Logger, budgets sharedBudgets) (helpdesk.Helpdesk, []string, error) {
		cfg, err := cloudchat.ConfigFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		pace, err := budgets.get(cfg.BudgetKey(), cfg.Limits(), cloudchat.Headers)
		if err != nil {
			return nil, nil, err
		}
		c, err := cloudchat.New(cfg, &cloudchat.Options{Logger: logger, Budget: pace})
		if err != nil {
			return nil, nil, err
		}
		n2, ok := cfg.N2Target()
		return &modeHelpdesk{
			Helpdesk: c,
			n2:       n2,
			n2OK:     ok,
			n2Env:    cloudchat.EnvN2TeamID + " (or " + cloudchat.EnvN2AgentID + ")",
			// Chatwoot keeps delivering a conversation's messages to the
			// bot after a human took it: only pending ones not assigned
			// to a user are the bot's.
			mine: cloudchat.BotShouldAnswer,
			check: namedCheck(c.Check, map[string]string{
				"BaseURL": cloudchat.EnvBaseURL, "AccountID": cloudchat.EnvAccountID, "APIToken": cloudchat.EnvAPIToken,
				"UserToken": cloudchat.EnvUserToken, "BotID": cloudchat.EnvBotAgentID,
				"N2TeamID": cloudchat.EnvN2TeamID, "N2AgentID": cloudchat.EnvN2AgentID,
			}),
		}, []string{"/webhooks/cloudchat"}, nil
	}
}
