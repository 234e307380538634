package zendesk

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Mode is the integration's channel switch, as on the integration screen:
// e-mail tickets through the Support API, or chat through Sunshine
// Conversations (Zendesk messaging).
type Mode string

const (
	// ModeEmail answers Support tickets (the default).
	ModeEmail Mode = "email"
	// ModeChat answers Sunshine Conversations (Zendesk messaging) and uses
	// the Support API only for the ticket behind a conversation.
	ModeChat Mode = "chat"
)

// Config holds the integration settings, the same fields as the integration
// screen. Secrets never appear in its String, GoString or %v output, nor in
// Validate's errors.
type Config struct {
	// Mode is e-mail (tickets) or chat (Sunshine Conversations); default
	// ModeEmail.
	Mode Mode

	// Subdomain identifies the Zendesk account: the first part of the URL
	// used to open Zendesk (https://SUBDOMAIN.zendesk.com). "acme",
	// "acme.zendesk.com" and "https://acme.zendesk.com/agent/..." are all
	// accepted; Normalize reduces them to "acme".
	Subdomain string

	// Email is the access e-mail: the login of the Zendesk user the API
	// token belongs to (an admin, or an agent dedicated to the bot). Used
	// with APIToken.
	Email string
	// APIToken is a Zendesk API token: Admin Center > Apps and
	// integrations > APIs > Zendesk API ("Token access" enabled). It is
	// shown only once, at creation. Zendesk retires API tokens in 2027:
	// prefer OAuth for new integrations.
	APIToken string
	// OAuthToken is an OAuth access token (Admin Center > Apps and
	// integrations > APIs > OAuth clients), sent as a bearer token. Used
	// instead of Email + APIToken.
	OAuthToken string
	// OAuthClientID and OAuthClientSecret obtain and refresh access tokens
	// with the client-credentials grant (POST /oauth/tokens on the account)
	// instead of a fixed OAuthToken. Admin Center > Apps and integrations >
	// APIs > OAuth clients: the "Identifier" and the secret shown once.
	OAuthClientID     string
	OAuthClientSecret string
	// OAuthScope is requested with the client-credentials grant (default
	// "read write").
	OAuthScope string
	// TokenSource, when set, supplies bearer tokens (for hosts that manage
	// OAuth themselves). It takes precedence over every other credential.
	TokenSource transport.TokenSource

	// BotUserID is the Zendesk user id of the bot's agent account: Admin
	// Center > People > Team members, open the bot's user, the number after
	// "users/" in the URL. Its comments are recognised as the bot's own.
	BotUserID int64
	// BotGroupID is the optional group the bot works in: Admin Center >
	// People > Groups, open the group, the number after "groups/" in the
	// URL. When zero, Client.EnsureBotGroup can create one (admin token).
	BotGroupID int64
	// N2GroupID is the level-2 (human) group tickets are handed to: Admin
	// Center > People > Groups, the number after "groups/" in the group's
	// URL.
	N2GroupID int64

	// WebhookSecrets verify trigger webhooks: Admin Center > Apps and
	// integrations > Webhooks, open the webhook, "Reveal secret". Several
	// are accepted during a rotation.
	WebhookSecrets []string
	// AcceptTestSecret also accepts deliveries signed with Zendesk's fixed
	// secret for "Test webhook" sends made before the webhook exists. Keep
	// it off in production.
	AcceptTestSecret bool

	// SunshineAppID is the Sunshine Conversations app id: Admin Center >
	// Apps and integrations > Conversations integrations (API keys show
	// "App ID").
	SunshineAppID string
	// SunshineKeyID and SunshineSecret are an API key of that app (key id
	// "app_…" and its secret, shown once): same screen, "API keys".
	SunshineKeyID  string
	SunshineSecret string
	// SunshineWebhookSecrets are the shared secrets Sunshine sends in
	// X-API-Key: the conversations integration's webhook secret, same
	// screen. Several are accepted during a rotation.
	SunshineWebhookSecrets []string
	// SunshineSwitchboardName is the bot's switchboard integration name,
	// used to tell whether control is with the bot (optional).
	SunshineSwitchboardName string
	// AgentWorkspace is the switchboard integration control passes to on
	// handover (default "zd-agentWorkspace").
	AgentWorkspace string

	// BotName and BotAvatarURL are how the bot's chat messages appear to
	// customers.
	BotName      string
	BotAvatarURL string
	// BotAISubtype marks the bot's chat messages as AI-generated
	// (author.subtypes ["AI"]); Zendesk then appends its AI disclaimer.
	BotAISubtype bool

	// Plan sets the account-wide request budget (default PlanTeam: 200/min).
	Plan Plan
	// TicketUpdateShare is the fraction of the account's Update Ticket limit
	// (100/min, 300 with High Volume, shared with human agents' edits) the
	// bot may use, in (0, 1]; default 1 (DefaultTicketUpdateShare).
	//
	// The whole limit is the default because Zendesk says on every ticket
	// update how much of the limit is left in the current window
	// (Zendesk-RateLimit-tickets-update: total, remaining, resets), and
	// that figure already counts the agents' edits: the budget never
	// spends more than it, slows when it would not last until the reset,
	// and stops at zero until the window resets, so the bot gets no 429
	// and takes only what nobody else used. A share below 1 is a static
	// cap that holds the bot back even when no agent is editing: at 0.5
	// the bot stops at 50 of 100 updates a minute, 14 tickets of the help
	// article's scenario where a client retrying 429s completes 28
	// (BenchmarkSeedAt3x; the former default, 0.5 paced evenly, completed
	// 7). Lower it only to guarantee agents part of every window while the
	// bot is saturating it: 0.8 keeps 20 of 100 updates a minute free for
	// them.
	TicketUpdateShare float64

	// BaseURL overrides https://SUBDOMAIN.zendesk.com (fakes, proxies).
	BaseURL string
	// SunshineBaseURL overrides https://SUBDOMAIN.zendesk.com/sc.
	SunshineBaseURL string
}

// DefaultAgentWorkspace is the Agent Workspace switchboard integration name.
const DefaultAgentWorkspace = "zd-agentWorkspace"

// testWebhookSecret signs the webhook test sends Zendesk makes before a
// webhook exists.
const testWebhookSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="

var subdomainRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ErrInvalidConfig is matched (errors.Is) by every error Validate,
// ConfigFromEnv and New return for a configuration problem.
var ErrInvalidConfig = helpdesk.ErrInvalidConfig

// NormalizeSubdomain reduces "acme", "acme.zendesk.com" or
// "https://acme.zendesk.com/agent/tickets/1" to "acme". Anything else is an
// error showing the expected form.
func NormalizeSubdomain(s string) (string, error) {
	in := strings.TrimSpace(s)
	v := strings.ToLower(in)
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return "", subdomainError(in)
		}
		v = u.Hostname()
	} else if i := strings.IndexAny(v, "/?#"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSuffix(v, ".")
	if strings.HasSuffix(v, ".zendesk.com") {
		v = strings.TrimSuffix(v, ".zendesk.com")
	}
	if !subdomainRe.MatchString(v) {
		return "", subdomainError(in)
	}
	return v, nil
}

func subdomainError(in string) error {
	shown := in
	if len(shown) > 80 {
		shown = shown[:80] + "…"
	}
	return fmt.Errorf("subdomain %q is not a Zendesk subdomain: expected the first part of https://SUBDOMAIN.zendesk.com, e.g. \"acme\" (\"acme.zendesk.com\" and the full URL are accepted too)", shown)
}

// Normalize returns c with the subdomain normalised, defaults applied and
// secrets trimmed of surrounding spaces (a common copy-paste slip).
func (c Config) Normalize() Config {
	if c.Mode == "" {
		c.Mode = ModeEmail
	}
	if s, err := NormalizeSubdomain(c.Subdomain); err == nil {
		c.Subdomain = s
	}
	c.Email = strings.TrimSpace(c.Email)
	c.APIToken = strings.TrimSpace(c.APIToken)
	c.OAuthToken = strings.TrimSpace(c.OAuthToken)
	c.SunshineAppID = strings.TrimSpace(c.SunshineAppID)
	c.SunshineKeyID = strings.TrimSpace(c.SunshineKeyID)
	c.SunshineSecret = strings.TrimSpace(c.SunshineSecret)
	if c.AgentWorkspace == "" {
		c.AgentWorkspace = DefaultAgentWorkspace
	}
	if c.TicketUpdateShare == 0 {
		c.TicketUpdateShare = DefaultTicketUpdateShare
	}
	if c.OAuthScope == "" {
		c.OAuthScope = "read write"
	}
	return c
}

// Validate reports every problem at once, as a *helpdesk.ConfigError
// matching ErrInvalidConfig whose problems name the Config fields. It never
// includes secret values.
func (c Config) Validate() error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	c.validate(ce)
	return ce.Err()
}

func (c Config) validate(ce *helpdesk.ConfigError) {
	switch c.Mode {
	case "", ModeEmail, ModeChat:
	default:
		ce.Add("Mode", "mode %q must be %q or %q", c.Mode, ModeEmail, ModeChat)
	}
	if strings.TrimSpace(c.Subdomain) == "" {
		if c.BaseURL == "" {
			ce.Add("Subdomain", "subdomain is required (the first part of https://SUBDOMAIN.zendesk.com)")
		}
	} else if _, err := NormalizeSubdomain(c.Subdomain); err != nil {
		ce.Add("Subdomain", "%s", err.Error())
	}
	hasToken := strings.TrimSpace(c.APIToken) != ""
	hasOAuth := strings.TrimSpace(c.OAuthToken) != ""
	hasCC := c.OAuthClientID != "" || c.OAuthClientSecret != ""
	switch {
	case c.TokenSource != nil:
	case hasToken && (hasOAuth || hasCC), hasOAuth && hasCC:
		ce.Add("APIToken", "set one credential: access email + API token, an OAuth token, or OAuth client credentials")
	case hasToken:
		if e := strings.TrimSpace(c.Email); e == "" {
			ce.Add("Email", "access email is required with an API token")
		} else if !strings.Contains(e, "@") || strings.Contains(e, "/token") {
			// The value is not echoed: a token pasted here would end up in logs.
			ce.Add("Email", "access email must be the Zendesk login e-mail (without \"/token\")")
		}
	case hasOAuth:
	case hasCC:
		if c.OAuthClientID == "" {
			ce.Add("OAuthClientID", "OAuth client id is required with an OAuth client secret")
		}
		if c.OAuthClientSecret == "" {
			ce.Add("OAuthClientSecret", "OAuth client secret is required with an OAuth client id")
		}
	default:
		ce.Add("APIToken", "credentials are required: access email + API token (Admin Center > Apps and integrations > APIs > Zendesk API) or OAuth")
	}
	if c.BotUserID <= 0 {
		ce.Add("BotUserID", "bot user id is required (the number after \"users/\" in the bot user's Admin Center URL)")
	}
	if c.BotGroupID < 0 {
		ce.Add("BotGroupID", "bot group id must be positive or zero")
	}
	if c.N2GroupID <= 0 {
		ce.Add("N2GroupID", "N2 group id is required (the number after \"groups/\" in the group's Admin Center URL)")
	} else if c.N2GroupID == c.BotGroupID {
		ce.Add("N2GroupID", "N2 group id must differ from the bot group id")
	}
	if len(nonEmpty(c.WebhookSecrets)) == 0 && c.Mode != ModeChat {
		ce.Add("WebhookSecrets", "webhook signing secret is required (Admin Center > Apps and integrations > Webhooks > Reveal secret)")
	}
	if c.Mode == ModeChat {
		if c.SunshineAppID == "" {
			ce.Add("SunshineAppID", "Sunshine app id is required for chat")
		}
		if c.SunshineKeyID == "" {
			ce.Add("SunshineKeyID", "Sunshine key id is required for chat")
		}
		if c.SunshineSecret == "" {
			ce.Add("SunshineSecret", "Sunshine secret is required for chat")
		}
		if len(nonEmpty(c.SunshineWebhookSecrets)) == 0 {
			ce.Add("SunshineWebhookSecrets", "Sunshine webhook secret is required for chat")
		}
	} else if (c.SunshineKeyID == "") != (c.SunshineSecret == "") {
		ce.Add("SunshineKeyID", "Sunshine key id and secret go together")
	}
	if !c.Plan.valid() {
		ce.Add("Plan", "plan %q is unknown (team, growth, professional, enterprise, enterprise_plus, high_volume)", c.Plan)
	}
	if c.TicketUpdateShare < 0 || c.TicketUpdateShare > 1 {
		ce.Add("TicketUpdateShare", "ticket update share %s must be in (0, 1]", strconv.FormatFloat(c.TicketUpdateShare, 'g', -1, 64))
	}
	for _, f := range []struct{ field, name, v string }{{"BaseURL", "base URL", c.BaseURL}, {"SunshineBaseURL", "Sunshine base URL", c.SunshineBaseURL}, {"BotAvatarURL", "bot avatar URL", c.BotAvatarURL}} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ce.Add(f.field, "%s must be an absolute http(s) URL", f.name)
		}
	}
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (c Config) supportBaseURL() string {
	if c.BaseURL != "" {
		return c.BaseURL
	}
	return "https://" + c.Subdomain + ".zendesk.com"
}

func (c Config) sunshineBaseURL() string {
	if c.SunshineBaseURL != "" {
		return c.SunshineBaseURL
	}
	return "https://" + c.Subdomain + ".zendesk.com/sc"
}

func set(s string) string {
	if s == "" {
		return `""`
	}
	return "[set]"
}

// String describes c without secrets.
func (c Config) String() string {
	return fmt.Sprintf("zendesk.Config{Mode:%s Subdomain:%q Email:%q APIToken:%s OAuthToken:%s OAuthClientID:%q OAuthClientSecret:%s BotUserID:%d BotGroupID:%d N2GroupID:%d WebhookSecrets:%d SunshineAppID:%q SunshineKeyID:%q SunshineSecret:%s SunshineWebhookSecrets:%d Plan:%q BaseURL:%q SunshineBaseURL:%q}",
		c.Mode, c.Subdomain, c.Email, set(c.APIToken), set(c.OAuthToken), c.OAuthClientID, set(c.OAuthClientSecret),
		c.BotUserID, c.BotGroupID, c.N2GroupID, len(c.WebhookSecrets), c.SunshineAppID, c.SunshineKeyID, set(c.SunshineSecret),
		len(c.SunshineWebhookSecrets), c.Plan, transport.SafeURL(c.BaseURL), transport.SafeURL(c.SunshineBaseURL))
}

// GoString is String, so %#v does not print secrets either.
func (c Config) GoString() string { return c.String() }

// Format makes every verb (%v, %+v, %#v, %s) print String, and %q quote
// it.
func (c Config) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String()) }

// formatSafe writes s, the secret-free form of a value, for any verb.
func formatSafe(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = f.Write([]byte(s))
}

// LogValue implements slog.LogValuer: the fields String shows, secrets
// only as "[set]" or a count.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("mode", string(c.Mode)), slog.String("subdomain", c.Subdomain), slog.String("email", c.Email),
		slog.String("api_token", set(c.APIToken)), slog.String("oauth_token", set(c.OAuthToken)),
		slog.String("oauth_client_id", c.OAuthClientID), slog.String("oauth_client_secret", set(c.OAuthClientSecret)),
		slog.Int64("bot_user_id", c.BotUserID), slog.Int64("bot_group_id", c.BotGroupID), slog.Int64("n2_group_id", c.N2GroupID),
		slog.Int("webhook_secrets", len(c.WebhookSecrets)), slog.String("sunshine_app_id", c.SunshineAppID),
		slog.String("sunshine_key_id", c.SunshineKeyID), slog.String("sunshine_secret", set(c.SunshineSecret)),
		slog.Int("sunshine_webhook_secrets", len(c.SunshineWebhookSecrets)), slog.String("plan", string(c.Plan)),
		slog.String("base_url", transport.SafeURL(c.BaseURL)), slog.String("sunshine_base_url", transport.SafeURL(c.SunshineBaseURL)),
	)
}

// MarshalJSON encodes what LogValue shows, so json.Marshal does not print
// secrets either.
func (c Config) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for _, a := range c.LogValue().Group() {
		m[a.Key] = a.Value.Any()
	}
	return json.Marshal(m)
}

// ConfigFromEnv reads the configuration from environment variables through
// getenv (os.Getenv in production, a map in tests):
//
//	ZENDESK_SUBDOMAIN        acme (or acme.zendesk.com, or a full URL)
//	ZENDESK_EMAIL            access e-mail, with ZENDESK_API_TOKEN
//	ZENDESK_API_TOKEN        API token
//	ZENDESK_OAUTH_TOKEN      OAuth access token (instead of e-mail + token)
//	ZENDESK_BOT_USER_ID      bot user id
//	ZENDESK_BOT_GROUP_ID     bot group id (optional)
//	ZENDESK_N2_GROUP_ID      level-2 group id
//	ZENDESK_WEBHOOK_SECRET   trigger webhook signing secret(s), comma-separated
//	ZENDESK_PLAN             team, growth, professional, enterprise, ... (optional)
//	ZENDESK_BASE_URL         base URL override (optional)
//	SUNSHINE_APP_ID, SUNSHINE_KEY_ID, SUNSHINE_SECRET,
//	SUNSHINE_WEBHOOK_SECRET  chat settings; setting SUNSHINE_APP_ID selects chat mode
//	SUNSHINE_BASE_URL        Sunshine base URL override (optional)
//
// The returned error is a *helpdesk.ConfigError listing every problem once
// (unparsable numbers and Validate's findings), each named by its
// environment variable (ZENDESK_N2_GROUP_ID, not N2GroupID); it never
// contains secret values.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	num := func(_, k string) int64 {
		v := get(k)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			ce.Add(k, "must be a positive number, got %q", v)
			return 0
		}
		return n
	}
	c := Config{
		Subdomain:              get("ZENDESK_SUBDOMAIN"),
		Email:                  get("ZENDESK_EMAIL"),
		APIToken:               get("ZENDESK_API_TOKEN"),
		OAuthToken:             get("ZENDESK_OAUTH_TOKEN"),
		BotUserID:              num("BotUserID", "ZENDESK_BOT_USER_ID"),
		BotGroupID:             num("BotGroupID", "ZENDESK_BOT_GROUP_ID"),
		N2GroupID:              num("N2GroupID", "ZENDESK_N2_GROUP_ID"),
		WebhookSecrets:         splitList(getenv("ZENDESK_WEBHOOK_SECRET")),
		Plan:                   Plan(strings.ToLower(get("ZENDESK_PLAN"))),
		BaseURL:                get("ZENDESK_BASE_URL"),
		SunshineAppID:          get("SUNSHINE_APP_ID"),
		SunshineKeyID:          get("SUNSHINE_KEY_ID"),
		SunshineSecret:         get("SUNSHINE_SECRET"),
		SunshineWebhookSecrets: splitList(getenv("SUNSHINE_WEBHOOK_SECRET")),
		SunshineBaseURL:        get("SUNSHINE_BASE_URL"),
	}
	if c.SunshineAppID != "" {
		c.Mode = ModeChat
	}
	c.validate(ce)
	ce.NameEnv(envVars)
	if s, err := NormalizeSubdomain(c.Subdomain); err == nil {
		c.Subdomain = s
	}
	if err := ce.Err(); err != nil {
		return c, err
	}
	return c.Normalize(), nil
}

// envVars names the variable ConfigFromEnv reads each Config field from,
// so that its problems name what the user sets.
var envVars = map[string]string{
	"Subdomain":              "ZENDESK_SUBDOMAIN",
	"Email":                  "ZENDESK_EMAIL",
	"APIToken":               "ZENDESK_API_TOKEN",
	"OAuthToken":             "ZENDESK_OAUTH_TOKEN",
	"BotUserID":              "ZENDESK_BOT_USER_ID",
	"BotGroupID":             "ZENDESK_BOT_GROUP_ID",
	"N2GroupID":              "ZENDESK_N2_GROUP_ID",
	"WebhookSecrets":         "ZENDESK_WEBHOOK_SECRET",
	"Plan":                   "ZENDESK_PLAN",
	"BaseURL":                "ZENDESK_BASE_URL",
	"SunshineAppID":          "SUNSHINE_APP_ID",
	"SunshineKeyID":          "SUNSHINE_KEY_ID",
	"SunshineSecret":         "SUNSHINE_SECRET",
	"SunshineWebhookSecrets": "SUNSHINE_WEBHOOK_SECRET",
	"SunshineBaseURL":        "SUNSHINE_BASE_URL",
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
