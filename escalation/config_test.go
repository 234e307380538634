package escalation

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

const configJSON = `{
  "min_confidence": 0.7,
  "max_bot_messages": 8,
  "max_messages": 30,
  "max_chars": 12000,
  "max_message_chars": 3000,
  "human_phrases": ["chamar o gerente"],
  "tag_routes": [
    {"name": "vip", "tags": ["vip"], "target": {"kind": "group", "id": "360001", "name": "VIP"}},
    {"tags": ["financeiro", "billing"], "target": {"kind": "group", "id": "360002"}, "route_only": true}
  ],
  "content_routes": [
    {"name": "legal", "keywords": ["advogado", "processo judicial"], "target": {"kind": "group", "id": "360003"}},
    {"pattern": "pedido #?\\d{6}", "target": {"kind": "agent", "id": "901"}, "route_only": true}
  ],
  "default_target": {"kind": "group", "id": "360000", "name": "N2"},
  "notices": {"pt": "Um especialista vai continuar seu atendimento."},
  "fallback_notices": {"en": "Our team is offline; I'll keep helping."},
  "default_language": "pt",
  "hours": [
    {"target": {"kind": "group", "id": "360000"}, "time_zone": "America/Sao_Paulo",
     "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:00", "close": "20:00"}]}
  ],
  "fallback": "default",
  "availability_timeout": "1.5s",
  "spam": [
    {"name": "promo", "sender": "promo@spam-company.com"},
    {"domain": "spam-domain.com"},
    {"subject": "limited special offer", "body": "click here"}
  ],
  "bot_group_ids": ["360999"],
  "bot_agent_ids": ["777"]
}`

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig(strings.NewReader(configJSON))
	require.NoError(t, err)
	want := Config{
		MinConfidence: 0.7, MaxBotMessages: 8, MaxMessages: 30, MaxChars: 12000, MaxMessageChars: 3000,
		HumanPhrases: []string{"chamar o gerente"},
		TagRoutes: []TagRoute{
			{Name: "vip", Tags: []string{"vip"}, Target: helpdesk.Target{Kind: "group", ID: "360001", Name: "VIP"}},
			{Tags: []string{"financeiro", "billing"}, Target: helpdesk.Target{Kind: "group", ID: "360002"}, RouteOnly: true},
		},
		ContentRoutes: []ContentRoute{
			{Name: "legal", Keywords: []string{"advogado", "processo judicial"}, Target: helpdesk.Target{Kind: "group", ID: "360003"}},
			{Pattern: `pedido #?\d{6}`, Target: helpdesk.Target{Kind: "agent", ID: "901"}, RouteOnly: true},
		},
		DefaultTarget:   helpdesk.Target{Kind: "group", ID: "360000", Name: "N2"},
		Notices:         map[string]string{"pt": "Um especialista vai continuar seu atendimento."},
		FallbackNotices: map[string]string{"en": "Our team is offline; I'll keep helping."},
		DefaultLanguage: "pt",
		Hours: []TargetHours{{
			Target: helpdesk.Target{Kind: "group", ID: "360000"}, TimeZone: "America/Sao_Paulo",
			Windows: []Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Open: "08:00", Close: "20:00"}},
		}},
		Fallback:            FallbackDefault,
		AvailabilityTimeout: Duration(1500 * time.Millisecond),
		Spam: []SpamRule{
			{Name: "promo", Sender: "promo@spam-company.com"},
			{Domain: "spam-domain.com"},
			{Subject: "limited special offer", Body: "click here"},
		},
		BotGroupIDs: []string{"360999"},
		BotAgentIDs: []string{"777"},
	}
	require.Empty(t, cmp.Diff(want, c))
	_, err = New(c)
	require.NoError(t, err)

	// Round trip: marshal and load again gives the same Config.
	b, err := json.Marshal(c)
	require.NoError(t, err)
	require.Contains(t, string(b), `"availability_timeout":"1.5s"`)
	again, err := LoadConfig(bytes.NewReader(b))
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(c, again))

	var viaUnmarshal Config
	require.NoError(t, json.Unmarshal([]byte(configJSON), &viaUnmarshal))
	require.Empty(t, cmp.Diff(c, viaUnmarshal))
}

func TestLoadConfigErrors(t *testing.T) {
	for name, in := range map[string]string{
		"unknown field":    `{"default_target": {"kind": "group", "id": "1"}, "min_confidense": 0.5}`,
		"bad duration":     `{"availability_timeout": "soon"}`,
		"duration as int":  `{"availability_timeout": 5}`,
		"not json":         `min_confidence: 0.5`,
		"wrong field type": `{"max_messages": "ten"}`,
		"trailing data":    `{"max_messages": 10} {"max_messages": 20}`,
		"empty":            ``,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(in))
			require.Error(t, err)
		})
	}
}

func TestValidation(t *testing.T) {
	bot := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "bot-group"}
	c := Config{
		MinConfidence:       1.5,
		MaxBotMessages:      -1,
		MaxMessages:         -2,
		MaxChars:            -3,
		MaxMessageChars:     -4,
		AvailabilityTimeout: Duration(-time.Second),
		HumanPhrases:        []string{"ok", "  "},
		TagRoutes: []TagRoute{
			{Tags: []string{"vip"}, Target: vip},
			{Tags: []string{"VIP"}, Target: billing},
			{Target: helpdesk.Target{Kind: helpdesk.TargetGroup}},
			{Tags: []string{"loop", ""}, Target: bot},
		},
		ContentRoutes: []ContentRoute{
			{Keywords: []string{"refund"}, Target: billing},
			{Keywords: []string{"Refund"}, Target: n2},
			{Pattern: `pedido (\d+`, Target: orders},
			{Target: helpdesk.Target{Kind: "team", ID: "x"}},
			{Keywords: []string{"a"}, Target: helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "bot-1"}},
		},
		Notices:         map[string]string{"fr": "Un agent va vous répondre.", "pt": " "},
		FallbackNotices: map[string]string{"de": "x"},
		DefaultLanguage: "it",
		Hours: []TargetHours{
			{Target: n2, TimeZone: "Mars/Olympus", Windows: []Window{{Days: []string{"mon", "funday"}, Open: "9:00", Close: "25:00"}}},
			{Target: n2, Windows: []Window{{Open: "10:00", Close: "10:00"}}},
			{Target: vip},
		},
		Fallback: "pray",
		Spam: []SpamRule{
			{},
			{Sender: "not-an-email", Domain: "nodot"},
			{Subject: `[unclosed`, Body: `*`},
			{Name: "dup", Sender: "a@b.c"},
			{Name: "dup2", Sender: "a@b.c"},
		},
		BotGroupIDs: []string{"bot-group", ""},
		BotAgentIDs: []string{"bot-1"},
	}
	_, err := New(c)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	got := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		got[i] = p.Error()
	}
	want := []string{
		"min_confidence: must be between 0 and 1, got 1.5",
		"max_bot_messages: must not be negative, got -1",
		"max_messages: must not be negative, got -2",
		"max_chars: must not be negative, got -3",
		"max_message_chars: must not be negative, got -4",
		"availability_timeout: must not be negative, got -1s",
		`fallback: unknown mode "pray" (want "next", "default" or "bot")`,
		"bot_group_ids[1]: empty id",
		`default_language: unknown language "it" (want one of pt, en, es)`,
		`notices["fr"]: unknown language (want one of pt, en, es)`,
		`notices["pt"]: empty text`,
		`fallback_notices["de"]: unknown language (want one of pt, en, es)`,
		"human_phrases[1]: no letters or digits",
		`hours[0].time_zone: unknown time zone "Mars/Olympus"`,
		`hours[0].windows[0].days[1]: unknown day "funday" (want mon..sun)`,
		`hours[0].windows[0].close: "25:00" is not a time between 00:00 and 24:00`,
		"hours[1].windows[0].days: no days",
		"hours[1].windows[0]: open and close are both 10:00 (use 00:00-24:00 for all day)",
		"hours[1].target: duplicate hours for group:n2",
		"hours[2].windows: no opening window (a target without hours is always open; omit it instead)",
		`tag_routes[1].tags[0]: tag "VIP" is already routed by tag_routes[0] (a duplicate route is never used)`,
		"tag_routes[2].target: empty group id",
		"tag_routes[2].tags: no tags",
		`tag_routes[3].target: group "bot-group" is the bot's own group: handing over there would loop back to the bot`,
		"tag_routes[3].tags[1]: empty tag",
		"content_routes[1]: same keywords and pattern as content_routes[0] (a duplicate route is never used)",
		"content_routes[2].pattern: invalid regular expression: missing closing ): \"pedido (\\\\d+\"",
		`content_routes[3].target: must be "group" or "agent", got "team"`,
		"content_routes[3]: needs keywords or a pattern",
		`content_routes[4].target: agent "bot-1" is the bot's own agent: handing over there would loop back to the bot`,
		"default_target: must be \"group\" or \"agent\", got \"\"",
		"spam[0]: empty rule: set sender, domain, subject or body",
		`spam[1].sender: "not-an-email" is not an email address`,
		`spam[1].domain: "nodot" is not a domain`,
		"spam[2].subject: invalid regular expression: missing closing ]: \"[unclosed\"",
		"spam[2].body: invalid regular expression: missing argument to repetition operator: \"*\"",
		"spam[4]: same rule as spam[3]",
	}
	require.Empty(t, cmp.Diff(want, got))
	require.True(t, strings.HasPrefix(err.Error(), "escalation: invalid config: min_confidence: "))

	// Each problem is reachable through errors.Is/As like errors.Join.
	var p Problem
	require.True(t, errors.As(err, &p))
	require.Equal(t, "min_confidence", p.Field)
	require.ErrorIs(t, err, Problem{Field: "max_chars", Message: "must not be negative, got -3"})
}

func TestValidationHoursOpen24(t *testing.T) {
	c := Config{DefaultTarget: n2, Hours: []TargetHours{{Target: n2, Windows: []Window{{Days: []string{"mon"}, Open: "24:00", Close: "10:00"}}}}}
	_, err := New(c)
	require.EqualError(t, err, "escalation: invalid config: hours[0].windows[0].open: cannot open at 24:00")
}

func TestValidationDefaultTargetIsBot(t *testing.T) {
	_, err := New(Config{DefaultTarget: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: " 42 "}, BotGroupIDs: []string{"42"}})
	require.EqualError(t, err, `escalation: invalid config: default_target: group " 42 " is the bot's own group: handing over there would loop back to the bot`)
}
