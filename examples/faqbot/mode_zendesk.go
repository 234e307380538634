package main

import (
	"log/slog"
	"strconv"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
)

// Zendesk mode: ZENDESK_SUBDOMAIN, ZENDESK_EMAIL, ZENDESK_API_TOKEN (or
// ZENDESK_OAUTH_TOKEN), ZENDESK_BOT_USER_ID, ZENDESK_BOT_GROUP_ID
// (optional), ZENDESK_N2_GROUP_ID, ZENDESK_WEBHOOK_SECRET, optional
// ZENDESK_BASE_URL; for chat SUNSHINE_APP_ID, SUNSHINE_KEY_ID,
// SUNSHINE_SECRET, SUNSHINE_WEBHOOK_SECRET, optional SUNSHINE_BASE_URL. It
// serves trigger webhooks on /webhooks/zendesk, and in chat mode Sunshine
// deliveries on /webhooks/sunshine.
func init() {
	vendorModes["zendesk"] = func(getenv func(string) string, logger *slog.Logger, budgets sharedBudgets) (helpdesk.Helpdesk, []string, error) {
		cfg, err := zendesk.ConfigFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		pace, err := budgets.get(cfg.BudgetKey(), cfg.Limits(), zendesk.Headers)
		if err != nil {
			return nil, nil, err
		}
		c, err := zendesk.New(cfg, &zendesk.Options{Logger: logger, Budget: pace})
		if err != nil {
			return nil, nil, err
		}
		paths := []string{"/webhooks/zendesk"}
		if cfg.Mode == zendesk.ModeChat {
			paths = append(paths, "/webhooks/sunshine")
		}
		m := &modeHelpdesk{
			Helpdesk: c,
			n2:       helpdesk.Target{Kind: helpdesk.TargetGroup, ID: id(cfg.N2GroupID)},
			n2OK:     cfg.N2GroupID > 0,
			n2Env:    "ZENDESK_N2_GROUP_ID",
			mine:     zendeskMine(cfg),
			check: namedCheck(c.Check, map[string]string{
				"APIToken": "ZENDESK_API_TOKEN", "OAuthToken": "ZENDESK_OAUTH_TOKEN",
				"BotUserID": "ZENDESK_BOT_USER_ID", "BotGroupID": "ZENDESK_BOT_GROUP_ID", "N2GroupID": "ZENDESK_N2_GROUP_ID",
				"SunshineAppID": "SUNSHINE_APP_ID", "SunshineKeyID": "SUNSHINE_KEY_ID",
			}),
		}
		if cfg.BotGroupID > 0 {
			m.botGroups = []string{id(cfg.BotGroupID)}
		}
		return m, paths, nil
	}
}

// zendeskMine: a ticket assigned to someone other than the bot, or in a
// group other than the bot's, belongs to humans.
func zendeskMine(cfg zendesk.Config) func(helpdesk.Event) bool {
	bot, botGroup, n2 := id(cfg.BotUserID), id(cfg.BotGroupID), id(cfg.N2GroupID)
	return func(e helpdesk.Event) bool {
		if a := e.Conversation.Get(zendesk.ExtraAssigneeID); a != "" && a != bot {
			return false
		}
		switch g := e.Conversation.Get(zendesk.ExtraGroupID); {
		case g == "":
		case g == n2:
			return false
		case cfg.BotGroupID > 0 && g != botGroup:
			return false
		}
		return true
	}
}

func id(n int64) string {
	if n <= 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
