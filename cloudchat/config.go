package cloudchat

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// TokenKind says whose access token Config.APIToken is.
type TokenKind string

const (
	// TokenAgentBot is an agent bot's token (Settings → Bots → the bot →
	// Access Token). Messages it posts are authored by the bot, and Cloud
	// Chat records a hand-off when it opens a pending conversation.
	TokenAgentBot TokenKind = "agent_bot"
	// TokenUser is an agent user's token (Profile settings → Access Token),
	// for bots that act as a dedicated agent account.
	TokenUser TokenKind = "user"
)

// Config holds what the driver needs to talk to one Cloud Chat account.
// Values marked secret never appear in errors, logs or fmt output (%v, %+v,
// %#v and slog all print them as [REDACTED]).
type Config struct {
	// BaseURL is the address of the Cloud Chat instance, the part of the
	// dashboard URL before /app (e.g. https://chat.example.com).
	BaseURL string
	// AccountID is the numeric account id: the number after /app/accounts/
	// in the dashboard URL (also Settings → Account settings).
	AccountID int64
	// APIToken (secret) is the bot's access token: for an agent bot,
	// Settings → Bots → the bot → Access Token; for an agent user acting as
	// the bot, Profile settings → Access Token. TokenKind says which.
	APIToken string
	// TokenKind says whose token APIToken is (default TokenAgentBot).
	TokenKind TokenKind
	// UserToken (secret, optional) is an agent or administrator user's
	// access token (Profile settings → Access Token) for the endpoints an
	// agent-bot token may not call: contacts, teams, agents, conversation
	// labels (and, before server 4.14.2, reading a conversation).
	UserToken string
	// BotID is the id of the agent bot (Settings → Bots, the number in the
	// bot's edit URL) when TokenKind is TokenAgentBot, or of the agent user
	// (Settings → Agents) when TokenKind is TokenUser. The driver uses it to
	// recognise the bot's own messages when they come back by webhook.
	BotID int64
	// N2TeamID is the team that takes conversations the bot hands over
	// (Settings → Teams, the number in the team's edit URL). Optional.
	N2TeamID int64
	// N2AgentID is an agent (Settings → Agents) that takes hand-overs when
	// no team is configured. Optional.
	N2AgentID int64
	// ContactInboxID is the inbox new contacts are created in by
	// UpsertContact (Settings → Inboxes, the number in the inbox's settings
	// URL). The Chatwoot spec requires an inbox for contact creation.
	ContactInboxID int64
	// WebhookSecrets (secret) verify X-Chatwoot-Signature: the account
	// webhook's secret (Settings → Integrations → Webhooks, or the
	// /webhooks API) and/or the agent bot's secret (Settings → Bots).
	// Several are accepted so a secret can be rotated without downtime.
	WebhookSecrets []string
	// UnsignedToken (secret) opts in to unsigned deliveries, for servers
	// older than 4.12 that do not sign webhooks: the webhook URL configured
	// in Cloud Chat must carry it as ?token=<UnsignedToken>, and it is
	// compared in constant time. Empty (the default) rejects every unsigned
	// delivery.
	UnsignedToken string
	// ServerVersion is the Chatwoot version behind the instance (e.g.
	// "4.15.1"). When empty it is read once from GET /api (which needs no
	// credentials) the first time a version-dependent call needs it.
	ServerVersion string
	// DefaultCountryCode is the calling code (digits, e.g. "55") assumed for
	// phone numbers written without one in UpsertContact. Optional.
	DefaultCountryCode string
}

// Env variable names read by ConfigFromEnv.
const (
	EnvBaseURL        = "CLOUDCHAT_BASE_URL"
	EnvAccountID      = "CLOUDCHAT_ACCOUNT_ID"
	EnvAPIToken       = "CLOUDCHAT_API_TOKEN"
	EnvUserToken      = "CLOUDCHAT_USER_TOKEN"
	EnvBotAgentID     = "CLOUDCHAT_BOT_AGENT_ID"
	EnvN2TeamID       = "CLOUDCHAT_N2_TEAM_ID"
	EnvWebhookSecret  = "CLOUDCHAT_WEBHOOK_SECRET"
	EnvTokenKind      = "CLOUDCHAT_TOKEN_KIND"
	EnvN2AgentID      = "CLOUDCHAT_N2_AGENT_ID"
	EnvContactInboxID = "CLOUDCHAT_CONTACT_INBOX_ID"
	EnvServerVersion  = "CLOUDCHAT_SERVER_VERSION"
)

// ConfigFromEnv reads a Config from environment variables through getenv
// (pass os.Getenv): CLOUDCHAT_BASE_URL, CLOUDCHAT_ACCOUNT_ID,
// CLOUDCHAT_API_TOKEN, CLOUDCHAT_USER_TOKEN (optional),
// CLOUDCHAT_BOT_AGENT_ID, CLOUDCHAT_N2_TEAM_ID and CLOUDCHAT_WEBHOOK_SECRET
// (several secrets separated by commas), plus the optional
// CLOUDCHAT_TOKEN_KIND ("agent_bot" or "user"), CLOUDCHAT_N2_AGENT_ID,
// CLOUDCHAT_CONTACT_INBOX_ID and CLOUDCHAT_SERVER_VERSION. A dashboard URL
// pasted as CLOUDCHAT_BASE_URL (https://chat.example.com/app/accounts/1/...)
// is cut to the instance's address, and its account id is used when
// CLOUDCHAT_ACCOUNT_ID is empty. It returns the config and every problem
// found (unparsable numbers and Validate's findings), each once and named
// by its variable, in one *helpdesk.ConfigError.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	num := func(name string) int64 {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			ce.Add(name, "not an integer")
		}
		return n
	}
	base, fromURL := dashboardBase(strings.TrimSpace(getenv(EnvBaseURL)))
	c := Config{
		BaseURL:        base,
		AccountID:      num(EnvAccountID),
		APIToken:       strings.TrimSpace(getenv(EnvAPIToken)),
		TokenKind:      TokenKind(strings.TrimSpace(getenv(EnvTokenKind))),
		UserToken:      strings.TrimSpace(getenv(EnvUserToken)),
		BotID:          num(EnvBotAgentID),
		N2TeamID:       num(EnvN2TeamID),
		N2AgentID:      num(EnvN2AgentID),
		ContactInboxID: num(EnvContactInboxID),
		ServerVersion:  strings.TrimSpace(getenv(EnvServerVersion)),
	}
	for _, s := range strings.Split(getenv(EnvWebhookSecret), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.WebhookSecrets = append(c.WebhookSecrets, s)
		}
	}
	if c.AccountID == 0 {
		c.AccountID = fromURL
	}
	c.check(ce)
	ce.NameEnv(envVars)
	return c, ce.Err()
}

// envVars names the variable ConfigFromEnv reads each Config field from,
// so that its problems name what the user sets.
var envVars = map[string]string{
	"BaseURL":        EnvBaseURL,
	"AccountID":      EnvAccountID,
	"APIToken":       EnvAPIToken,
	"TokenKind":      EnvTokenKind,
	"UserToken":      EnvUserToken,
	"BotID":          EnvBotAgentID,
	"N2TeamID":       EnvN2TeamID,
	"N2AgentID":      EnvN2AgentID,
	"ContactInboxID": EnvContactInboxID,
	"WebhookSecrets": EnvWebhookSecret,
	"ServerVersion":  EnvServerVersion,
}

// dashboardBase turns a URL pasted from the browser's address bar
// (https://chat.example.com/app/accounts/1/dashboard) into the instance's
// address, and returns the account id it names (0 when none). Any other
// value is returned unchanged, for Validate to judge.
func dashboardBase(s string) (string, int64) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s, 0
	}
	i := strings.Index(u.Path, "/app/")
	if i < 0 && !strings.HasSuffix(u.Path, "/app") {
		return s, 0
	}
	if i < 0 {
		i = len(u.Path) - len("/app")
	}
	var account int64
	if rest, ok := strings.CutPrefix(u.Path[i:], "/app/accounts/"); ok {
		id, _, _ := strings.Cut(rest, "/")
		account, _ = strconv.ParseInt(id, 10, 64)
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = u.Path[:i], "", "", ""
	return strings.TrimRight(u.String(), "/"), account
}

// ErrInvalidConfig is matched (errors.Is) by every error Validate, New and
// ConfigFromEnv return for a configuration problem: a
// *helpdesk.ConfigError.
var ErrInvalidConfig = helpdesk.ErrInvalidConfig

// Validate reports every problem in c at once, as a *helpdesk.ConfigError
// (matching ErrInvalidConfig and helpdesk.ErrInvalidRequest) whose
// problems name the Config fields. Secrets are never quoted.
func (c Config) Validate() error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	c.check(ce)
	return ce.Err()
}

func (c Config) check(ce *helpdesk.ConfigError) {
	bad := func(field, problem string) { ce.Add(field, "%s", problem) }
	if c.BaseURL == "" {
		bad("BaseURL", "required (the Cloud Chat address, e.g. https://chat.example.com)")
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("BaseURL", "must be an absolute http(s) URL")
	} else if u.User != nil || u.RawQuery != "" {
		bad("BaseURL", "must not carry credentials or a query string")
	} else if p := strings.TrimRight(u.Path, "/"); p == "/app" || strings.Contains(p+"/", "/app/") || strings.Contains(p+"/", "/api/") {
		bad("BaseURL", "must be the instance's address, the part of the dashboard URL before /app (e.g. https://chat.example.com), not a dashboard or API URL")
	}
	if c.AccountID <= 0 {
		bad("AccountID", "required, a positive number (after /app/accounts/ in the dashboard URL)")
	}
	if strings.TrimSpace(c.APIToken) == "" {
		bad("APIToken", "required (the agent bot's or agent user's access token)")
	}
	switch c.TokenKind {
	case "", TokenAgentBot, TokenUser:
	default:
		bad("TokenKind", fmt.Sprintf("must be %q or %q", TokenAgentBot, TokenUser))
	}
	if c.BotID <= 0 {
		bad("BotID", "required, a positive number (the agent bot's or agent user's id), to recognise the bot's own messages")
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"N2TeamID", c.N2TeamID}, {"N2AgentID", c.N2AgentID}, {"ContactInboxID", c.ContactInboxID}} {
		if f.v < 0 {
			bad(f.name, "must not be negative")
		}
	}
	hasSecret := false
	for i, s := range c.WebhookSecrets {
		if strings.TrimSpace(s) == "" {
			bad(fmt.Sprintf("WebhookSecrets[%d]", i), "empty secret")
		} else {
			hasSecret = true
		}
	}
	if !hasSecret && c.UnsignedToken == "" {
		bad("WebhookSecrets", "at least one webhook secret is required (or UnsignedToken for servers older than 4.12)")
	}
	if c.UnsignedToken != "" && len(c.UnsignedToken) < 16 {
		bad("UnsignedToken", "too short: use at least 16 random characters")
	}
	if c.ServerVersion != "" {
		if _, ok := parseVersion(c.ServerVersion); !ok {
			bad("ServerVersion", "must look like 4.15.1")
		}
	}
	if c.DefaultCountryCode != "" {
		cc := strings.TrimPrefix(c.DefaultCountryCode, "+")
		if len(cc) < 1 || len(cc) > 3 || strings.Trim(cc, "0123456789") != "" || cc[0] == '0' {
			bad("DefaultCountryCode", "must be a calling code such as 55")
		}
	}
}

// N2Target returns the hand-over target configured by N2TeamID (preferred)
// or N2AgentID, and false when neither is set.
func (c Config) N2Target() (helpdesk.Target, bool) {
	switch {
	case c.N2TeamID > 0:
		return helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(c.N2TeamID, 10)}, true
	case c.N2AgentID > 0:
		return helpdesk.Target{Kind: helpdesk.TargetAgent, ID: strconv.FormatInt(c.N2AgentID, 10)}, true
	}
	return helpdesk.Target{}, false
}

func (c Config) tokenKind() TokenKind {
	if c.TokenKind == "" {
		return TokenAgentBot
	}
	return c.TokenKind
}

const redacted = "[REDACTED]"

func redact(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// redactedCopy returns c with every secret replaced.
func (c Config) redactedCopy() Config {
	c.BaseURL = transport.SafeURL(c.BaseURL) // https://user:token@host
	c.APIToken = redact(c.APIToken)
	c.UserToken = redact(c.UserToken)
	c.UnsignedToken = redact(c.UnsignedToken)
	if c.WebhookSecrets != nil {
		s := make([]string, len(c.WebhookSecrets))
		for i, v := range c.WebhookSecrets {
			s[i] = redact(v)
		}
		c.WebhookSecrets = s
	}
	return c
}

// String prints the config with secrets redacted (used by %v and %s).
func (c Config) String() string {
	r := c.redactedCopy()
	return fmt.Sprintf("cloudchat.Config{BaseURL:%s AccountID:%d APIToken:%s TokenKind:%s UserToken:%s BotID:%d N2TeamID:%d N2AgentID:%d ContactInboxID:%d WebhookSecrets:%v UnsignedToken:%s ServerVersion:%s DefaultCountryCode:%s}",
		r.BaseURL, r.AccountID, r.APIToken, r.tokenKind(), r.UserToken, r.BotID, r.N2TeamID, r.N2AgentID, r.ContactInboxID, r.WebhookSecrets, r.UnsignedToken, r.ServerVersion, r.DefaultCountryCode)
}

// GoString prints the config with secrets redacted (used by %#v).
func (c Config) GoString() string { return c.String() }

// Format makes every fmt verb (including %+v and %q) print the redacted
// form.
func (c Config) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	_, _ = f.Write([]byte(c.String()))
}

// LogValue implements slog.LogValuer with secrets redacted.
func (c Config) LogValue() slog.Value {
	r := c.redactedCopy()
	return slog.GroupValue(
		slog.String("base_url", r.BaseURL),
		slog.Int64("account_id", r.AccountID),
		slog.String("api_token", r.APIToken),
		slog.String("token_kind", string(r.tokenKind())),
		slog.String("user_token", r.UserToken),
		slog.Int64("bot_id", r.BotID),
		slog.Int64("n2_team_id", r.N2TeamID),
		slog.Int64("n2_agent_id", r.N2AgentID),
		slog.Any("webhook_secrets", r.WebhookSecrets),
		slog.String("unsigned_token", r.UnsignedToken),
		slog.String("server_version", r.ServerVersion),
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
