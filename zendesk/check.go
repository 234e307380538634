package zendesk

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Check verifies the configuration against Zendesk, for a host to run
// before it listens: a wrong token or id then shows at startup instead of
// on the first customer message, after its webhook was acknowledged. It
// reads, and changes nothing:
//
//	GET /api/v2/users/me             the credentials sign in (not as the anonymous user)
//	GET /api/v2/users/{BotUserID}    the bot user exists and is an agent or admin
//	GET /api/v2/groups/{N2GroupID}   the level-2 group exists (and BotGroupID, when set)
//	GET /v2/apps/{SunshineAppID}     chat mode: the Sunshine key is accepted for the app
//
// Every mismatch found comes back at once in a *helpdesk.ConfigError
// whose problems name the Config fields; an error Zendesk could not be
// asked through (network, 5xx, rate limit) is returned as it is.
func (c *Client) Check(ctx context.Context) error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	cred := "APIToken"
	if c.cfg.OAuthToken != "" || c.cfg.OAuthClientID != "" {
		cred = "OAuthToken"
	}
	var me struct {
		User checkUser `json:"user"`
	}
	err := c.checkGet(ctx, c.support, "/api/v2/users/me", &me)
	switch {
	case errors.Is(err, helpdesk.ErrUnauthorized):
		ce.Add(cred, "Zendesk refused the credentials (check the access e-mail and the token, and that token access is enabled in Admin Center > Apps and integrations > APIs)")
		return ce.Err() // nothing else can be read
	case err != nil:
		return err
	case me.User.ID == 0 || me.User.Role == "end-user":
		ce.Add(cred, "the credentials sign in as an end-user or anonymously; use an agent's or admin's access e-mail and token")
	}

	var bot struct {
		User checkUser `json:"user"`
	}
	switch err := c.checkGet(ctx, c.support, "/api/v2/users/"+strconv.FormatInt(c.cfg.BotUserID, 10), &bot); {
	case errors.Is(err, helpdesk.ErrNotFound):
		ce.Add("BotUserID", "no user %d in this Zendesk account (the number after \"users/\" in the bot user's Admin Center URL)", c.cfg.BotUserID)
	case err != nil:
		return err
	case bot.User.Role != "agent" && bot.User.Role != "admin":
		ce.Add("BotUserID", "user %d is %s, not an agent: comments it authors would not come from the bot", c.cfg.BotUserID, orUnknown(bot.User.Role))
	}

	groups := []struct {
		field string
		id    int64
	}{{"N2GroupID", c.cfg.N2GroupID}}
	if c.cfg.BotGroupID > 0 {
		groups = append(groups, struct {
			field string
			id    int64
		}{"BotGroupID", c.cfg.BotGroupID})
	}
	for _, g := range groups {
		var res struct {
			Group Group `json:"group"`
		}
		switch err := c.checkGet(ctx, c.support, "/api/v2/groups/"+strconv.FormatInt(g.id, 10), &res); {
		case errors.Is(err, helpdesk.ErrNotFound):
			ce.Add(g.field, "no group %d in this Zendesk account (the number after \"groups/\" in the group's Admin Center URL)", g.id)
		case err != nil:
			return err
		case res.Group.Deleted:
			ce.Add(g.field, "group %d is deleted", g.id)
		}
	}

	if c.sunshine != nil && c.cfg.SunshineAppID != "" {
		switch err := c.checkGet(ctx, c.sunshine, "/v2/apps/"+url.PathEscape(c.cfg.SunshineAppID), nil); {
		case errors.Is(err, helpdesk.ErrUnauthorized):
			ce.Add("SunshineKeyID", "Sunshine Conversations refused the key id and secret for app %s (Admin Center > Apps and integrations > Conversations API)", c.cfg.SunshineAppID)
		case errors.Is(err, helpdesk.ErrNotFound):
			ce.Add("SunshineAppID", "no Sunshine Conversations app %s", c.cfg.SunshineAppID)
		case err != nil:
			return err
		}
	}
	return ce.Err()
}

type checkUser struct {
	ID   ID     `json:"id"`
	Role string `json:"role"`
}

func (c *Client) checkGet(ctx context.Context, cl *transport.Client, path string, out any) error {
	_, err := cl.Do(ctx, &transport.Request{Method: http.MethodGet, Path: path, Priority: transport.PriorityCritical}, out)
	return err
}

func orUnknown(role string) string {
	if role == "" {
		return "of unknown role"
	}
	return "an " + role
}
