package cloudchat

import (
	"context"
	"errors"
	"net/http"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Check verifies the configuration against the Cloud Chat instance, for a
// host to run before it listens: a wrong address, token or id then shows
// at startup instead of on the first customer message, after its webhook
// was acknowledged. It reads, and changes nothing:
//
//	GET {BaseURL}/api               a Cloud Chat (Chatwoot) API answers at BaseURL
//	GET /conversations/0            agent-bot token on servers from 4.14.2: accepted
//	                                (404 for a good token, 401 for a refused one)
//	GET /agents                     user token: accepted for the account; N2AgentID,
//	                                and BotID for a TokenUser bot, are agents of it
//	GET /teams                      user token: N2TeamID is a team of the account
//
// An agent-bot token on an older server cannot be verified without using
// it, nor can teams and agents without a user token (UserToken or
// TokenUser): those checks are skipped. Every mismatch found comes back at
// once in a *helpdesk.ConfigError whose problems name the Config fields;
// an error the instance could not be asked through is returned as it is.
func (c *Client) Check(ctx context.Context) error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	var api struct {
		Version string `json:"version"`
	}
	if _, err := c.bot.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/api"}, &api); err != nil {
		if ctx.Err() != nil {
			return err
		}
		ce.Add("BaseURL", "no Cloud Chat API answers at this address (GET /api failed: %v); use the part of the dashboard URL before /app", err)
		return ce.Err()
	}
	v, ok := parseVersion(api.Version)
	if !ok {
		ce.Add("BaseURL", "GET /api at this address did not answer as Cloud Chat (version %q)", api.Version)
		return ce.Err()
	}

	min, _ := parseVersion("4.14.2")
	if c.cfg.tokenKind() == TokenAgentBot && !v.less(min) {
		_, err := c.bot.Do(ctx, &transport.Request{Method: http.MethodGet, Path: c.prefix + "/conversations/0"}, nil)
		switch {
		case err == nil, errors.Is(err, helpdesk.ErrNotFound):
		case errors.Is(err, helpdesk.ErrUnauthorized):
			ce.Add("APIToken", "Cloud Chat refused the agent bot's access token (Settings → Bots → the bot → Access Token)")
		default:
			return err
		}
	}

	if _, err := c.userClient(ctx, ""); errors.Is(err, ErrUserTokenRequired) {
		return ce.Err()
	}
	tokField := "UserToken"
	if c.user == nil {
		tokField = "APIToken"
	}
	agents, err := c.ListAgents(ctx)
	switch {
	case errors.Is(err, helpdesk.ErrUnauthorized):
		ce.Add(tokField, "Cloud Chat refused the token for account %d (Profile settings → Access Token of a member of the account)", c.cfg.AccountID)
		return ce.Err()
	case errors.Is(err, helpdesk.ErrNotFound):
		ce.Add("AccountID", "no account %d on this instance that the token's user belongs to (the number after /app/accounts/ in the dashboard URL)", c.cfg.AccountID)
		return ce.Err()
	case err != nil:
		return err
	}
	isAgent := func(id int64) bool {
		for _, a := range agents {
			if a.ID == id {
				return true
			}
		}
		return false
	}
	if c.cfg.tokenKind() == TokenUser && !isAgent(c.cfg.BotID) {
		ce.Add("BotID", "no agent %d in account %d (Settings → Agents)", c.cfg.BotID, c.cfg.AccountID)
	}
	if c.cfg.N2AgentID > 0 && !isAgent(c.cfg.N2AgentID) {
		ce.Add("N2AgentID", "no agent %d in account %d (Settings → Agents)", c.cfg.N2AgentID, c.cfg.AccountID)
	}
	if c.cfg.N2TeamID > 0 {
		teams, err := c.ListTeams(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, t := range teams {
			found = found || t.ID == c.cfg.N2TeamID
		}
		if !found {
			ce.Add("N2TeamID", "no team %d in account %d (Settings → Teams, the number in the team's edit URL)", c.cfg.N2TeamID, c.cfg.AccountID)
		}
	}
	return ce.Err()
}
