package escalation

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

var (
	n2       = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2", Name: "Level 2"}
	billing  = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "billing"}
	vip      = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "vip"}
	legal    = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "legal"}
	orders   = helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "4242"}
	botGroup = "bot-group"
)

// testConfig mirrors a typical Zendesk + HubSpot setup from the seeds.
func testConfig() Config {
	return Config{
		MinConfidence:   0.6,
		MaxBotMessages:  5,
		MaxMessages:     20,
		MaxChars:        5000,
		MaxMessageChars: 1000,
		HumanPhrases:    []string{"chamar o gerente"},
		TagRoutes: []TagRoute{
			{Name: "vip", Tags: []string{"VIP", "cliente_vip"}, Target: vip},
			{Tags: []string{"financeiro"}, Target: billing, RouteOnly: true},
		},
		ContentRoutes: []ContentRoute{
			{Name: "legal", Keywords: []string{"processo judicial", "advogado"}, Target: legal},
			{Name: "orders", Pattern: `pedido #?\d{6}`, Target: orders, RouteOnly: true},
		},
		DefaultTarget: n2,
		BotGroupIDs:   []string{botGroup},
		BotAgentIDs:   []string{"bot-1"},
		Spam: []SpamRule{
			{Name: "promo", Sender: "promo@spam-company.com"},
			{Domain: "@spam-domain.com"},
			{Subject: `limited special offer`},
			{Sender: "news@shop.example", Body: `unsubscribe`},
		},
	}
}

func customerMsg(text string) helpdesk.Event {
	return helpdesk.Event{
		Type:         helpdesk.EventMessageCreated,
		Conversation: helpdesk.Conversation{Vendor: "zendesk", ID: "1"},
		Message: &helpdesk.InboundMessage{
			ID:     "m1",
			Author: helpdesk.Author{Role: helpdesk.RoleCustomer, Email: "ana@example.com"},
			Text:   text,
			Public: true,
		},
	}
}

func mustNew(t testing.TB, c Config, opts ...Option) *Policy {
	t.Helper()
	p, err := New(c, opts...)
	require.NoError(t, err)
	return p
}

var good = Answer{Text: "Our hours are 9 to 18.", Confidence: 0.9}

func TestDecideReasons(t *testing.T) {
	p := mustNew(t, testConfig())
	msg := func(text string) State { return State{Event: customerMsg(text), Language: "en"} }
	with := func(s State, f func(*State)) State { f(&s); return s }

	tests := []struct {
		name   string
		state  State
		answer Answer
		action Action
		reason Reason
		target helpdesk.Target // Kind+ID compared when escalating
	}{
		{"answered", msg("what are your hours?"), good, ActionReply, ReasonAnswered, helpdesk.Target{}},
		{"resolved", msg("thanks, that's all"), Answer{Text: "Glad to help!", Confidence: 0.95, Solved: true}, ActionResolve, ReasonResolved, helpdesk.Target{}},
		{"resolved without text", msg("ok bye"), Answer{Confidence: 0.95, Solved: true}, ActionResolve, ReasonResolved, helpdesk.Target{}},
		{"low confidence", msg("can I pay with crypto?"), Answer{Text: "maybe", Confidence: 0.3}, ActionEscalate, ReasonLowConfidence, n2},
		{"NaN confidence", msg("can I pay with crypto?"), Answer{Text: "maybe", Confidence: math.NaN()}, ActionEscalate, ReasonLowConfidence, n2},
		{"confidence at threshold", msg("hours?"), Answer{Text: "9-18", Confidence: 0.6}, ActionReply, ReasonAnswered, helpdesk.Target{}},
		{"no answer", msg("hmm"), Answer{Text: "  ", Confidence: 0.9}, ActionEscalate, ReasonNoAnswer, n2},
		{"max bot messages", with(msg("again?"), func(s *State) { s.BotMessages = 5 }), good, ActionEscalate, ReasonMaxBotMessages, n2},
		{"below max bot messages", with(msg("again?"), func(s *State) { s.BotMessages = 4 }), good, ActionReply, ReasonAnswered, helpdesk.Target{}},
		{"too many messages", with(msg("again?"), func(s *State) { s.BotMessages, s.CustomerMessages = 4, 16 }), good, ActionEscalate, ReasonConversationTooLong, n2},
		{"too many chars", with(msg("again?"), func(s *State) { s.Chars = 4998 }), good, ActionEscalate, ReasonConversationTooLong, n2},
		{"content too large", msg(strings.Repeat("é", 1001)), good, ActionEscalate, ReasonContentTooLarge, n2},
		{"asks human pt", with(msg("Olá! Quero FALAR com um atendente, por favor"), func(s *State) { s.Language = "pt-BR" }), good, ActionEscalate, ReasonCustomerAskedHuman, n2},
		{"asks human pt accents", msg("Não quero robô, quero falar com alguém"), good, ActionEscalate, ReasonCustomerAskedHuman, n2},
		{"asks human en", msg("Can I talk to a human?"), good, ActionEscalate, ReasonCustomerAskedHuman, n2},
		{"asks human en agent", msg("please let me SPEAK TO AN AGENT."), good, ActionEscalate, ReasonCustomerAskedHuman, n2},
		{"asks human es", msg("Quiero hablar con una persona"), good, ActionEscalate, ReasonCustomerAskedHuman, n2},
		{"asks human es agente", msg("¿Puedo hablar con un agente?"), good, ActionEscalate, ReasonCustomerAskedHuman, n2},
		{"asks human configured phrase", msg("vou chamar o gerente"), good, ActionEscalate, ReasonCustomerAskedHuman, n2},
		{"asks human in subject", with(msg("hello"), func(s *State) { s.Subject = "Falar com humano" }), good, ActionEscalate, ReasonCustomerAskedHuman, n2},
		{"phrase needs whole words", msg("talk to a humanitarian group"), good, ActionReply, ReasonAnswered, helpdesk.Target{}},
		{"tag route", with(msg("hi"), func(s *State) { s.Tags = []string{"other", "Cliente_VIP"} }), good, ActionEscalate, ReasonTagRoute, vip},
		{"route-only tag does not escalate", with(msg("hi"), func(s *State) { s.Tags = []string{"financeiro"} }), good, ActionReply, ReasonAnswered, helpdesk.Target{}},
		{"route-only tag chooses target", with(msg("hi"), func(s *State) { s.Tags = []string{"financeiro"} }), Answer{Text: "?", Confidence: 0.1}, ActionEscalate, ReasonLowConfidence, billing},
		{"content route keyword", msg("Meu advogado vai entrar em contato"), good, ActionEscalate, ReasonContentRoute, legal},
		{"content route keyword with accents", msg("Há um PROCESSO JUDICIAL aberto"), good, ActionEscalate, ReasonContentRoute, legal},
		{"content route needs whole words", msg("advogados"), good, ActionReply, ReasonAnswered, helpdesk.Target{}},
		{"route-only pattern chooses target", msg("onde está o pedido #123456?"), Answer{Text: "?", Confidence: 0.1}, ActionEscalate, ReasonLowConfidence, orders},
		{"route-only pattern does not escalate", msg("onde está o Pedido 123456?"), good, ActionReply, ReasonAnswered, helpdesk.Target{}},
		{"asked human goes to route target", with(msg("talk to a human"), func(s *State) { s.Tags = []string{"financeiro"} }), good, ActionEscalate, ReasonCustomerAskedHuman, billing},

		{"own echo", with(msg("hi"), func(s *State) { s.Event.Message.Author = helpdesk.Author{Role: helpdesk.RoleBot, Self: true} }), good, ActionIgnore, ReasonOwnEcho, helpdesk.Target{}},
		{"own echo as note", with(msg("hi"), func(s *State) {
			s.Event.Message.Author = helpdesk.Author{Role: helpdesk.RoleBot, Self: true}
			s.Event.Message.Public = false
		}), good, ActionIgnore, ReasonOwnEcho, helpdesk.Target{}},
		{"internal note", with(msg("talk to a human"), func(s *State) {
			s.Event.Message.Author.Role = helpdesk.RoleAgent
			s.Event.Message.Public = false
		}), good, ActionIgnore, ReasonInternalNote, helpdesk.Target{}},
		{"agent message", with(msg("hi"), func(s *State) { s.Event.Message.Author.Role = helpdesk.RoleAgent }), good, ActionIgnore, ReasonNotCustomer, helpdesk.Target{}},
		{"other bot", with(msg("hi"), func(s *State) { s.Event.Message.Author.Role = helpdesk.RoleBot }), good, ActionIgnore, ReasonNotCustomer, helpdesk.Target{}},
		{"status event", State{Event: helpdesk.Event{Type: helpdesk.EventStatusChanged, Status: &helpdesk.StatusChange{To: helpdesk.StatusOpen}}}, good, ActionIgnore, ReasonNotCustomer, helpdesk.Target{}},
		{"empty state", State{}, Answer{}, ActionIgnore, ReasonNotCustomer, helpdesk.Target{}},
		{"message event without message", State{Event: helpdesk.Event{Type: helpdesk.EventMessageCreated}}, good, ActionIgnore, ReasonNotCustomer, helpdesk.Target{}},
		{"not assigned to bot", with(msg("talk to a human"), func(s *State) { s.NotAssignedToBot = true }), good, ActionIgnore, ReasonNotAssignedToBot, helpdesk.Target{}},
		{"assignment says human", with(msg("hi"), func(s *State) { s.Event.Assignment = &helpdesk.Assignment{AgentID: "7"} }), good, ActionIgnore, ReasonNotAssignedToBot, helpdesk.Target{}},
		{"assignment says bot", with(msg("hi"), func(s *State) { s.Event.Assignment = &helpdesk.Assignment{ToBot: true} }), good, ActionReply, ReasonAnswered, helpdesk.Target{}},

		{"spam sender", with(msg("talk to a human"), func(s *State) { s.Event.Message.Author.Email = "Promo@Spam-Company.com" }), good, ActionIgnore, ReasonSpam, helpdesk.Target{}},
		{"spam sender via state", with(msg("hi"), func(s *State) { s.SenderEmail = "promo@spam-company.com" }), good, ActionIgnore, ReasonSpam, helpdesk.Target{}},
		{"spam domain", with(msg("hi"), func(s *State) { s.Event.Message.Author.Email = "x@spam-domain.com" }), good, ActionIgnore, ReasonSpam, helpdesk.Target{}},
		{"spam sender with display name", with(msg("hi"), func(s *State) { s.SenderEmail = "Promo <PROMO@spam-company.com>" }), good, ActionIgnore, ReasonSpam, helpdesk.Target{}},
		{"spam domain with display name", with(msg("hi"), func(s *State) { s.SenderEmail = " X <x@spam-domain.com> " }), good, ActionIgnore, ReasonSpam, helpdesk.Target{}},
		{"spam subdomain", with(msg("hi"), func(s *State) { s.Event.Message.Author.Email = "x@mail.spam-domain.com" }), good, ActionIgnore, ReasonSpam, helpdesk.Target{}},
		{"not spam: lookalike domain", with(msg("hi"), func(s *State) { s.Event.Message.Author.Email = "x@notspam-domain.com" }), good, ActionReply, ReasonAnswered, helpdesk.Target{}},
		{"spam subject", with(msg("hi"), func(s *State) { s.Event.Message.Subject = "LIMITED Special   Offer!!" }), good, ActionIgnore, ReasonSpam, helpdesk.Target{}},
		{"spam sender and body", with(msg("Sale! Click to unsubscribe"), func(s *State) { s.Event.Message.Author.Email = "news@shop.example" }), good, ActionIgnore, ReasonSpam, helpdesk.Target{}},
		{"not spam: sender without body", with(msg("Where is my order?"), func(s *State) { s.Event.Message.Author.Email = "news@shop.example" }), good, ActionReply, ReasonAnswered, helpdesk.Target{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(context.Background(), tt.state, tt.answer)
			require.Equal(t, tt.action, d.Action, "decision %+v", d)
			require.Equal(t, tt.reason, d.Reason, "decision %+v", d)
			require.Empty(t, d.Fallback)
			require.NoError(t, d.Err)
			switch d.Action {
			case ActionEscalate:
				require.Equal(t, tt.target.Kind, d.Target.Kind)
				require.Equal(t, tt.target.ID, d.Target.ID)
				require.NotEmpty(t, d.Target.Notice)
				require.Equal(t, d.Target.Notice, d.Notice)
				require.NotEmpty(t, d.Target.Note)
				require.Empty(t, d.Text)
			case ActionReply, ActionResolve:
				require.Equal(t, tt.answer.Text, d.Text)
				require.Empty(t, d.Notice)
			case ActionIgnore:
				require.Equal(t, Decision{Action: ActionIgnore, Reason: tt.reason}, d)
			}
		})
	}
}

// TestDecideOrder pins the documented evaluation order: each case satisfies
// two rules and the earlier one must win.
func TestDecideOrder(t *testing.T) {
	p := mustNew(t, testConfig())
	all := func(s *State) {
		s.BotMessages, s.CustomerMessages, s.Chars = 50, 50, 1e6
		s.Tags = []string{"vip"}
	}
	low := Answer{Text: "?", Confidence: 0.1}
	tests := []struct {
		name   string
		text   string
		mod    func(*State)
		reason Reason
	}{
		{"echo before note", "hi", func(s *State) {
			s.Event.Message.Author.Self = true
			s.Event.Message.Public = false
		}, ReasonOwnEcho},
		{"note before not-customer", "hi", func(s *State) {
			s.Event.Message.Author.Role = helpdesk.RoleAgent
			s.Event.Message.Public = false
		}, ReasonInternalNote},
		{"not-assigned before spam", "hi", func(s *State) {
			s.NotAssignedToBot = true
			s.SenderEmail = "promo@spam-company.com"
		}, ReasonNotAssignedToBot},
		{"spam before asks-human", "talk to a human", func(s *State) { s.SenderEmail = "promo@spam-company.com" }, ReasonSpam},
		{"asks-human before routes and limits", "talk to a human, advogado", all, ReasonCustomerAskedHuman},
		{"tag route before content route", "advogado", all, ReasonTagRoute},
		{"content route before limits", "advogado", func(s *State) { s.BotMessages = 50 }, ReasonContentRoute},
		{"bot messages before size", "hi", func(s *State) { s.BotMessages, s.CustomerMessages = 50, 50 }, ReasonMaxBotMessages},
		{"conversation size before message size", strings.Repeat("a", 2000), func(s *State) { s.Chars = 4000 }, ReasonConversationTooLong},
		{"message size before answer", strings.Repeat("a ", 600), func(*State) {}, ReasonContentTooLarge},
		{"confidence last", "hi", func(*State) {}, ReasonLowConfidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := State{Event: customerMsg(tt.text)}
			tt.mod(&s)
			require.Equal(t, tt.reason, p.Decide(context.Background(), s, low).Reason)
		})
	}
	// An empty answer with low confidence reports the missing answer.
	require.Equal(t, ReasonNoAnswer, p.Decide(context.Background(), State{Event: customerMsg("hi")}, Answer{}).Reason)
}

func TestDecideNotices(t *testing.T) {
	c := testConfig()
	c.Notices = map[string]string{"es": "Un agente te atenderá."}
	c.DefaultLanguage = "pt"
	p := mustNew(t, c)
	s := State{Event: customerMsg("talk to a human")}
	for lang, want := range map[string]string{
		"pt": DefaultNotices["pt"], "PT_br": DefaultNotices["pt"], "en-US": DefaultNotices["en"],
		"es": "Un agente te atenderá.", "fr": DefaultNotices["pt"], "": DefaultNotices["pt"],
	} {
		s.Language = lang
		d := p.Decide(context.Background(), s, good)
		require.Equal(t, want, d.Notice, lang)
		require.Equal(t, want, d.Target.Notice, lang)
		require.Equal(t, handoverNotes[ReasonCustomerAskedHuman], d.Target.Note)
	}

	// A target's own notice and note win.
	c.DefaultTarget.Notice, c.DefaultTarget.Note = "Custom notice", "Custom note"
	d := mustNew(t, c).Decide(context.Background(), s, good)
	require.Equal(t, "Custom notice", d.Notice)
	require.Equal(t, "Custom note", d.Target.Note)
}

// fakeAvail answers from a map of target ids; missing ids are online.
type fakeAvail struct {
	offline map[string]bool
	errs    map[string]error
	calls   atomic.Int32
}

func (f *fakeAvail) Available(ctx context.Context, t helpdesk.Target) (bool, error) {
	f.calls.Add(1)
	if err := f.errs[t.ID]; err != nil {
		return false, err
	}
	return !f.offline[t.ID], ctx.Err()
}

func TestDecideFallback(t *testing.T) {
	// Both tag routes match; vip first, billing second, default n2 last.
	c := testConfig()
	c.TagRoutes[1].RouteOnly = false
	state := State{Event: customerMsg("hi"), Tags: []string{"financeiro", "vip"}, Language: "es"}
	errDown := errors.New("status API down")

	tests := []struct {
		name     string
		mode     FallbackMode
		offline  []string
		errs     map[string]error
		action   Action
		target   string
		route    string
		fallback Reason
		err      bool
	}{
		{"first choice online", FallbackNext, nil, nil, ActionEscalate, "vip", "vip", "", false},
		{"next route", FallbackNext, []string{"vip"}, nil, ActionEscalate, "billing", "tag_routes[1]", ReasonNoAgentsOnline, false},
		{"default after routes", FallbackNext, []string{"vip", "billing"}, nil, ActionEscalate, "n2", "default", ReasonNoAgentsOnline, false},
		{"bot after all", FallbackNext, []string{"vip", "billing", "n2"}, nil, ActionReply, "", "", ReasonNoAgentsOnline, false},
		{"default mode skips other routes", FallbackDefault, []string{"vip"}, nil, ActionEscalate, "n2", "default", ReasonNoAgentsOnline, false},
		{"default mode then bot", FallbackDefault, []string{"vip", "n2"}, nil, ActionReply, "", "", ReasonNoAgentsOnline, false},
		{"bot mode", FallbackBot, []string{"vip"}, nil, ActionReply, "", "", ReasonNoAgentsOnline, false},
		{"availability error", FallbackNext, nil, map[string]error{"vip": errDown}, ActionEscalate, "billing", "tag_routes[1]", ReasonAvailabilityError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c
			c.Fallback = tt.mode
			av := &fakeAvail{offline: map[string]bool{}, errs: tt.errs}
			for _, id := range tt.offline {
				av.offline[id] = true
			}
			d := mustNew(t, c, WithAvailability(av)).Decide(context.Background(), state, good)
			require.Equal(t, tt.action, d.Action)
			require.Equal(t, ReasonTagRoute, d.Reason)
			require.Equal(t, tt.target, d.Target.ID)
			require.Equal(t, tt.route, d.Route)
			require.Equal(t, tt.fallback, d.Fallback)
			if tt.err {
				require.ErrorIs(t, d.Err, errDown)
			} else {
				require.NoError(t, d.Err)
			}
			if d.Action == ActionReply {
				// HubSpot: with nobody online the bot keeps the conversation.
				require.Equal(t, good.Text, d.Text)
				require.Equal(t, DefaultFallbackNotices["es"], d.Notice)
			} else {
				require.Equal(t, DefaultNotices["es"], d.Notice)
			}
		})
	}
}

func TestDecideAvailabilityNotCalledWithoutHandover(t *testing.T) {
	av := &fakeAvail{}
	p := mustNew(t, testConfig(), WithAvailability(av))
	p.Decide(context.Background(), State{Event: customerMsg("hours?")}, good)
	require.Zero(t, av.calls.Load())
	p.Decide(context.Background(), State{Event: customerMsg("talk to a human")}, good)
	require.EqualValues(t, 1, av.calls.Load())
}

func TestDecideAvailabilityTimeout(t *testing.T) {
	c := testConfig()
	c.AvailabilityTimeout = Duration(time.Millisecond)
	slow := AvailabilityFunc(func(ctx context.Context, _ helpdesk.Target) (bool, error) {
		<-ctx.Done()
		return false, ctx.Err()
	})
	d := mustNew(t, c, WithAvailability(slow)).Decide(context.Background(), State{Event: customerMsg("talk to a human")}, good)
	require.Equal(t, ActionReply, d.Action)
	require.Equal(t, ReasonAvailabilityError, d.Fallback)
	require.ErrorIs(t, d.Err, context.DeadlineExceeded)
}

func TestDecideBusinessHours(t *testing.T) {
	c := testConfig()
	c.Hours = []TargetHours{
		{Target: n2, TimeZone: "America/Sao_Paulo", Windows: []Window{
			{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Open: "09:00", Close: "18:00"},
			{Days: []string{"Saturday"}, Open: "22:00", Close: "02:00"},
		}},
		{Target: vip, Windows: []Window{{Days: []string{"sun"}, Open: "00:00", Close: "24:00"}}},
	}
	p := mustNew(t, c)
	sp, err := time.LoadLocation("America/Sao_Paulo")
	require.NoError(t, err)
	tests := []struct {
		name string
		now  time.Time
		open bool
	}{
		{"wednesday morning", time.Date(2026, 11, 25, 9, 0, 0, 0, sp), true},
		{"wednesday before opening", time.Date(2026, 11, 25, 8, 59, 0, 0, sp), false},
		{"wednesday at closing", time.Date(2026, 11, 25, 18, 0, 0, 0, sp), false},
		{"in UTC, still open in São Paulo", time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC), true},
		{"sunday", time.Date(2026, 11, 29, 12, 0, 0, 0, sp), false},
		{"saturday night", time.Date(2026, 11, 28, 23, 0, 0, 0, sp), true},
		{"after midnight into sunday", time.Date(2026, 11, 29, 1, 59, 0, 0, sp), true},
		{"sunday 2am", time.Date(2026, 11, 29, 2, 0, 0, 0, sp), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(context.Background(), State{Event: customerMsg("talk to a human"), Now: tt.now}, good)
			if tt.open {
				require.Equal(t, ActionEscalate, d.Action)
				require.Empty(t, d.Fallback)
			} else {
				require.Equal(t, ActionReply, d.Action)
				require.Equal(t, ReasonOutsideHours, d.Fallback)
				require.Equal(t, DefaultFallbackNotices["en"], d.Notice)
			}
		})
	}

	// The clock option is used when State.Now is zero; VIP is open on
	// Sundays when N2 is closed.
	sunday := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	p = mustNew(t, c, WithClock(func() time.Time { return sunday }), WithClock(nil))
	d := p.Decide(context.Background(), State{Event: customerMsg("talk to a human"), Tags: []string{"vip"}}, good)
	require.Equal(t, "vip", d.Target.ID)
	d = p.Decide(context.Background(), State{Event: customerMsg("talk to a human")}, good)
	require.Equal(t, ReasonOutsideHours, d.Fallback)
}

// TestDecideNeverReturnsBotTarget guards the loop even if the compiled
// policy were to hold the bot's own group.
func TestDecideNeverReturnsBotTarget(t *testing.T) {
	p := mustNew(t, testConfig())
	p.def.target = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: botGroup}
	d := p.Decide(context.Background(), State{Event: customerMsg("talk to a human")}, good)
	require.Equal(t, ActionReply, d.Action)
	require.NotEqual(t, botGroup, d.Target.ID)
}

func TestDecideNeverPanics(t *testing.T) {
	p := mustNew(t, testConfig())
	huge := strings.Repeat("quero falar com um atendente ", 100_000) // ~2.9 MB
	states := []State{
		{},
		{Event: helpdesk.Event{Type: helpdesk.EventMessageCreated, Message: &helpdesk.InboundMessage{}}},
		{Event: customerMsg("")},
		{Event: customerMsg("\xff\xfe invalid utf8 \x00\x01")},
		{Event: customerMsg(huge), Tags: make([]string, 10_000)},
		{Event: customerMsg("hi"), BotMessages: -5, CustomerMessages: math.MaxInt, Chars: math.MaxInt},
		{Event: customerMsg("hi"), Language: strings.Repeat("x", 1000), Subject: huge, SenderEmail: "@@@"},
		{Event: customerMsg("hi"), Now: time.Unix(math.MaxInt32, 0)},
	}
	answers := []Answer{{}, {Text: huge, Confidence: math.Inf(1)}, {Confidence: -1, Solved: true}, {Confidence: math.NaN()}}
	for i, s := range states {
		for _, a := range answers {
			require.NotPanics(t, func() { p.Decide(context.Background(), s, a) }, "state %d", i)
		}
	}
	d := p.Decide(context.Background(), State{Event: customerMsg(huge)}, good)
	require.Equal(t, ReasonCustomerAskedHuman, d.Reason)

	// A zero Policy from New with the smallest valid config works too.
	minimal := mustNew(t, Config{DefaultTarget: n2, NoDefaultPhrases: true})
	require.Equal(t, ActionReply, minimal.Decide(context.Background(), State{Event: customerMsg("talk to a human")}, good).Action)
}

func TestDecideConcurrent(t *testing.T) {
	p := mustNew(t, testConfig(), WithAvailability(&fakeAvail{}))
	texts := []string{"talk to a human", "hours?", "advogado", "pedido 123456", strings.Repeat("x", 3000)}
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				text := texts[(g+i)%len(texts)]
				d := p.Decide(context.Background(), State{Event: customerMsg(text)}, Answer{Text: "a", Confidence: 0.9})
				want := p.Decide(context.Background(), State{Event: customerMsg(text)}, Answer{Text: "a", Confidence: 0.9})
				if diff := cmp.Diff(want, d); diff != "" {
					t.Errorf("inconsistent decisions for %q: %s", text, diff)
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
}

func TestReasons(t *testing.T) {
	seen := map[Reason]bool{}
	for _, r := range Reasons() {
		require.False(t, seen[r], "duplicate %s", r)
		seen[r] = true
		require.Regexp(t, `^[a-z_]+$`, string(r))
	}
	require.Len(t, seen, 18)
	// Every handover reason leaves a note for the agents.
	for _, r := range []Reason{ReasonCustomerAskedHuman, ReasonTagRoute, ReasonContentRoute, ReasonMaxBotMessages,
		ReasonConversationTooLong, ReasonContentTooLarge, ReasonLowConfidence, ReasonNoAnswer} {
		require.NotEmpty(t, handoverNotes[r], r)
	}
	require.Len(t, handoverNotes, 8)
}

func TestDecideAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	p := mustNew(t, benchConfig())
	ctx := context.Background()
	for _, text := range []string{benchText, benchText + " quero falar com um atendente", benchText + " protocolo ab123456"} {
		s := benchState(text)
		allocs := testing.AllocsPerRun(200, func() { p.Decide(ctx, s, good) })
		require.Zero(t, allocs, text)
	}
}

// TestDecideRoutePriority: when several routes match, whatever found them
// (tag, shared keyword, literal-less pattern), the first configured wins
// and the others follow it as fallbacks.
func TestDecideRoutePriority(t *testing.T) {
	g := func(id string) helpdesk.Target { return helpdesk.Target{Kind: helpdesk.TargetGroup, ID: id} }
	c := Config{
		DefaultTarget: n2,
		MinConfidence: 0.6,
		TagRoutes:     []TagRoute{{Tags: []string{"a"}, Target: g("t0")}, {Tags: []string{"b", "B2"}, Target: g("t1")}},
		ContentRoutes: []ContentRoute{
			{Pattern: `(?:order|pedido)\d+`, Target: g("c0")}, // no literal: always evaluated
			{Keywords: []string{"refund"}, Target: g("c1")},
			{Keywords: []string{"refund", "chargeback"}, Pattern: `estorno`, Target: g("c2")},
		},
	}
	tests := []struct {
		text    string
		tags    []string
		offline []string
		want    string
	}{
		{"refund please", nil, nil, "c1"},
		{"refund please", nil, []string{"c1"}, "c2"},
		{"refund please", nil, []string{"c1", "c2"}, "n2"},
		{"pedido123 refund", nil, nil, "c0"},
		{"pedido123 refund", []string{"b2", "b"}, nil, "t1"},
		{"pedido123 refund", []string{"b", "a"}, []string{"t0"}, "t1"},
		{"pedido123 refund", []string{"b", "a"}, []string{"t0", "t1"}, "c0"},
		{"estorno chargeback", nil, nil, "c2"},
		{"nothing here", []string{"x"}, nil, "n2"},
	}
	for _, tt := range tests {
		av := &fakeAvail{offline: map[string]bool{}}
		for _, id := range tt.offline {
			av.offline[id] = true
		}
		p := mustNew(t, c, WithAvailability(av))
		d := p.Decide(context.Background(), State{Event: customerMsg(tt.text), Tags: tt.tags}, Answer{Text: "?", Confidence: 0.5})
		require.Equal(t, tt.want, d.Target.ID, "%q %v offline %v: %+v", tt.text, tt.tags, tt.offline, d)
	}
}
