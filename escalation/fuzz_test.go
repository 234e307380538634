package escalation

import (
	"context"
	"strings"
	"testing"
)

// FuzzDecide checks that Decide never panics and keeps its promises
// whatever the message, subject, tags, sender and counts.
func FuzzDecide(f *testing.F) {
	f.Add("Quero falar com um atendente!", "Pedido 123456", "VIP", "ana@example.com", "pt-BR", 0.9, 3, 1000, true)
	f.Add("advogado", "", "financeiro", "promo@spam-company.com", "", 0.1, -1, -1, false)
	f.Add(strings.Repeat("é", 2000), "LIMITED special offer", "", "x@mail.spam-domain.com", "es", 0.7, 100, 1<<40, false)
	f.Add("\xff\xfe\x00", "\u0301", " ", "@", "xx-YY", -3.0, 0, 0, true)
	p := mustNew(f, testConfig(), WithAvailability(&fakeAvail{offline: map[string]bool{"vip": true}}))
	f.Fuzz(func(t *testing.T, text, subject, tag, sender, lang string, conf float64, bots, chars int, solved bool) {
		ev := customerMsg(text)
		ev.Message.Subject = subject
		st := State{Event: ev, Tags: []string{tag}, SenderEmail: sender, Language: lang, BotMessages: bots, Chars: chars}
		d := p.Decide(context.Background(), st, Answer{Text: text, Confidence: conf, Solved: solved})
		switch d.Action {
		case ActionEscalate:
			if d.Target.ID == botGroup || d.Target.ID == "bot-1" {
				t.Fatalf("handed over to the bot itself: %+v", d)
			}
			if d.Target.Notice == "" || d.Notice == "" || d.Route == "" {
				t.Fatalf("handover without notice or route: %+v", d)
			}
		case ActionReply, ActionResolve, ActionIgnore:
		default:
			t.Fatalf("unknown action %q", d.Action)
		}
		if d.Reason == "" {
			t.Fatalf("no reason: %+v", d)
		}
	})
}

// FuzzAutomaton compares the automaton with a plain search in the word
// form of the text. Patterns are the '|'-separated parts of pats.
func FuzzAutomaton(f *testing.F) {
	f.Add("falar com humano|agent|he|she", "Quero FALAR com humano! The agent said she")
	f.Add("ação|a b", "AÇÃO  a,,b")
	f.Add("x", "")
	f.Add("reembolso|r", "reem\x00bolso de R$ 5 \xff ẞ \u0085 \ufffd")
	f.Fuzz(func(t *testing.T, pats, text string) {
		var ps patternSet
		for i, p := range strings.Split(pats, "|") {
			ps.add(p, i%2 == 0)
		}
		a := buildAutomaton(ps.list)
		bits := make([]uint64, (len(ps.list)+63)/64)
		a.scan(text, bits)
		if len(text) > scanLimit {
			return
		}
		wf := wordForm(text)
		if nf := wordForm(normalizeString(text)); nf != wf {
			t.Fatalf("word form of %q is %q, of its normal form %q", text, wf, nf)
		}
		padded := " " + wf + " "
		for id, p := range ps.list {
			if want := strings.Contains(padded, p); want != hasBit(bits, id) {
				t.Fatalf("pattern %q in %q: automaton says %v", p, padded, !want)
			}
		}
	})
}
