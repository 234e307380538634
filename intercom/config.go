package intercom

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// ErrInvalidConfig is matched by every error Config.Validate and New return
// for a configuration problem.
var ErrInvalidConfig = helpdesk.ErrInvalidConfig

// Region is the Intercom data-hosting region of a workspace. An access
// token works only against its workspace's region.
type Region string

// Regions and their API hosts.
const (
	RegionUS Region = "us" // https://api.intercom.io
	RegionEU Region = "eu" // https://api.eu.intercom.io
	RegionAU Region = "au" // https://api.au.intercom.io
)

// DefaultVersion is the Intercom API version the driver is written and
// tested against. It is sent as Intercom-Version on every request: without
// it Intercom uses the version set in the app's Developer Hub settings,
// which can change without a code change.
const DefaultVersion = "2.16"

// Host returns the region's API base URL ("" for an unknown region).
func (r Region) Host() string {
	switch Region(strings.ToLower(string(r))) {
	case RegionUS, "":
		return "https://api.intercom.io"
	case RegionEU:
		return "https://api.eu.intercom.io"
	case RegionAU:
		return "https://api.au.intercom.io"
	}
	return ""
}

// Config mirrors the Intercom integration screen. Secret fields never
// appear in errors, logs or fmt output (%v, %+v, %#v, JSON and slog print
// them as [REDACTED]).
type Config struct {
	// AccessToken (secret) is the app's access token: Intercom →
	// Settings → Integrations → Developer Hub → your app →
	// Authentication → Access token. Create the app while logged in as
	// the bot's teammate account, so the token acts as the bot.
	AccessToken string
	// Region is the workspace's data region, "us" (default), "eu" or
	// "au": Settings → Workspace → General shows it, and the app URL is
	// app.eu.intercom.com or app.au.intercom.com outside the US.
	Region Region
	// BaseURL overrides Region's host (a proxy, or a fake server in
	// tests).
	BaseURL string
	// BotAdminID is the bot teammate's admin id: the number at the end of
	// its profile URL (https://app.intercom.com/a/apps/{app_id}/admins/
	// 679166), or Settings → Teammates → the bot. Optional: when empty it
	// is learned from GET /me (the token's own admin) on first use. Every
	// reply, close and assignment is made as this admin, and its own
	// replies are recognised by it when they come back by webhook.
	BotAdminID string
	// AppPackageCode is the app's package code, which Intercom puts on
	// conversation parts the app made through the API (app_package_code):
	// Developer Hub → your app → Basic information. Optional: parts
	// carrying it are recognised as the bot's own even when another admin
	// id made them (a second replica configured with another teammate, a
	// token rotated to another admin).
	AppPackageCode string
	// BotTeamID is the bot's team inbox ("Claudia's Group"): Inbox → Team
	// inboxes → the team; the number at the end of the browser URL
	// (https://app.intercom.com/a/inbox/{app_id}/inbox/team/7286213). The
	// whole URL may be pasted. Optional: it tells assignment events that
	// keep the conversation with the bot apart from hand-overs.
	BotTeamID string
	// N2TeamID is the team that takes conversations the bot hands over
	// (the N2 identifier), found like BotTeamID; a pasted inbox URL is
	// accepted. Optional.
	N2TeamID string
	// N2AdminID is a teammate that takes hand-overs when no N2 team is
	// configured (Settings → Teammates → the teammate; the number at the
	// end of the URL). Optional.
	N2AdminID string
	// ClientSecrets (secret) verify topic webhooks' X-Hub-Signature: the
	// app's client secret, Developer Hub → your app → Basic information →
	// App credentials → Client secret. Several are accepted so a secret
	// can be rotated without downtime.
	ClientSecrets []string
	// ActionTokens (secret) authenticate Custom Action requests, which
	// Intercom does not sign: the token you type into the action's
	// Authentication → "Text" token, sent as Authorization: Bearer
	// <token>. Several are accepted for rotation. Pick a long random
	// string (at least 16 characters).
	ActionTokens []string
	// AppID is the workspace id (the {app_id} in every Intercom URL).
	// Optional: Custom Action requests carry none, so it fills their
	// Conversation.Account; topic webhooks carry their own.
	AppID string
	// Version is the pinned Intercom-Version (default DefaultVersion).
	Version string
}

// Env variable names read by ConfigFromEnv.
const (
	EnvAccessToken  = "INTERCOM_ACCESS_TOKEN"
	EnvRegion       = "INTERCOM_REGION"
	EnvBaseURL      = "INTERCOM_BASE_URL"
	EnvBotAdminID   = "INTERCOM_BOT_ADMIN_ID"
	EnvBotTeamID    = "INTERCOM_BOT_TEAM_ID"
	EnvN2TeamID     = "INTERCOM_N2_TEAM_ID"
	EnvN2AdminID    = "INTERCOM_N2_ADMIN_ID"
	EnvClientSecret = "INTERCOM_CLIENT_SECRET"
	EnvActionToken  = "INTERCOM_ACTION_TOKEN"
	EnvAppID        = "INTERCOM_APP_ID"
	EnvVersion      = "INTERCOM_VERSION"
)

// ConfigFromEnv reads a Config through getenv (pass os.Getenv):
// INTERCOM_ACCESS_TOKEN, INTERCOM_REGION (us, eu, au; default us) or
// INTERCOM_BASE_URL, INTERCOM_BOT_ADMIN_ID (optional: GET /me),
// INTERCOM_BOT_TEAM_ID, INTERCOM_N2_TEAM_ID, INTERCOM_N2_ADMIN_ID
// (optional), INTERCOM_CLIENT_SECRET and INTERCOM_ACTION_TOKEN (several
// separated by commas), INTERCOM_APP_ID and INTERCOM_VERSION (optional).
// It returns the config and Validate's findings, each named by its
// environment variable (INTERCOM_N2_TEAM_ID, not N2TeamID).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	list := func(k string) []string {
		var out []string
		for _, s := range strings.Split(getenv(k), ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	c := Config{
		AccessToken:   get(EnvAccessToken),
		Region:        Region(get(EnvRegion)),
		BaseURL:       get(EnvBaseURL),
		BotAdminID:    get(EnvBotAdminID),
		BotTeamID:     get(EnvBotTeamID),
		N2TeamID:      get(EnvN2TeamID),
		N2AdminID:     get(EnvN2AdminID),
		ClientSecrets: list(EnvClientSecret),
		ActionTokens:  list(EnvActionToken),
		AppID:         get(EnvAppID),
		Version:       get(EnvVersion),
	}
	err := c.Validate()
	var ce *helpdesk.ConfigError
	if errors.As(err, &ce) {
		ce.NameEnv(envVars)
	}
	return c, err
}

// envVars names the variable ConfigFromEnv reads each Config field from,
// so that its problems name what the user sets.
var envVars = map[string]string{
	"AccessToken":   EnvAccessToken,
	"Region":        EnvRegion,
	"BaseURL":       EnvBaseURL,
	"BotAdminID":    EnvBotAdminID,
	"BotTeamID":     EnvBotTeamID,
	"N2TeamID":      EnvN2TeamID,
	"N2AdminID":     EnvN2AdminID,
	"ClientSecrets": EnvClientSecret,
	"ActionTokens":  EnvActionToken,
	"AppID":         EnvAppID,
	"Version":       EnvVersion,
}

// ParseTeamID returns the team id in s: the number itself, or the number
// at the end of a pasted team inbox URL
// (https://app.intercom.com/a/inbox/{app_id}/inbox/team/7286213). It
// reports false when s holds no such number.
func ParseTeamID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if isDigits(s) {
		return s, true
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := len(parts) - 2; i >= 0; i-- {
		if parts[i] == "team" && isDigits(parts[i+1]) {
			return parts[i+1], true
		}
	}
	return "", false
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Validate reports every problem in c at once, as a *helpdesk.ConfigError
// (matching ErrInvalidConfig; errors.As finds each *helpdesk.FieldError,
// Field being the Config field's name). Secrets are never quoted.
func (c Config) Validate() error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	if strings.TrimSpace(c.AccessToken) == "" {
		ce.Add("AccessToken", "required: Developer Hub → your app → Authentication → Access token")
	} else if strings.ContainsAny(c.AccessToken, " \t\r\n") {
		ce.Add("AccessToken", "contains whitespace; paste the token alone")
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ce.Add("BaseURL", "must be an absolute http(s) URL")
		}
	} else if c.Region.Host() == "" {
		ce.Add("Region", "must be \"us\", \"eu\" or \"au\", got %q", string(c.Region))
	}
	if c.BotAdminID != "" && !isDigits(c.BotAdminID) {
		ce.Add("BotAdminID", "must be the numeric admin id") // not echoed: it may be a pasted token
	}
	if c.N2AdminID != "" && !isDigits(c.N2AdminID) {
		ce.Add("N2AdminID", "must be the numeric admin id") // not echoed: it may be a pasted token
	}
	for _, f := range []struct{ name, v string }{{"BotTeamID", c.BotTeamID}, {"N2TeamID", c.N2TeamID}} {
		if f.v != "" {
			if _, ok := ParseTeamID(f.v); !ok {
				ce.Add(f.name, "must be the team id or its team inbox URL (…/inbox/team/<id>), got %q", f.v)
			}
		}
	}
	if c.BotTeamID != "" && c.N2TeamID != "" {
		b, okB := ParseTeamID(c.BotTeamID)
		n, okN := ParseTeamID(c.N2TeamID)
		if okB && okN && b == n {
			ce.Add("N2TeamID", "is the bot's own team; hand-overs would come back to the bot")
		}
	}
	if len(c.ClientSecrets) == 0 && len(c.ActionTokens) == 0 {
		ce.Add("ClientSecrets", "set the app's client secret (topic webhooks) and/or ActionTokens (Custom Actions): without either no delivery can be authenticated")
	}
	for i, s := range c.ClientSecrets {
		if strings.TrimSpace(s) == "" {
			ce.Add(fmt.Sprintf("ClientSecrets[%d]", i), "empty")
		}
	}
	for i, s := range c.ActionTokens {
		switch {
		case strings.TrimSpace(s) == "":
			ce.Add(fmt.Sprintf("ActionTokens[%d]", i), "empty")
		case len(s) < 16:
			ce.Add(fmt.Sprintf("ActionTokens[%d]", i), "shorter than 16 characters; use a long random token")
		}
	}
	if c.Version != "" && !validVersion(c.Version) {
		ce.Add("Version", "must be an Intercom API version such as %q or \"Preview\", got %q", DefaultVersion, c.Version)
	}
	if c.AppID != "" && strings.ContainsAny(c.AppID, "/ \t") {
		ce.Add("AppID", "must be the workspace id from the app URL, got %q", c.AppID)
	}
	return ce.Err()
}

func validVersion(v string) bool {
	if v == "Preview" || v == "Unstable" {
		return true
	}
	major, minor, ok := strings.Cut(v, ".")
	return ok && isDigits(major) && isDigits(minor)
}

// baseURL returns the API base the client calls.
func (c Config) baseURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	return c.Region.Host()
}

func (c Config) version() string {
	if c.Version == "" {
		return DefaultVersion
	}
	return c.Version
}

const redacted = "[REDACTED]"

func redactList(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i := range in {
		out[i] = redacted
	}
	return out
}

// safe returns a copy with secrets replaced, for printing.
func (c Config) safe() configView {
	v := configView{
		Region: c.Region, BaseURL: transport.SafeURL(c.BaseURL), BotAdminID: c.BotAdminID, BotTeamID: c.BotTeamID,
		N2TeamID: c.N2TeamID, N2AdminID: c.N2AdminID, AppID: c.AppID, Version: c.Version,
		ClientSecrets: redactList(c.ClientSecrets), ActionTokens: redactList(c.ActionTokens),
	}
	if c.AccessToken != "" {
		v.AccessToken = redacted
	}
	return v
}

// configView is Config without methods, as it prints.
type configView struct {
	AccessToken   string   `json:"access_token,omitempty"`
	Region        Region   `json:"region,omitempty"`
	BaseURL       string   `json:"base_url,omitempty"`
	BotAdminID    string   `json:"bot_admin_id,omitempty"`
	BotTeamID     string   `json:"bot_team_id,omitempty"`
	N2TeamID      string   `json:"n2_team_id,omitempty"`
	N2AdminID     string   `json:"n2_admin_id,omitempty"`
	ClientSecrets []string `json:"client_secrets,omitempty"`
	ActionTokens  []string `json:"action_tokens,omitempty"`
	AppID         string   `json:"app_id,omitempty"`
	Version       string   `json:"version,omitempty"`
}

// String prints c with secrets redacted.
func (c Config) String() string { return fmt.Sprintf("intercom.Config%+v", c.safe()) }

// GoString prints c with secrets redacted (%#v).
func (c Config) GoString() string { return fmt.Sprintf("intercom.Config%+v", c.safe()) }

// Format prints c with secrets redacted for every verb.
func (c Config) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// MarshalJSON encodes c with secrets redacted.
func (c Config) MarshalJSON() ([]byte, error) { return json.Marshal(c.safe()) }

// LogValue logs c with secrets redacted.
func (c Config) LogValue() slog.Value {
	v := c.safe()
	return slog.GroupValue(
		slog.String("access_token", v.AccessToken), slog.String("region", string(v.Region)),
		slog.String("base_url", v.BaseURL), slog.String("bot_admin_id", v.BotAdminID),
		slog.String("bot_team_id", v.BotTeamID), slog.String("n2_team_id", v.N2TeamID),
		slog.String("n2_admin_id", v.N2AdminID), slog.Int("client_secrets", len(c.ClientSecrets)),
		slog.Int("action_tokens", len(c.ActionTokens)), slog.String("app_id", v.AppID),
		slog.String("version", c.version()),
	)
}
