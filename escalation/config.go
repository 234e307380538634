package escalation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Config is the escalation policy as operators write it. It is plain data:
// fill it in Go or keep it in a JSON file and read it with LoadConfig.
// Durations are strings such as "2s" and time zones IANA names such as
// "America/Sao_Paulo". New validates it and reports every problem at once.
//
// Zero values mean "off": a zero limit is no limit, a zero MinConfidence
// never escalates for confidence.
type Config struct {
	// MinConfidence in [0,1]: a candidate answer with a lower confidence is
	// not sent; the conversation is handed over instead.
	MinConfidence float64 `json:"min_confidence,omitempty"`
	// MaxBotMessages is how many messages the bot may send in one
	// conversation; the message that would exceed it becomes a handover.
	MaxBotMessages int `json:"max_bot_messages,omitempty"`
	// MaxMessages is the conversation size (customer and bot messages,
	// including the one being decided) above which the bot hands over.
	MaxMessages int `json:"max_messages,omitempty"`
	// MaxChars is the conversation size in characters (runes), including the
	// message being decided, above which the bot hands over.
	MaxChars int `json:"max_chars,omitempty"`
	// MaxMessageChars is the size in characters of one customer message
	// (text plus subject) above which the bot hands over.
	MaxMessageChars int `json:"max_message_chars,omitempty"`

	// HumanPhrases mean "I want a human" ("quero falar com um atendente").
	// They are added to DefaultHumanPhrases unless NoDefaultPhrases is set.
	// Matching ignores case, accents and punctuation and needs whole words:
	// "Quero FALAR com um atendente!" matches "quero falar com um
	// atendente"; "talk to a human" does not match "talk to a humanitarian".
	HumanPhrases     []string `json:"human_phrases,omitempty"`
	NoDefaultPhrases bool     `json:"no_default_phrases,omitempty"`

	// TagRoutes send conversations carrying a tag to a target, in priority
	// order: when several match, the first listed wins.
	TagRoutes []TagRoute `json:"tag_routes,omitempty"`
	// ContentRoutes send conversations whose message or subject contains a
	// keyword or matches a pattern to a target, in priority order, after the
	// tag routes.
	ContentRoutes []ContentRoute `json:"content_routes,omitempty"`
	// DefaultTarget receives every handover no route claims: the default N2
	// group. Required.
	DefaultTarget helpdesk.Target `json:"default_target"`

	// Notices are the customer-facing handover messages by language ("pt",
	// "en", "es"), replacing the built-in ones (DefaultNotices). A target's
	// own Notice, when set, wins over them.
	Notices map[string]string `json:"notices,omitempty"`
	// FallbackNotices are sent when the bot keeps the conversation because
	// no target was available (nobody online, outside business hours), by
	// language, replacing DefaultFallbackNotices.
	FallbackNotices map[string]string `json:"fallback_notices,omitempty"`
	// DefaultLanguage is used when the conversation's language is unknown or
	// not one of pt, en, es. Default "en".
	DefaultLanguage string `json:"default_language,omitempty"`

	// Hours are business hours per target. A target without hours is
	// always open.
	Hours []TargetHours `json:"hours,omitempty"`
	// Fallback says what to do when the chosen target is closed or has
	// nobody online. Default FallbackNext.
	Fallback FallbackMode `json:"fallback,omitempty"`
	// AvailabilityTimeout bounds each Availability call (e.g. "2s"); zero
	// leaves only the caller's context.
	AvailabilityTimeout Duration `json:"availability_timeout,omitempty"`

	// Spam rules: a customer message matching any rule is ignored, never
	// answered nor escalated.
	Spam []SpamRule `json:"spam,omitempty"`

	// BotGroupIDs and BotAgentIDs are the bot's own groups/teams/inboxes and
	// agent ids. No target may be one of them: escalating into the bot's own
	// group would hand the conversation straight back to the bot.
	BotGroupIDs []string `json:"bot_group_ids,omitempty"`
	BotAgentIDs []string `json:"bot_agent_ids,omitempty"`
}

// TagRoute routes conversations that carry any of Tags (compared ignoring
// case and accents).
type TagRoute struct {
	// Name labels the route in Decision.Route; default "tag_routes[i]".
	Name   string          `json:"name,omitempty"`
	Tags   []string        `json:"tags"`
	Target helpdesk.Target `json:"target"`
	// RouteOnly makes the route choose the target of a handover decided by
	// another rule without causing one itself. By default a matching route
	// hands the conversation over (ReasonTagRoute).
	RouteOnly bool `json:"route_only,omitempty"`
}

// ContentRoute routes conversations whose customer message or subject
// contains one of Keywords (whole words, ignoring case, accents and
// punctuation, like HumanPhrases) or matches Pattern. Pattern is a Go
// regular expression (RE2 syntax) matched against the normalised text:
// lower case, accents removed, white space collapsed, punctuation kept, so
// write "pedido #?\d{6}" rather than "(?i)Pedido".
type ContentRoute struct {
	// Name labels the route in Decision.Route; default "content_routes[i]".
	Name     string          `json:"name,omitempty"`
	Keywords []string        `json:"keywords,omitempty"`
	Pattern  string          `json:"pattern,omitempty"`
	Target   helpdesk.Target `json:"target"`
	// RouteOnly: see TagRoute.RouteOnly (ReasonContentRoute).
	RouteOnly bool `json:"route_only,omitempty"`
}

// SpamRule describes one kind of spam. Every field that is set must match;
// at least one must be set.
type SpamRule struct {
	Name string `json:"name,omitempty"`
	// Sender is an email address, compared ignoring case (a sender written
	// "Name <address>" is compared by its address).
	Sender string `json:"sender,omitempty"`
	// Domain matches senders at that domain or its subdomains
	// ("spam-company.com" or "@spam-company.com").
	Domain string `json:"domain,omitempty"`
	// Subject and Body are regular expressions matched against the
	// normalised subject and message text (see ContentRoute).
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
}

// TargetHours are the business hours of one target.
type TargetHours struct {
	Target helpdesk.Target `json:"target"`
	// TimeZone is an IANA name ("America/Sao_Paulo"); default UTC. Names
	// are resolved with time.LoadLocation: a host without the system's
	// zone database should import time/tzdata.
	TimeZone string `json:"time_zone,omitempty"`
	// Windows are the opening periods; the target is open during any.
	Windows []Window `json:"windows"`
}

// Window is an opening period on some weekdays. Close before Open spans
// midnight: {"days":["fri"],"open":"22:00","close":"06:00"} is open from
// Friday 22:00 to Saturday 06:00.
type Window struct {
	// Days are weekday names: "mon".."sun" or "monday".."sunday".
	Days []string `json:"days"`
	// Open and Close are "HH:MM" (24 h) in the target's time zone; Close
	// "24:00" means end of day.
	Open  string `json:"open"`
	Close string `json:"close"`
}

// FallbackMode says what happens when the chosen target is closed or has
// nobody online.
type FallbackMode string

const (
	// FallbackNext tries the next matching route, then the default target,
	// then keeps the bot answering. The default.
	FallbackNext FallbackMode = "next"
	// FallbackDefault tries the default target, then keeps the bot
	// answering.
	FallbackDefault FallbackMode = "default"
	// FallbackBot keeps the bot answering at once (HubSpot's behaviour).
	FallbackBot FallbackMode = "bot"
)

// Duration is a time.Duration written as a string ("1m30s") in JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("escalation: invalid duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// LoadConfig reads a JSON Config from r. Unknown fields are an error, so a
// misspelt option is not silently ignored. It does not validate: New does.
func LoadConfig(r io.Reader) (Config, error) {
	var c Config
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("escalation: reading config: %w", err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return Config{}, errors.New("escalation: reading config: unexpected data after the JSON object")
	}
	return c, nil
}

// languages the policy has texts for: Portuguese, English, Spanish.
var languages = [...]string{"pt", "en", "es"}

const languageList = "pt, en, es"

// DefaultHumanPhrases are the built-in "I want a human" phrases, in
// Portuguese, English and Spanish, written without accents; matching
// ignores case, accents and punctuation on both sides.
var DefaultHumanPhrases = []string{
	// Portuguese
	"quero falar com um atendente", "quero falar com atendente", "falar com um atendente",
	"falar com atendente", "falar com um humano", "falar com humano", "falar com uma pessoa",
	"falar com pessoa", "falar com alguem", "quero um atendente", "quero um humano",
	"atendimento humano", "atendente humano", "atendente real", "pessoa real",
	"falar com um agente", "me passa para um atendente", "transferir para um atendente",
	// English
	"talk to a human", "talk to human", "speak to a human", "speak with a human",
	"talk to a person", "speak to a person", "talk to someone", "speak to someone",
	"talk to an agent", "speak to an agent", "speak with an agent", "talk to a real person",
	"real person", "human agent", "live agent", "customer service representative",
	"i want a human", "connect me to an agent",
	// Spanish
	"hablar con un agente", "hablar con agente", "hablar con una persona",
	"quiero hablar con una persona", "hablar con un humano", "hablar con humano",
	"hablar con alguien", "hablar con un asesor", "quiero un agente", "agente humano",
	"persona real", "atencion humana",
}

// DefaultNotices are the built-in handover notices.
var DefaultNotices = map[string]string{
	"pt": "Vou transferir você para um de nossos atendentes. Em breve alguém da equipe continuará o atendimento.",
	"en": "I'm handing you over to one of our agents. Someone from the team will continue shortly.",
	"es": "Te voy a transferir a uno de nuestros agentes. En breve alguien del equipo continuará la atención.",
}

// DefaultFallbackNotices are the built-in texts for when no human could take
// over.
var DefaultFallbackNotices = map[string]string{
	"pt": "No momento nossa equipe não está disponível, mas eu continuo aqui para ajudar.",
	"en": "Our team is not available right now, but I'm still here to help.",
	"es": "En este momento nuestro equipo no está disponible, pero sigo aquí para ayudarte.",
}
