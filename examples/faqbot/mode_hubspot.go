package main

import (
	"log/slog"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/hubspot"
)

// HubSpot mode: HUBSPOT_ACCESS_TOKEN, HUBSPOT_CLIENT_SECRET,
// HUBSPOT_BOT_USER_ID, HUBSPOT_N2_TEAM_ID or HUBSPOT_N2_AGENT_ID,
// HUBSPOT_HANDOVER (agent, owner or event; default agent),
// HUBSPOT_HANDOVER_EVENT (event mode), HUBSPOT_MFA_SECRET (optional),
// HUBSPOT_WEBHOOK_URL (the URL HubSpot calls for /webhooks/hubspot; the
// ticket-created workflow calls it with /tickets appended), optional
// HUBSPOT_BASE_URL. It serves the app webhooks on /webhooks/hubspot and the
// ticket-created workflow on /webhooks/hubspot/tickets.
func init() {
	vendorModes["hubspot"] = func(getenv func(string) string, logger *slog.Logger, _ sharedBudgets) (helpdesk.Helpdesk, []string, error) {
		cfg, err := hubspot.ConfigFromEnv(getenv)
		if err != nil {
			return nil, nil, err
		}
		c, err := hubspot.New(cfg, &hubspot.Options{Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		return &modeHelpdesk{
			Helpdesk: c,
			n2:       cfg.Handover,
			n2OK:     cfg.Handover.ID != "",
			n2Env:    "HUBSPOT_N2_TEAM_ID or HUBSPOT_N2_AGENT_ID",
			check: namedCheck(c.Check, map[string]string{
				"AccessToken": "HUBSPOT_ACCESS_TOKEN", "BotUserID": "HUBSPOT_BOT_USER_ID",
				"Handover": "HUBSPOT_N2_TEAM_ID or HUBSPOT_N2_AGENT_ID",
			}),
		}, []string{"/webhooks/hubspot", "/webhooks/hubspot/tickets"}, nil
	}
}
