package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/split"
)

// Bot composes the SDK's pieces into an FAQ bot: the escalation policy
// decides, the FAQ proposes answers, replies are split per channel, and the
// helpdesk carries them out.
type Bot struct {
	HD       helpdesk.Helpdesk
	Policy   *escalation.Policy
	FAQ      FAQ
	MaxChars int // user-set maximum per part (0: the channel's preset)
	// Log receives one line per decision (the transcript).
	Log func(format string, args ...any)
	// Mine reports whether e's conversation still belongs to the bot, from
	// what the vendor's event says (assignee, group, status); nil means
	// always. Its "no" feeds the policy's not-assigned-to-the-bot rule, so
	// the bot stays silent in a conversation a human has taken.
	Mine func(e helpdesk.Event) bool

	mu    sync.Mutex
	convs map[string]*convState
}

type convState struct {
	botMessages, customerMessages, chars int
	// handedOver is set once the bot hands the conversation over, or the
	// vendor reports it assigned away, and cleared when it comes back.
	handedOver bool
}

func (b *Bot) state(key string) *convState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.convs == nil {
		b.convs = map[string]*convState{}
	}
	s := b.convs[key]
	if s == nil {
		s = &convState{}
		b.convs[key] = s
	}
	return s
}

func (b *Bot) splitter(ch helpdesk.Channel) (helpdesk.Splitter, error) {
	limit := split.Limit{Max: b.MaxChars, Measure: split.Runes}
	if b.MaxChars <= 0 {
		var ok bool
		if limit, ok = split.Preset(string(ch)); !ok {
			limit = split.Limit{Max: 4096, Measure: split.Runes}
		}
	}
	return split.New(limit, split.PartMarker(" (%d/%d)"))
}

// Handle is the bot's webhook event function.
func (b *Bot) Handle(ctx context.Context, e helpdesk.Event) error {
	key := e.Conversation.Key()
	st := b.state(key)
	b.mu.Lock()
	if a := e.Assignment; a != nil {
		// Unassigned is not taken: only someone else's name is.
		st.handedOver = !a.ToBot && (a.AgentID != "" || a.GroupID != "")
	}
	state := escalation.State{Event: e, BotMessages: st.botMessages, CustomerMessages: st.customerMessages, Chars: st.chars}
	state.NotAssignedToBot = st.handedOver || (b.Mine != nil && e.IsCustomerMessage() && !b.Mine(e))
	if e.Message != nil {
		state.Language = guessLanguage(e.Message.Text)
	}
	b.mu.Unlock()

	var ans escalation.Answer
	if e.IsCustomerMessage() {
		b.Log("customer[%s]: %s", e.Conversation.ID, e.Message.Text)
		text, conf, solves := b.FAQ.Answer(e.Message.Text)
		ans = escalation.Answer{Text: text, Confidence: conf, Solved: solves}
	}
	d := b.Policy.Decide(ctx, state, ans)
	if e.IsCustomerMessage() {
		b.mu.Lock()
		st.customerMessages++
		st.chars += len([]rune(e.Message.Text))
		b.mu.Unlock()
	}
	switch d.Action {
	case escalation.ActionIgnore:
		if e.Type == helpdesk.EventMessageCreated {
			b.Log("bot ignores %s event in %s (%s)", e.Type, e.Conversation.ID, d.Reason)
		}
		return nil
	case escalation.ActionEscalate:
		b.Log("bot hands %s to %s (%s): %q", e.Conversation.ID, d.Target, d.Reason, d.Target.Notice)
		if err := b.HD.Reassign(ctx, e.Conversation, d.Target); err != nil {
			return err
		}
		b.mu.Lock()
		st.handedOver = true
		b.mu.Unlock()
		return nil
	case escalation.ActionReply, escalation.ActionResolve:
		text := d.Text
		if d.Fallback != "" && d.Notice != "" {
			text = d.Notice
		}
		sp, err := b.splitter(e.Conversation.Channel)
		if err != nil {
			return err
		}
		resolve := d.Action == escalation.ActionResolve
		receipts, err := helpdesk.Reply(ctx, b.HD, e.Conversation, text, helpdesk.ReplyOptions{Splitter: sp, Resolve: resolve})
		b.mu.Lock()
		st.botMessages += len(receipts)
		b.mu.Unlock()
		verb := "answers"
		if resolve {
			verb = "answers and resolves"
		}
		b.Log("bot %s %s in %d part(s) (%s, confidence %.2f)", verb, e.Conversation.ID, len(receipts), d.Reason, ans.Confidence)
		return err
	}
	return fmt.Errorf("faqbot: unknown action %q", d.Action)
}

// guessLanguage is the demo's stand-in for the language a real bot gets
// from its model or the contact's locale.
func guessLanguage(text string) string {
	t := " " + fold(text) + " "
	for _, w := range []string{" voce ", " quero ", " onde ", " nao ", " obrigad", " pedido "} {
		if strings.Contains(t, w) {
			return "pt"
		}
	}
	for _, w := range []string{" quiero ", " donde ", " gracias ", " hablar "} {
		if strings.Contains(t, w) {
			return "es"
		}
	}
	return "en"
}
