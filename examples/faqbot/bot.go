package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

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
	// Replies records how far each answer got (nil: helpdesk.Reply's
	// in-process store). Replicas share one on Redis, so that an answer
	// interrupted on one is resumed, not repeated, by another.
	Replies helpdesk.ReplyStore
	// States keeps each conversation's policy state (nil: in process
	// memory). Replicas share one on Redis.
	States convStore
	// ClaimWait is how often an answer another call still holds is tried
	// again (default 100 ms); see reply.
	ClaimWait time.Duration

	memOnce sync.Once
	mem     *memStates
}

// convStore keeps each conversation's policy state. load also reports
// whether the event deliveryID was already handled (saved with done
// true). The webhook handler hands one conversation's events over one at
// a time, so a load and the save that follows are never interleaved with
// another event of the same conversation.
type convStore interface {
	load(ctx context.Context, conv, deliveryID string) (st convState, handled bool, err error)
	save(ctx context.Context, conv, deliveryID string, st convState, done bool) error
}

type convState struct {
	botMessages, customerMessages, chars int
	// handedOver is set once the bot hands the conversation over, or the
	// vendor reports it assigned away, and cleared when it comes back.
	handedOver bool
}

// memStates is the in-process convStore. It does not remember handled
// ids: in one process the webhook handler's dedupe drops redeliveries.
type memStates struct {
	mu sync.Mutex
	m  map[string]convState
}

func (s *memStates) load(_ context.Context, conv, _ string) (convState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[conv], false, nil
}

func (s *memStates) save(_ context.Context, conv, _ string, st convState, _ bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]convState{}
	}
	s.m[conv] = st
	return nil
}

func (b *Bot) states() convStore {
	if b.States != nil {
		return b.States
	}
	b.memOnce.Do(func() { b.mem = &memStates{} })
	return b.mem
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
//
// It may be called again for an event it already handled, in part or
// whole: the durable queue calls it at least once (a replica killed during
// the call, or before the acknowledgement reached Redis, has the event
// handled again by another). What keeps the customer from seeing that:
//
//   - The answer is sent with helpdesk.Reply under a key naming the event
//     (answerKey), so a second call resumes it: parts already delivered are
//     not sent again, nor is the resolve.
//   - The conversation's state (message counts, handover flag) and the
//     event's id are saved together with the event's acknowledgement in
//     Redis mode (redisStates.save): a second call starts from the same
//     state, so it takes the same decision, and an event whose
//     acknowledgement landed is never handled again, even if the vendor
//     redelivers it to another replica.
//
// Not covered: a handover (Reassign) interrupted by a kill is made again
// by the next call, and the drivers remember an unfinished handover's
// notice and note only in the process that started it, so the customer
// may get its notice twice in that window. A decision that depends on the
// clock (business hours) may also differ on the second call; the answer's
// key then refuses a different text (the event fails and is retried, then
// dead-lettered).
func (b *Bot) Handle(ctx context.Context, e helpdesk.Event) error {
	key := e.Conversation.Key()
	states := b.states()
	st, handled, err := states.load(ctx, key, e.DeliveryID)
	if err != nil {
		return err
	}
	if handled {
		b.Log("bot skips %s in %s: handled before", e.DeliveryID, e.Conversation.ID)
		return nil
	}
	if a := e.Assignment; a != nil {
		// Unassigned is not taken: only someone else's name is.
		st.handedOver = !a.ToBot && (a.AgentID != "" || a.GroupID != "")
	}
	state := escalation.State{Event: e, BotMessages: st.botMessages, CustomerMessages: st.customerMessages, Chars: st.chars}
	state.NotAssignedToBot = st.handedOver || (b.Mine != nil && e.IsCustomerMessage() && !b.Mine(e))
	if e.Message != nil {
		state.Language = guessLanguage(e.Message.Text)
	}

	var ans escalation.Answer
	if e.IsCustomerMessage() {
		b.Log("customer[%s]: %s", e.Conversation.ID, e.Message.Text)
		text, conf, solves := b.FAQ.Answer(e.Message.Text)
		ans = escalation.Answer{Text: text, Confidence: conf, Solved: solves}
	}
	d := b.Policy.Decide(ctx, state, ans)
	if e.IsCustomerMessage() {
		st.customerMessages++
		st.chars += len([]rune(e.Message.Text))
	}
	err = b.act(ctx, e, d, ans, &st)
	// Saved after a failure too: in memory, as the counts always were; on
	// Redis the save joins the acknowledgement, which a failed event does
	// not get, so its retry starts again from the state before it.
	if serr := states.save(ctx, key, e.DeliveryID, st, err == nil); err == nil {
		err = serr
	}
	return err
}

// act carries out the policy's decision for e, updating st.
func (b *Bot) act(ctx context.Context, e helpdesk.Event, d escalation.Decision, ans escalation.Answer, st *convState) error {
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
		st.handedOver = true
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
		opts := helpdesk.ReplyOptions{Splitter: sp, Resolve: resolve, Store: b.Replies}
		if replyKeys {
			opts.IdempotencyKey = answerKey(e)
		}
		receipts, err := b.reply(ctx, e.Conversation, text, opts)
		st.botMessages += len(receipts)
		verb := "answers"
		if resolve {
			verb = "answers and resolves"
		}
		b.Log("bot %s %s in %d part(s) (%s, confidence %.2f)", verb, e.Conversation.ID, len(receipts), d.Reason, ans.Confidence)
		var unconfirmed *helpdesk.UnconfirmedPartsError
		if errors.As(err, &unconfirmed) {
			// Every part was sent but these, which the helpdesk could
			// not confirm and which nothing will send again (Klaviyo's
			// texts): retrying the event would change nothing.
			b.Log("bot could not confirm part(s) %v of its answer in %s: %v", unconfirmed.Parts, e.Conversation.ID, unconfirmed.Err)
			return nil
		}
		return err
	}
	return fmt.Errorf("faqbot: unknown action %q", d.Action)
}

// replyKeys turns the answers' idempotency keys off when built with
// -ldflags "-X main.replyKeys=" (an empty value): the replica test builds
// such a binary to show that without them a killed replica's answers are
// sent twice.
var replyKeys = replyKeysOn != ""

// replyKeysOn is set by the linker flag above.
var replyKeysOn = "on"

// answerKey names the answer to e, for helpdesk.Reply's IdempotencyKey
// (which Reply scopes to the conversation). It is e's DeliveryID: every
// driver builds it from the vendor's stable ids in the signed body (the
// message or comment id where there is one: "message_created:<id>" in
// Cloud Chat, "ticket:<id>:comment:<id>" in Zendesk), never from a
// per-delivery header, so a redelivery by the vendor and a second call on
// another replica name the same answer; it is also what the webhook
// handler deduplicates on. The vendor's message id alone would do for
// customer messages, but not every event has one.
func answerKey(e helpdesk.Event) string {
	if e.DeliveryID != "" {
		return e.DeliveryID
	}
	if e.Message != nil && e.Message.ID != "" {
		return "message:" + e.Message.ID
	}
	return ""
}

// reply is helpdesk.Reply, waiting while another call holds the same
// answer (helpdesk.ErrReplyInProgress). With replicas that is a replica
// killed in the middle of this answer: its claim lasts until its lease
// ends (AGENTDESK_REDIS_LEASE), about when its conversations are taken
// over. Failing the event instead would have the queue retry it a few
// times within a second and then dead-letter it.
func (b *Bot) reply(ctx context.Context, conv helpdesk.Conversation, text string, opts helpdesk.ReplyOptions) ([]*helpdesk.Receipt, error) {
	every := b.ClaimWait
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	for {
		receipts, err := helpdesk.Reply(ctx, b.HD, conv, text, opts)
		var partial *helpdesk.PartialSendError
		if !errors.Is(err, helpdesk.ErrReplyInProgress) || errors.As(err, &partial) {
			// Only a refused claim is waited for: a claim lost while
			// sending (the part was sent, its record refused) is the
			// event's failure.
			return receipts, err
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return receipts, err
		case <-t.C:
		}
	}
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
