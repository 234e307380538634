package zendesk

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

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

// Plan is the Zendesk plan, which sets the account-wide API limit.
type Plan string

// Plans and their Support API limits (requests per minute).
const (
	PlanTeam           Plan = "team"            // 200/min
	PlanGrowth         Plan = "growth"          // 400/min
	PlanProfessional   Plan = "professional"    // 400/min
	PlanEnterprise     Plan = "enterprise"      // 700/min
	PlanEnterprisePlus Plan = "enterprise_plus" // 2500/min
	// PlanHighVolume is any plan with the High Volume API add-on, which
	// raises the limit to 2500/min (and Update Ticket to 300/min).
	PlanHighVolume Plan = "high_volume"
)

// RequestsPerMinute returns the plan's account-wide Support API limit
// (Team when the plan is empty or unknown: the safe choice).
func (p Plan) RequestsPerMinute() int {
	switch p {
	case PlanGrowth, PlanProfessional:
		return 400
	case PlanEnterprise:
		return 700
	case PlanEnterprisePlus, PlanHighVolume:
		return 2500
	}
	return 200
}

// TicketUpdatesPerMinute returns the account's Update Ticket limit: 100 per
// minute, 300 with High Volume. Human agents' edits in the Zendesk UI count
// against it too.
func (p Plan) TicketUpdatesPerMinute() int {
	if p == PlanHighVolume {
		return 300
	}
	return 100
}

func (p Plan) valid() bool {
	switch p {
	case "", PlanTeam, PlanGrowth, PlanProfessional, PlanEnterprise, PlanEnterprisePlus, PlanHighVolume:
		return true
	}
	return false
}

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
	// (100/min, shared with human agents' edits) the bot may use, in (0, 1];
	// default 0.5.
	TicketUpdateShare float64

	// BaseURL overrides https://SUBDOMAIN.zendesk.com (fakes, proxies).
	BaseURL string
	// SunshineBaseURL overrides https://SUBDOMAIN.zendesk.com/sc.
	SunshineBaseURL string

	// Tolerance is how far a trigger webhook's signed timestamp may be from
	// the time it is received (default 5 minutes).
	Tolerance time.Duration
}

// DefaultAgentWorkspace is the Agent Workspace switchboard integration name.
const DefaultAgentWorkspace = "zd-agentWorkspace"

// testWebhookSecret signs the webhook test sends Zendesk makes before a
// webhook exists.
const testWebhookSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="

var subdomainRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ErrInvalidConfig is matched (errors.Is) by every Validate error.
var ErrInvalidConfig = errors.New("zendesk: invalid config")

// ConfigError lists every problem Validate found.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	return "zendesk: invalid config: " + strings.Join(e.Problems, "; ")
}

// Is matches ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

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
		c.TicketUpdateShare = 0.5
	}
	if c.Tolerance == 0 {
		c.Tolerance = 5 * time.Minute
	}
	if c.OAuthScope == "" {
		c.OAuthScope = "read write"
	}
	return c
}

// Validate reports every problem at once, as a *ConfigError matching
// ErrInvalidConfig. It never includes secret values.
func (c Config) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	switch c.Mode {
	case "", ModeEmail, ModeChat:
	default:
		add("mode %q must be %q or %q", c.Mode, ModeEmail, ModeChat)
	}
	if strings.TrimSpace(c.Subdomain) == "" {
		if c.BaseURL == "" {
			add("subdomain is required (the first part of https://SUBDOMAIN.zendesk.com)")
		}
	} else if _, err := NormalizeSubdomain(c.Subdomain); err != nil {
		add("%s", err.Error())
	}
	hasToken := strings.TrimSpace(c.APIToken) != ""
	hasOAuth := strings.TrimSpace(c.OAuthToken) != ""
	hasCC := c.OAuthClientID != "" || c.OAuthClientSecret != ""
	switch {
	case c.TokenSource != nil:
	case hasToken && (hasOAuth || hasCC), hasOAuth && hasCC:
		add("set one credential: access email + API token, an OAuth token, or OAuth client credentials")
	case hasToken:
		if e := strings.TrimSpace(c.Email); e == "" {
			add("access email is required with an API token")
		} else if !strings.Contains(e, "@") || strings.Contains(e, "/token") {
			add("access email %q must be the Zendesk login e-mail (without \"/token\")", e)
		}
	case hasOAuth:
	case hasCC:
		if c.OAuthClientID == "" {
			add("OAuth client id is required with an OAuth client secret")
		}
		if c.OAuthClientSecret == "" {
			add("OAuth client secret is required with an OAuth client id")
		}
	default:
		add("credentials are required: access email + API token (Admin Center > Apps and integrations > APIs > Zendesk API) or OAuth")
	}
	if c.BotUserID <= 0 {
		add("bot user id is required (the number after \"users/\" in the bot user's Admin Center URL)")
	}
	if c.BotGroupID < 0 {
		add("bot group id must be positive or zero")
	}
	if c.N2GroupID <= 0 {
		add("N2 group id is required (the number after \"groups/\" in the group's Admin Center URL)")
	} else if c.N2GroupID == c.BotGroupID {
		add("N2 group id must differ from the bot group id")
	}
	if len(nonEmpty(c.WebhookSecrets)) == 0 && c.Mode != ModeChat {
		add("webhook signing secret is required (Admin Center > Apps and integrations > Webhooks > Reveal secret)")
	}
	if c.Mode == ModeChat {
		if c.SunshineAppID == "" {
			add("Sunshine app id is required for chat")
		}
		if c.SunshineKeyID == "" {
			add("Sunshine key id is required for chat")
		}
		if c.SunshineSecret == "" {
			add("Sunshine secret is required for chat")
		}
		if len(nonEmpty(c.SunshineWebhookSecrets)) == 0 {
			add("Sunshine webhook secret is required for chat")
		}
	} else if (c.SunshineKeyID == "") != (c.SunshineSecret == "") {
		add("Sunshine key id and secret go together")
	}
	if !c.Plan.valid() {
		add("plan %q is unknown (team, growth, professional, enterprise, enterprise_plus, high_volume)", c.Plan)
	}
	if c.TicketUpdateShare < 0 || c.TicketUpdateShare > 1 {
		add("ticket update share %s must be in (0, 1]", strconv.FormatFloat(c.TicketUpdateShare, 'g', -1, 64))
	}
	if c.Tolerance < 0 {
		add("tolerance must not be negative")
	}
	for _, f := range []struct{ name, v string }{{"base URL", c.BaseURL}, {"Sunshine base URL", c.SunshineBaseURL}, {"bot avatar URL", c.BotAvatarURL}} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("%s must be an absolute http(s) URL", f.name)
		}
	}
	if len(p) == 0 {
		return nil
	}
	return &ConfigError{Problems: p}
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
		len(c.SunshineWebhookSecrets), c.Plan, c.BaseURL, c.SunshineBaseURL)
}

// GoString is String, so %#v does not print secrets either.
func (c Config) GoString() string { return c.String() }

// Format makes every verb (%v, %+v, %#v, %s) print String.
func (c Config) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

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
// The returned error lists every problem (unparsable numbers and Validate's
// findings) and never contains secret values.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	var p []string
	num := func(k string) int64 {
		v := get(k)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			p = append(p, fmt.Sprintf("%s must be a positive number, got %q", k, v))
			return 0
		}
		return n
	}
	c := Config{
		Subdomain:              get("ZENDESK_SUBDOMAIN"),
		Email:                  get("ZENDESK_EMAIL"),
		APIToken:               get("ZENDESK_API_TOKEN"),
		OAuthToken:             get("ZENDESK_OAUTH_TOKEN"),
		BotUserID:              num("ZENDESK_BOT_USER_ID"),
		BotGroupID:             num("ZENDESK_BOT_GROUP_ID"),
		N2GroupID:              num("ZENDESK_N2_GROUP_ID"),
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
	if err := c.Validate(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			p = append(p, ce.Problems...)
		}
	}
	if s, err := NormalizeSubdomain(c.Subdomain); err == nil {
		c.Subdomain = s
	}
	if len(p) > 0 {
		return c, &ConfigError{Problems: p}
	}
	return c.Normalize(), nil
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
