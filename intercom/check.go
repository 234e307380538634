package intercom

import (
	"context"
	"errors"
	"net/http"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Check verifies the configuration against Intercom, for a host to run
// before it listens: a wrong token or id then shows at startup instead of
// on the first customer message, after its webhook was acknowledged. It
// reads, and changes nothing:
//
//	GET /me      the access token is accepted (and belongs to AppID's workspace, when set)
//	GET /admins  BotAdminID and N2AdminID are teammates (the token can read admins)
//	GET /teams   BotTeamID and N2TeamID are teams (the token can read teams)
//
// Every mismatch found comes back at once in a *helpdesk.ConfigError
// whose problems name the Config fields; an error Intercom could not be
// asked through (network, 5xx, rate limit) is returned as it is.
func (c *Client) Check(ctx context.Context) error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	var me struct {
		ID  id `json:"id"`
		App struct {
			IDCode string `json:"id_code"`
		} `json:"app"`
	}
	_, err := c.api.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/me"}, &me)
	switch {
	case errors.Is(err, helpdesk.ErrUnauthorized):
		ce.Add("AccessToken", "Intercom refused the access token (Developer Hub → your app → Authentication), or it is for another region than %s", c.cfg.baseURL())
		return ce.Err()
	case err != nil:
		return err
	case c.cfg.AppID != "" && me.App.IDCode != "" && me.App.IDCode != c.cfg.AppID:
		ce.Add("AppID", "the access token belongs to workspace %s, not %s", me.App.IDCode, c.cfg.AppID)
	}

	admins, err := c.ListAdmins(ctx)
	switch {
	case errors.Is(err, helpdesk.ErrUnauthorized):
		ce.Add("AccessToken", "the token may not read admins: give the app the \"Read admins\" permission")
	case err != nil:
		return err
	default:
		isAdmin := func(id string) bool {
			for _, a := range admins {
				if a.ID == id {
					return true
				}
			}
			return false
		}
		for _, f := range []struct{ name, id string }{{"BotAdminID", c.cfg.BotAdminID}, {"N2AdminID", c.cfg.N2AdminID}} {
			if f.id != "" && !isAdmin(f.id) {
				ce.Add(f.name, "no teammate %s in this workspace (Settings → Teammates)", f.id)
			}
		}
	}

	teams, err := c.ListTeams(ctx)
	switch {
	case errors.Is(err, helpdesk.ErrUnauthorized):
		ce.Add("AccessToken", "the token may not read teams: give the app the \"Read admins\" permission")
	case err != nil:
		return err
	default:
		isTeam := func(id string) bool {
			for _, t := range teams {
				if t.ID == id {
					return true
				}
			}
			return false
		}
		for _, f := range []struct{ name, raw string }{{"BotTeamID", c.cfg.BotTeamID}, {"N2TeamID", c.cfg.N2TeamID}} {
			if id, ok := ParseTeamID(f.raw); ok && !isTeam(id) {
				ce.Add(f.name, "no team %s in this workspace (Settings → Teammates → Teams, or the team inbox URL)", id)
			}
		}
	}
	return ce.Err()
}
