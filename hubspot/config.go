package hubspot

import (
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// ErrInvalidConfig is matched by every error Config.Validate and New return
// for a configuration problem.
var ErrInvalidConfig = helpdesk.ErrInvalidConfig

// DefaultBaseURL is HubSpot's API host.
const DefaultBaseURL = "https://api.hubapi.com"

// Scopes the private app's token needs (Settings → Integrations → Private
// Apps → the app → Scopes): conversations.read and conversations.write for
// threads and messages, tickets for the ticket-owner handover,
// crm.objects.owners.read to turn user ids into owner ids, and
// analytics.behavioral_events.send for the custom-event handover.
var Scopes = []string{"conversations.read", "conversations.write", "tickets", "crm.objects.owners.read", "analytics.behavioral_events.send"}

// HandoverMode is how Reassign hands a thread to a human.
type HandoverMode string

const (
	// HandoverAgent assigns the thread to an agent:
	// PUT /conversations/conversations/v3/threads/{id}/assignee. HubSpot
	// has no team assignment, so only agent targets are accepted. Needs
	// nothing in HubSpot beyond the agent being in the inbox.
	HandoverAgent HandoverMode = "agent"
	// HandoverOwner sets the owner of the thread's ticket (Help Desk
	// assigns the thread with it): the ticket is found with
	// GET .../threads/{id}?association=TICKET (or the association store),
	// the agent's user id is turned into an owner id with GET
	// /crm/v3/owners, then PATCH /crm/v3/objects/tickets/{id}
	// {"properties":{"hubspot_owner_id":...}}. Agent targets only.
	HandoverOwner HandoverMode = "owner"
	// HandoverEvent sends a custom behavioural event naming the thread's
	// ticket (POST /events/v3/send), and a HubSpot workflow based on that
	// event assigns the ticket owner (team or agent). One event and one
	// workflow per handover flow (Config.HandoverEvent, Config.Flows).
	HandoverEvent HandoverMode = "event"
)

// Flow is one handover flow of HandoverEvent: the custom event whose
// workflow transfers to Target.
type Flow struct {
	// Name names the flow in the event's properties and in logs (e.g.
	// "billing"); Reassign also selects a flow by helpdesk.Target.Name.
	Name string `json:"name"`
	// EventName is the event's internal name, "pe<portal id>_<name>"
	// (Settings → Data Management → Custom Events → the event → internal
	// name).
	EventName string `json:"event_name"`
	// Kind and ID are the team or agent the flow's workflow assigns
	// ("Assign ticket owner", with "Replace any existing ticket owner"
	// on). Reassign selects the flow whose Kind and ID equal its target.
	Kind helpdesk.TargetKind `json:"kind"`
	ID   string              `json:"id"`
}

// Config is the HubSpot integration, field for field as on the
// integration screen.
type Config struct {
	// BotUserID is the bot user's HubSpot user id: Settings → Users &
	// Teams → the bot user; the number after "users/user/" in the URL
	// (https://app.hubspot.com/settings/<portal>/users/user/71260648).
	// Messages are sent as the actor "A-<BotUserID>".
	BotUserID string
	// BotEmail is the bot user's login e-mail (same screen). Optional,
	// for hosts that log the bot in.
	BotEmail string
	// AccessToken is the private app's access token: Settings →
	// Integrations → Private Apps → the app → Auth → Access token. It
	// starts with "pat-". The app needs Scopes.
	AccessToken string
	// ClientSecrets are the app's client secret (private app → Auth →
	// Client secret), with which HubSpot signs webhooks (v3) and workflow
	// webhooks (v2). Put the new one first and keep the old one while
	// rotating.
	ClientSecrets []string
	// InboxIDs are the inboxes the bot serves (Settings → Inbox & Help
	// Desk → the inbox; the number in the URL). Optional; informational.
	InboxIDs []string
	// Handover is the default handover target ("Escalate conversations
	// to"): a team (Kind group, the team id from Settings → Users & Teams
	// → Teams) or an agent (Kind agent, the agent's user id, the number
	// after "user/" in the profile URL).
	Handover helpdesk.Target
	// HandoverMode is how Reassign hands over (default HandoverAgent).
	HandoverMode HandoverMode
	// HandoverEvent is the custom event of the default flow, for
	// HandoverEvent mode: the internal name "pe<portal>_<name>" shown in
	// Settings → Data Management → Custom Events. It targets Handover.
	HandoverEvent string
	// Flows are further handover flows for HandoverEvent mode.
	Flows []Flow
	// MFASecret is the bot user's authenticator key, for hosts that must
	// log the bot user in (Config.TOTP). Paste it as shown in the password
	// manager: the bare base32 key, the key in groups with spaces, or the
	// whole otpauth://totp/...?secret=... URL. Optional; never printed.
	MFASecret string
	// BaseURL is the API host (default DefaultBaseURL; a fake server in
	// tests).
	BaseURL string
	// WebhookURL is the URL HubSpot calls for app webhooks, exactly as
	// entered in the app's Webhooks settings: the v3 signature covers it,
	// so behind a proxy that rewrites host or scheme the driver verifies
	// against this and not the received URL. The ticket-created workflow
	// URL is the same with "/tickets" appended. Optional: without it the
	// received URL is used. Prefer it to helpdesk.WebhookOptions.ExternalURL,
	// which gives every route of a shared handler the same URL.
	WebhookURL string
}

func (c Config) baseURL() string {
	if strings.TrimSpace(c.BaseURL) == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c Config) mode() HandoverMode {
	if c.HandoverMode == "" {
		return HandoverAgent
	}
	return c.HandoverMode
}

// HandoverTarget returns the default handover target.
func (c Config) HandoverTarget() helpdesk.Target { return c.Handover }

// flows returns every handover flow of event mode.
func (c Config) flows() []Flow {
	var fs []Flow
	if c.HandoverEvent != "" {
		fs = append(fs, Flow{Name: "default", EventName: c.HandoverEvent, Kind: c.Handover.Kind, ID: c.Handover.ID})
	}
	return append(fs, c.Flows...)
}

// Validate reports every problem at once, as a *helpdesk.ConfigError. It
// never quotes a secret.
func (c Config) Validate() error {
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	if !numericID(c.BotUserID) {
		ce.Add("BotUserID", "must be the bot user's numeric id (the number after users/user/ in its settings URL)")
	}
	if c.BotEmail != "" && !strings.Contains(c.BotEmail, "@") {
		ce.Add("BotEmail", "is not an e-mail address")
	}
	switch tok := c.AccessToken; {
	case strings.TrimSpace(tok) == "":
		ce.Add("AccessToken", "required: the private app's access token (Settings → Integrations → Private Apps), which starts with pat-")
	case !strings.HasPrefix(tok, "pat-"):
		ce.Add("AccessToken", "is not a private-app access token: it must start with pat- (Settings → Integrations → Private Apps → Auth → Access token)")
	case strings.ContainsAny(tok, " \t\r\n"):
		ce.Add("AccessToken", "contains white space")
	}
	if len(c.ClientSecrets) == 0 {
		ce.Add("ClientSecrets", "at least one client secret is required to verify webhooks (private app → Auth → Client secret)")
	}
	for i, s := range c.ClientSecrets {
		if strings.TrimSpace(s) == "" {
			ce.Add("ClientSecrets", "secret %d is empty", i)
		}
	}
	for i, id := range c.InboxIDs {
		if !numericID(id) {
			ce.Add("InboxIDs", "inbox %d is not a numeric id", i)
		}
	}
	if c.Handover.Kind != "" || c.Handover.ID != "" {
		if err := c.Handover.Validate(); err != nil {
			ce.Add("Handover", "%v", err)
		} else if !numericID(c.Handover.ID) {
			ce.Add("Handover", "the %s id must be numeric", c.Handover.Kind)
		}
	}
	switch c.mode() {
	case HandoverAgent, HandoverOwner:
		if c.Handover.Kind == helpdesk.TargetGroup {
			ce.Add("Handover", "HubSpot cannot assign a thread or ticket to a team in %q mode: use an agent, or HandoverMode %q with a workflow", c.mode(), HandoverEvent)
		}
		if c.HandoverEvent != "" || len(c.Flows) > 0 {
			ce.Add("HandoverEvent", "set, but HandoverMode is %q, not %q", c.mode(), HandoverEvent)
		}
	case HandoverEvent:
		if len(c.flows()) == 0 {
			ce.Add("HandoverEvent", "required in %q mode: the custom event's internal name (pe<portal>_<name>)", HandoverEvent)
		}
		if c.HandoverEvent != "" && c.Handover.ID == "" {
			ce.Add("Handover", "required with HandoverEvent: the team or agent its workflow assigns")
		}
		for i, f := range c.Flows {
			if !eventName(f.EventName) {
				ce.Add("Flows", "flow %d: EventName %q is not an internal event name (pe<portal>_<name>)", i, f.EventName)
			}
			if err := (helpdesk.Target{Kind: f.Kind, ID: f.ID}).Validate(); err != nil {
				ce.Add("Flows", "flow %d: %v", i, err)
			}
		}
		if c.HandoverEvent != "" && !eventName(c.HandoverEvent) {
			ce.Add("HandoverEvent", "%q is not an internal event name (pe<portal>_<name>)", c.HandoverEvent)
		}
	default:
		ce.Add("HandoverMode", "must be %q, %q or %q", HandoverAgent, HandoverOwner, HandoverEvent)
	}
	if c.MFASecret != "" {
		if _, err := NormalizeMFASecret(c.MFASecret); err != nil {
			ce.Add("MFASecret", "%v", err)
		}
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ce.Add("BaseURL", "must be an absolute http(s) URL")
		}
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ce.Add("WebhookURL", "must be the absolute URL HubSpot calls")
		}
	}
	return ce.Err()
}

func eventName(s string) bool {
	rest, ok := strings.CutPrefix(s, "pe")
	portal, name, ok2 := strings.Cut(rest, "_")
	return ok && ok2 && numericID(portal) && name != ""
}

func numericID(s string) bool {
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n > 0
}

// NormalizeMFASecret reads an authenticator key pasted in any of the forms
// a password manager shows: the bare base32 key, the key in groups
// separated by spaces or dashes, any case, or an otpauth://totp/ URL with
// a secret parameter. It returns the bare upper-case key, checked with
// github.com/pquerna/otp. Errors never quote the key.
func NormalizeMFASecret(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty MFA secret")
	}
	if strings.HasPrefix(strings.ToLower(s), "otpauth://") {
		k, err := otp.NewKeyFromURL(s)
		if err != nil || k.Type() != "totp" {
			return "", fmt.Errorf("is an otpauth URL but not a valid otpauth://totp/...?secret=... URL")
		}
		if k.Secret() == "" {
			return "", fmt.Errorf("the otpauth URL has no secret parameter")
		}
		s = k.Secret()
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', '\r', '\n':
			return -1
		}
		return r
	}, strings.ToUpper(s))
	s = strings.TrimRight(s, "=")
	if s == "" {
		return "", fmt.Errorf("empty MFA secret")
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return "", fmt.Errorf("is not a base32 key (letters A-Z and digits 2-7, as shown by the authenticator) nor an otpauth://totp/ URL")
		}
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(raw) < 10 {
		return "", fmt.Errorf("is not a complete base32 key (too short or cut off)")
	}
	if _, err := totp.GenerateCode(s, time.Unix(0, 0)); err != nil {
		return "", fmt.Errorf("is not a usable TOTP key")
	}
	return s, nil
}

// TOTP returns the bot user's one-time code at now, for hosts that must
// log the bot user in to HubSpot. It fails when no MFASecret is set.
func (c Config) TOTP(now time.Time) (string, error) {
	if c.MFASecret == "" {
		return "", fmt.Errorf("hubspot: no MFASecret configured")
	}
	key, err := NormalizeMFASecret(c.MFASecret)
	if err != nil {
		return "", fmt.Errorf("hubspot: MFASecret %v", err)
	}
	return totp.GenerateCode(key, now)
}

// String keeps secrets out of %v and %s.
func (c Config) String() string {
	return fmt.Sprintf("hubspot.Config{BotUserID:%q BaseURL:%q HandoverMode:%q Handover:%s AccessToken:%s ClientSecrets:%d redacted MFASecret:%s}",
		c.BotUserID, transport.SafeURL(c.baseURL()), c.mode(), c.Handover, redacted(c.AccessToken), len(c.ClientSecrets), redacted(c.MFASecret))
}

// GoString keeps secrets out of %#v.
func (c Config) GoString() string { return c.String() }

// MarshalJSON keeps secrets out of JSON.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BotUserID     string          `json:"bot_user_id"`
		BotEmail      string          `json:"bot_email,omitempty"`
		BaseURL       string          `json:"base_url"`
		InboxIDs      []string        `json:"inbox_ids,omitempty"`
		Handover      helpdesk.Target `json:"handover"`
		HandoverMode  HandoverMode    `json:"handover_mode"`
		HandoverEvent string          `json:"handover_event,omitempty"`
		Flows         []Flow          `json:"flows,omitempty"`
		WebhookURL    string          `json:"webhook_url,omitempty"`
		AccessToken   string          `json:"access_token"`
		ClientSecrets int             `json:"client_secrets"`
		MFASecret     string          `json:"mfa_secret"`
	}{c.BotUserID, c.BotEmail, transport.SafeURL(c.baseURL()), c.InboxIDs, c.Handover, c.mode(), c.HandoverEvent, c.Flows, c.WebhookURL,
		redacted(c.AccessToken), len(c.ClientSecrets), redacted(c.MFASecret)})
}

// LogValue keeps secrets out of slog.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("bot_user_id", c.BotUserID), slog.String("base_url", transport.SafeURL(c.baseURL())),
		slog.String("handover_mode", string(c.mode())), slog.String("handover", c.Handover.String()),
		slog.String("access_token", redacted(c.AccessToken)), slog.Int("client_secrets", len(c.ClientSecrets)),
		slog.String("mfa_secret", redacted(c.MFASecret)))
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// ConfigFromEnv reads a Config from the environment: HUBSPOT_ACCESS_TOKEN,
// HUBSPOT_CLIENT_SECRET (several separated by commas, the new one first),
// HUBSPOT_BOT_USER_ID, HUBSPOT_BOT_EMAIL, HUBSPOT_INBOX_IDS,
// HUBSPOT_N2_TEAM_ID or HUBSPOT_N2_AGENT_ID, HUBSPOT_HANDOVER (agent, owner
// or event; default agent), HUBSPOT_HANDOVER_EVENT, HUBSPOT_MFA_SECRET,
// HUBSPOT_WEBHOOK_URL and HUBSPOT_BASE_URL. It validates the result; each
// problem names its environment variable (HUBSPOT_BOT_USER_ID, not
// BotUserID).
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
		AccessToken:   get("HUBSPOT_ACCESS_TOKEN"),
		ClientSecrets: list("HUBSPOT_CLIENT_SECRET"),
		BotUserID:     get("HUBSPOT_BOT_USER_ID"),
		BotEmail:      get("HUBSPOT_BOT_EMAIL"),
		InboxIDs:      list("HUBSPOT_INBOX_IDS"),
		HandoverMode:  HandoverMode(strings.ToLower(get("HUBSPOT_HANDOVER"))),
		HandoverEvent: get("HUBSPOT_HANDOVER_EVENT"),
		MFASecret:     get("HUBSPOT_MFA_SECRET"),
		WebhookURL:    get("HUBSPOT_WEBHOOK_URL"),
		BaseURL:       get("HUBSPOT_BASE_URL"),
	}
	team, agent := get("HUBSPOT_N2_TEAM_ID"), get("HUBSPOT_N2_AGENT_ID")
	switch {
	case team != "" && agent != "":
		ce := &helpdesk.ConfigError{Vendor: Vendor}
		ce.Add("HUBSPOT_N2_TEAM_ID or HUBSPOT_N2_AGENT_ID", "set one, not both")
		return c, ce
	case team != "":
		c.Handover = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: team}
	case agent != "":
		c.Handover = helpdesk.Target{Kind: helpdesk.TargetAgent, ID: agent}
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
	"AccessToken":   "HUBSPOT_ACCESS_TOKEN",
	"ClientSecrets": "HUBSPOT_CLIENT_SECRET",
	"BotUserID":     "HUBSPOT_BOT_USER_ID",
	"BotEmail":      "HUBSPOT_BOT_EMAIL",
	"InboxIDs":      "HUBSPOT_INBOX_IDS",
	"Handover":      "HUBSPOT_N2_TEAM_ID or HUBSPOT_N2_AGENT_ID",
	"HandoverMode":  "HUBSPOT_HANDOVER",
	"HandoverEvent": "HUBSPOT_HANDOVER_EVENT",
	"MFASecret":     "HUBSPOT_MFA_SECRET",
	"WebhookURL":    "HUBSPOT_WEBHOOK_URL",
	"BaseURL":       "HUBSPOT_BASE_URL",
}
