package minidriver

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// ErrInvalidConfig is matched by every error Config.Validate and New return
// for a configuration problem.
var ErrInvalidConfig = helpdesk.ErrInvalidConfig

// Config is the Minidesk integration: where the account lives and the
// credentials the bot uses.
type Config struct {
	// BaseURL is the account's API address, e.g.
	// "https://acme.minidesk.example" (Settings → API → Base URL).
	BaseURL string
	// APIToken is the bot user's API token, sent as a bearer token
	// (Settings → API → Tokens → New token; create it while signed in as
	// the bot user so that replies are posted in its name).
	APIToken string
	// BotAgentID is the numeric id of the bot user the token belongs to
	// (Settings → Agents, the number in the bot's profile URL). Replies
	// whose author has this id are the bot's own echo.
	BotAgentID string
	// WebhookSecrets are the signing secrets of the webhook subscription
	// (Settings → Webhooks → the subscription → Signing secret). Give the
	// new secret first and keep the old one while Minidesk rotates it:
	// deliveries signed with either are accepted.
	WebhookSecrets []string
}

// Validate reports every problem at once, as a *helpdesk.ConfigError. It
// never quotes a secret.
func (c Config) Validate() error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	if u, err := url.Parse(c.BaseURL); strings.TrimSpace(c.BaseURL) == "" {
		ce.Add("BaseURL", "required")
	} else if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		ce.Add("BaseURL", "must be an absolute http(s) URL")
	}
	if strings.TrimSpace(c.APIToken) == "" {
		ce.Add("APIToken", "required")
	} else if strings.ContainsAny(c.APIToken, " \t\r\n") {
		ce.Add("APIToken", "contains white space")
	}
	if !numericID(c.BotAgentID) {
		ce.Add("BotAgentID", "must be the bot user's numeric id")
	}
	if len(c.WebhookSecrets) == 0 {
		ce.Add("WebhookSecrets", "at least one signing secret is required")
	}
	for i, s := range c.WebhookSecrets {
		if strings.TrimSpace(s) == "" {
			ce.Add("WebhookSecrets", "secret %d is empty", i)
		}
	}
	return ce.Err()
}

func numericID(s string) bool {
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n > 0
}

// String keeps secrets out of %v and %s.
func (c Config) String() string {
	return fmt.Sprintf("minidriver.Config{BaseURL:%q BotAgentID:%q APIToken:%s WebhookSecrets:%d redacted}",
		c.BaseURL, c.BotAgentID, redacted(c.APIToken), len(c.WebhookSecrets))
}

// GoString keeps secrets out of %#v.
func (c Config) GoString() string { return c.String() }

// MarshalJSON keeps secrets out of JSON.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL        string `json:"base_url"`
		BotAgentID     string `json:"bot_agent_id"`
		APIToken       string `json:"api_token"`
		WebhookSecrets int    `json:"webhook_secrets"`
	}{c.BaseURL, c.BotAgentID, redacted(c.APIToken), len(c.WebhookSecrets)})
}

// LogValue keeps secrets out of slog.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("bot_agent_id", c.BotAgentID),
		slog.String("api_token", redacted(c.APIToken)), slog.Int("webhook_secrets", len(c.WebhookSecrets)))
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}
