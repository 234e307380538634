package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Check verifies the configuration against HubSpot, for a host to run
// before it listens: a wrong token, scope or id then shows at startup
// instead of on the first customer message, after its webhook was
// acknowledged. It reads, and changes nothing:
//
//	GET /crm/v3/owners               the token is accepted and has crm.objects.owners.read;
//	                                 BotUserID, and an agent Handover, are users with an owner
//	GET /settings/v3/users/teams     a team Handover exists (settings.users.teams.read)
//
// Every mismatch found comes back at once in a *helpdesk.ConfigError
// whose problems name the Config fields; an error HubSpot could not be
// asked through (network, 5xx, rate limit) is returned as it is.
func (c *Client) Check(ctx context.Context) error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	users := map[string]bool{}
	after := ""
	for range 50 {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Results []struct {
				UserID json.Number `json:"userId"`
			} `json:"results"`
			Paging struct {
				Next struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		_, err := c.http.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/crm/v3/owners", Query: q}, &page)
		if refused(ce, err, "crm.objects.owners.read") {
			return ce.Err()
		} else if err != nil {
			return err
		}
		for _, o := range page.Results {
			users[string(o.UserID)] = true
		}
		if after = page.Paging.Next.After; after == "" {
			break
		}
	}
	if !users[c.cfg.BotUserID] {
		ce.Add("BotUserID", "no user %s with an owner record in this account (Settings → Users & Teams; the number after users/user/ in the user's settings URL)", c.cfg.BotUserID)
	}
	switch h := c.cfg.Handover; {
	case h.ID == "":
	case h.Kind == helpdesk.TargetAgent && !users[h.ID]:
		ce.Add("Handover", "no user %s with an owner record in this account to hand over to", h.ID)
	case h.Kind == helpdesk.TargetGroup:
		var teams struct {
			Results []struct {
				ID string `json:"id"`
			} `json:"results"`
		}
		_, err := c.http.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/settings/v3/users/teams"}, &teams)
		if refused(ce, err, "settings.users.teams.read") {
			return ce.Err()
		} else if err != nil {
			return err
		}
		found := false
		for _, t := range teams.Results {
			found = found || t.ID == h.ID
		}
		if !found {
			ce.Add("Handover", "no team %s in this account (Settings → Users & Teams → Teams)", h.ID)
		}
	}
	return ce.Err()
}

// refused records a refused token or a missing scope and reports whether
// it did.
func refused(ce *helpdesk.ConfigError, err error, scope string) bool {
	var apiErr *helpdesk.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden:
		ce.Add("AccessToken", "the private app lacks the %s scope (Settings → Integrations → Private Apps → Scopes)", scope)
	case errors.Is(err, helpdesk.ErrUnauthorized):
		ce.Add("AccessToken", "HubSpot refused the access token (Settings → Integrations → Private Apps)")
	default:
		return false
	}
	return true
}
