package main

import (
	"log/slog"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/intercom"
)

// Intercom mode: INTERCOM_ACCESS_TOKEN, INTERCOM_REGION (us, eu, au;
// default us) or INTERCOM_BASE_URL, INTERCOM_BOT_ADMIN_ID (optional: read
// from GET /me), INTERCOM_BOT_TEAM_ID, INTERCOM_N2_TEAM_ID (or
// INTERCOM_N2_ADMIN_ID), INTERCOM_CLIENT_SECRET, INTERCOM_ACTION_TOKEN,
// INTERCOM_VERSION (optional). It serves topic webhooks on
// /webhooks/intercom and the Custom Action (token in Authorization:
// Bearer) on /actions/intercom.
func init() {
	vendorModes["intercom"] = func(getenv func(string) string, logger *slog.Logger, budgets sharedBudgets) (helpdesk.Helpdesk, []string, error) {
		cfg, err := intercom.ConfigFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		pace, err := budgets.get(cfg.BudgetKey(), cfg.Limits(), intercom.Headers)
		if err != nil {
			return nil, nil, err
		}
		c, err := intercom.New(cfg, &intercom.Options{Logger: logger, Budget: pace})
		if err != nil {
			return nil, nil, err
		}
		n2, ok := c.N2()
		m := &modeHelpdesk{
			Helpdesk: c,
			n2:       n2,
			n2OK:     ok,
			n2Env:    intercom.EnvN2TeamID + " (or " + intercom.EnvN2AdminID + ")",
			mine:     intercomMine(cfg),
			check: namedCheck(c.Check, map[string]string{
				"AccessToken": intercom.EnvAccessToken, "AppID": intercom.EnvAppID,
				"BotAdminID": intercom.EnvBotAdminID, "N2AdminID": intercom.EnvN2AdminID,
				"BotTeamID": intercom.EnvBotTeamID, "N2TeamID": intercom.EnvN2TeamID,
			}),
		}
		if team, ok := intercom.ParseTeamID(cfg.BotTeamID); ok {
			m.botGroups = []string{team}
		}
		return m, []string{"/webhooks/intercom", "/actions/intercom"}, nil
	}
}

// intercomMine: a conversation assigned to another team than the bot's,
// or to an admin who is not the bot, belongs to humans.
func intercomMine(cfg intercom.Config) func(helpdesk.Event) bool {
	botTeam, _ := intercom.ParseTeamID(cfg.BotTeamID)
	return func(e helpdesk.Event) bool {
		if t := e.Conversation.Get(intercom.ExtraTeamAssigneeID); t != "" && t != "0" && botTeam != "" && t != botTeam {
			return false
		}
		if a := e.Conversation.Get(intercom.ExtraAdminAssigneeID); a != "" && a != "0" && cfg.BotAdminID != "" && a != cfg.BotAdminID {
			return false
		}
		return true
	}
}
