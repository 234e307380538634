package klaviyo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// ErrInvalidConfig is matched by every error Config.Validate and New return
// for a configuration problem.
var ErrInvalidConfig = helpdesk.ErrInvalidConfig

// Revisions and the API host.
const (
	// DefaultBaseURL is Klaviyo's API host.
	DefaultBaseURL = "https://a.klaviyo.com"
	// DefaultRevision is the newest stable revision this driver was
	// checked against (Klaviyo's published spec of 2026-07-15).
	DefaultRevision = "2026-07-15"
	// MinSMSRevision is the first revision with POST
	// /api/conversation-messages, which SendMessage needs.
	MinSMSRevision = "2026-04-15"
)

// Config is the Klaviyo account the SDK talks to.
type Config struct {
	// APIKey is a private API key, "pk_..." (Klaviyo: account name, bottom
	// left → Settings → Account → API keys → Create Private API Key).
	// Give it the scopes events:write (metrics), profiles:read,
	// conversations:read and conversations:write (SMS replies) and
	// webhooks:read (topic listing). The 6-character public key (site id)
	// on the same page is refused: server code must never use it.
	APIKey string
	// Revision is the API revision pinned in every request's revision
	// header (default DefaultRevision). SMS replies need MinSMSRevision or
	// later; "YYYY-MM-DD" or "YYYY-MM-DD.pre".
	Revision string
	// BaseURL is the API host (default DefaultBaseURL; a fake's URL in
	// tests).
	BaseURL string
	// WebhookSecrets are the secret_key values of the system webhook that
	// delivers SMS events (the one you chose when creating it with POST
	// /api/webhooks, or in Settings → Webhooks → the webhook → Secret).
	// Give the new secret first and keep the old one while you rotate:
	// deliveries signed with either are accepted. Needed only for
	// ParseWebhook.
	WebhookSecrets []string
	// SendingNumber is the account's SMS sending number in E.164 (Settings
	// → SMS → Sending numbers), the number customers text and replies come
	// from. Optional: it names the number in events (ExtraSendingNumber)
	// and must be a toll-free, long or short code for two-way SMS
	// (alphanumeric sender ids cannot receive texts).
	SendingNumber string
}

var (
	revisionRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$`)
	e164RE     = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	publicKey  = regexp.MustCompile(`^[A-Za-z0-9]{6}$`)
)

// ValidPhone reports whether s is an E.164 phone number ("+5511987654321").
func ValidPhone(s string) bool { return e164RE.MatchString(s) }

func (c Config) revision() string {
	if c.Revision == "" {
		return DefaultRevision
	}
	return c.Revision
}

func (c Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// Validate reports every problem at once, as a *helpdesk.ConfigError. It
// never quotes a secret.
func (c Config) Validate() error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	key := c.APIKey
	switch {
	case strings.TrimSpace(key) == "":
		ce.Add("APIKey", "required: a private API key starting with pk_")
	case strings.ContainsAny(key, " \t\r\n"):
		ce.Add("APIKey", "contains white space")
	case publicKey.MatchString(key):
		ce.Add("APIKey", "looks like a public API key (site id): server calls need a private API key starting with pk_")
	case !strings.HasPrefix(key, "pk_") || len(key) == len("pk_"):
		ce.Add("APIKey", "must be a private API key starting with pk_")
	}
	if c.Revision != "" {
		switch {
		case !revisionRE.MatchString(c.Revision):
			ce.Add("Revision", "must look like YYYY-MM-DD or YYYY-MM-DD.pre")
		case c.Revision[:10] < MinSMSRevision:
			ce.Add("Revision", "SMS replies need revision %s or later", MinSMSRevision)
		}
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ce.Add("BaseURL", "must be an absolute http(s) URL")
		}
	}
	for i, s := range c.WebhookSecrets {
		if strings.TrimSpace(s) == "" {
			ce.Add("WebhookSecrets", "secret %d is empty", i)
		}
	}
	if c.SendingNumber != "" && !ValidPhone(c.SendingNumber) {
		ce.Add("SendingNumber", "must be an E.164 number such as +15005550006")
	}
	return ce.Err()
}

// Limits returns the tier limits the driver's budget paces to (Limits).
// Every driver's Config has Limits, BudgetKey and a Headers reader, the
// three pieces of a budget of your own (a shared one on Redis, say).
func (c Config) Limits() []budget.Limit { return Limits() }

// BudgetKey labels the budget: Klaviyo counts a private key's requests
// against its account, so replicas with the same key share it. The key
// holds a digest of the API key, never the key.
func (c Config) BudgetKey() string {
	sum := sha256.Sum256([]byte(c.APIKey))
	return Vendor + ":" + hex.EncodeToString(sum[:6])
}

// String keeps secrets out of %v and %s.
func (c Config) String() string {
	return fmt.Sprintf("klaviyo.Config{BaseURL:%q Revision:%q SendingNumber:%q APIKey:%s WebhookSecrets:%d redacted}",
		transport.SafeURL(c.baseURL()), c.revision(), c.SendingNumber, redacted(c.APIKey), len(c.WebhookSecrets))
}

// GoString keeps secrets out of %#v.
func (c Config) GoString() string { return c.String() }

// MarshalJSON keeps secrets out of JSON.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL        string `json:"base_url"`
		Revision       string `json:"revision"`
		SendingNumber  string `json:"sending_number,omitempty"`
		APIKey         string `json:"api_key"`
		WebhookSecrets int    `json:"webhook_secrets"`
	}{transport.SafeURL(c.baseURL()), c.revision(), c.SendingNumber, redacted(c.APIKey), len(c.WebhookSecrets)})
}

// LogValue keeps secrets out of slog.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", transport.SafeURL(c.baseURL())), slog.String("revision", c.revision()),
		slog.String("sending_number", c.SendingNumber), slog.String("api_key", redacted(c.APIKey)),
		slog.Int("webhook_secrets", len(c.WebhookSecrets)))
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}
