package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// Reengage configures the message sent to a customer who stayed silent
// after the bot's answer.
type Reengage struct {
	// After is the silence after the bot's answer (and between re-engage
	// messages) before the message goes out.
	After time.Duration
	// Message is the text sent.
	Message string
	// Times is how many re-engage messages at most (default 1).
	Times int
	// Hours, when set, delays the message to the next opening of these
	// business hours (see escalation.CompileHours).
	Hours *escalation.BusinessHours
}

// AutoClose configures closing a conversation whose customer stayed
// silent after the last re-engage message (or after the bot's answer when
// Reengage is off).
type AutoClose struct {
	// After is the further silence before closing.
	After time.Duration
	// Message, when set, is sent with the resolve: in one request on
	// helpdesks with CapResolveWithMessage.
	Message string
	// Hours, when set, delays the close to the next opening.
	Hours *escalation.BusinessHours
}

// CloseSolved configures moving resolved conversations to closed on
// helpdesks that have a closed state after the solved one (Zendesk: a
// customer reply reopens a solved ticket, while a reply to a closed one
// opens a follow-up ticket).
type CloseSolved struct {
	// After is how long a conversation stays solved before it is closed.
	After time.Duration
	// Closer closes due conversations in batches; helpdesks without a
	// closed state have none (zendesk.Client.BulkCloser is one).
	Closer Closer
	// Hours, when set, delays the close to the next opening.
	Hours *escalation.BusinessHours
}

// Closer closes solved conversations, many per call where the vendor
// allows. It returns one error per conversation, in order: nil when the
// conversation is closed or must be left alone for good (the customer
// reopened it, it is gone or closed already); an error to retry later
// otherwise.
type Closer interface {
	CloseSolved(ctx context.Context, convs []helpdesk.Conversation) []error
}

// Failure is a timer action that failed for good (after its retries).
type Failure struct {
	Kind     Kind
	Conv     helpdesk.Conversation
	Attempts int
	Err      error
}

func (f *Failure) Error() string {
	return fmt.Sprintf("lifecycle: %s of %s failed after %d attempts: %v", f.Kind, f.Conv.Key(), f.Attempts, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }

// Config configures a Scheduler. At least one of Reengage, AutoClose and
// CloseSolved is set.
type Config struct {
	Reengage    *Reengage
	AutoClose   *AutoClose
	CloseSolved *CloseSolved

	// Store holds pending timers (default: a MemoryStore, one process).
	Store Store
	// Lease is how long a claimed timer stays with the replica that
	// claimed it: a replica that dies mid-action has its timers fired by
	// another one at most Lease late (default 30 s).
	Lease time.Duration
	// Poll is the longest wait between looks at the store, which bounds
	// how late a timer scheduled by another replica fires (default 250 ms).
	Poll time.Duration
	// Batch is how many timers one claim takes (default 500).
	Batch int
	// Workers run timer actions concurrently (default 8).
	Workers int
	// MaxAttempts is how often a failing action is tried before it is
	// reported to OnError and dropped (default 5); retries back off from
	// RetryBase (default 5 s) doubling up to 5 minutes.
	MaxAttempts int
	RetryBase   time.Duration
	// OnError receives every action that failed for good (a *Failure).
	// Without it failures are logged at error level.
	OnError func(ctx context.Context, f *Failure)
	// Logger (default: discard).
	Logger *slog.Logger
	// Now is the clock business hours are applied on (default time.Now).
	Now func() time.Time
}

// Scheduler runs per-conversation timers (re-engage, auto-close, solved →
// closed) for one helpdesk. It is safe for concurrent use; call Run in one
// goroutine per replica.
type Scheduler struct {
	h    helpdesk.Helpdesk
	cfg  Config
	log  *slog.Logger
	kick chan struct{}

	errMu     sync.Mutex
	storeDown bool
}

// New returns a Scheduler acting on h (the helpdesk the bot uses, not the
// one returned by Helpdesk).
func New(h helpdesk.Helpdesk, cfg Config) (*Scheduler, error) {
	var problems []error
	bad := func(f string, a ...any) { problems = append(problems, fmt.Errorf(f, a...)) }
	if h == nil {
		bad("lifecycle: nil helpdesk")
	}
	if cfg.Reengage == nil && cfg.AutoClose == nil && cfg.CloseSolved == nil {
		bad("lifecycle: no timer configured (Reengage, AutoClose, CloseSolved)")
	}
	if r := cfg.Reengage; r != nil {
		if r.After <= 0 {
			bad("lifecycle: Reengage.After must be positive")
		}
		if r.Message == "" {
			bad("lifecycle: Reengage.Message is empty")
		}
		if r.Times < 0 {
			bad("lifecycle: Reengage.Times is negative")
		}
		if r.Times == 0 {
			r2 := *r
			r2.Times = 1
			cfg.Reengage = &r2
		}
	}
	if a := cfg.AutoClose; a != nil && a.After <= 0 {
		bad("lifecycle: AutoClose.After must be positive")
	}
	if a := cfg.AutoClose; a != nil && h != nil && !h.Capabilities().Has(helpdesk.CapResolve) {
		bad("lifecycle: AutoClose needs a helpdesk that can resolve")
	}
	if c := cfg.CloseSolved; c != nil {
		if c.After <= 0 {
			bad("lifecycle: CloseSolved.After must be positive")
		}
		if c.Closer == nil {
			bad("lifecycle: CloseSolved.Closer is nil (only helpdesks with a closed state, such as Zendesk, have one)")
		}
	}
	if cfg.Lease < 0 || cfg.Poll < 0 || cfg.Batch < 0 || cfg.Workers < 0 || cfg.MaxAttempts < 0 || cfg.RetryBase < 0 {
		bad("lifecycle: negative Lease, Poll, Batch, Workers, MaxAttempts or RetryBase")
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(nil)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.Lease, 30*time.Second)
	def(&cfg.Poll, 250*time.Millisecond)
	def(&cfg.RetryBase, 5*time.Second)
	if cfg.Batch == 0 {
		cfg.Batch = 500
	}
	if cfg.Workers == 0 {
		cfg.Workers = 8
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{h: h, cfg: cfg, log: log, kick: make(chan struct{}, 1)}, nil
}

// delay is how long from now a step of d waits, moved to the next opening
// of hours when set.
func (s *Scheduler) delay(d time.Duration, hours *escalation.BusinessHours) time.Duration {
	if hours == nil {
		return d
	}
	now := s.cfg.Now()
	return hours.NextOpen(now.Add(d)).Sub(now)
}

func (s *Scheduler) put(ctx context.Context, t Timer, d time.Duration) error {
	t.Key, t.Gen = t.Conv.Key(), NewGen()
	err := s.cfg.Store.Put(ctx, t, d)
	s.storeResult(err)
	if err == nil {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return err
}

// firstAfterAnswer is the timer the bot's answer starts.
func (s *Scheduler) firstAfterAnswer(conv helpdesk.Conversation) (Timer, time.Duration, bool) {
	if r := s.cfg.Reengage; r != nil {
		return Timer{Kind: KindReengage, Conv: conv}, s.delay(r.After, r.Hours), true
	}
	if a := s.cfg.AutoClose; a != nil {
		return Timer{Kind: KindAutoClose, Conv: conv}, s.delay(a.After, a.Hours), true
	}
	return Timer{}, 0, false
}

// Answered starts conv's timers after the bot answered the customer:
// re-engage after Reengage.After (or auto-close after AutoClose.After when
// re-engaging is off), replacing whatever was pending. The Helpdesk
// wrapper calls it on every public SendMessage.
func (s *Scheduler) Answered(ctx context.Context, conv helpdesk.Conversation) error {
	t, d, ok := s.firstAfterAnswer(conv)
	if !ok {
		return s.Cancel(ctx, conv)
	}
	return s.put(ctx, t, d)
}

// Resolved starts conv's solved → closed timer (when CloseSolved is set;
// otherwise it only cancels what was pending).
func (s *Scheduler) Resolved(ctx context.Context, conv helpdesk.Conversation) error {
	c := s.cfg.CloseSolved
	if c == nil {
		return s.Cancel(ctx, conv)
	}
	return s.put(ctx, Timer{Kind: KindCloseSolved, Conv: conv}, s.delay(c.After, c.Hours))
}

// Cancel drops conv's pending timer.
func (s *Scheduler) Cancel(ctx context.Context, conv helpdesk.Conversation) error {
	return s.cancel(ctx, conv, nil)
}

func (s *Scheduler) cancel(ctx context.Context, conv helpdesk.Conversation, keep []Kind) error {
	err := s.cfg.Store.Cancel(ctx, conv.Key(), keep...)
	s.storeResult(err)
	return err
}

// Observe updates timers from a webhook event:
//   - the bot's own echo changes nothing;
//   - a customer message cancels the pending timer (the bot's answer
//     starts them again, through the Helpdesk wrapper or Answered);
//   - an agent's public reply, or an assignment away from the bot (a
//     handover), cancels it;
//   - a status change made by someone else cancels it: to closed or
//     snoozed always; to resolved unless the bot's own solved → closed
//     timer waits; to new, open or pending unless a re-engage or
//     auto-close timer waits (a reopened solved ticket is not closed).
func (s *Scheduler) Observe(ctx context.Context, e helpdesk.Event) error {
	conv := e.Conversation
	switch {
	case e.FromSelf():
		return nil
	case e.Type == helpdesk.EventMessageCreated && e.Message != nil:
		switch {
		case e.IsCustomerMessage():
			return s.Cancel(ctx, conv)
		case e.Message.Author.Role == helpdesk.RoleAgent && e.Message.Public:
			return s.Cancel(ctx, conv)
		}
	case e.Type == helpdesk.EventConversationAssigned && e.Assignment != nil && !e.Assignment.ToBot:
		return s.Cancel(ctx, conv)
	case e.Type == helpdesk.EventStatusChanged && e.Status != nil:
		switch e.Status.To {
		case helpdesk.StatusClosed, helpdesk.StatusSnoozed:
			return s.Cancel(ctx, conv)
		case helpdesk.StatusResolved:
			return s.cancel(ctx, conv, []Kind{KindCloseSolved})
		case helpdesk.StatusNew, helpdesk.StatusOpen, helpdesk.StatusPending:
			return s.cancel(ctx, conv, []Kind{KindReengage, KindAutoClose})
		}
	}
	return nil
}

// Middleware returns an EventFunc that updates timers from each event
// (Observe) and then calls next. A failure to update timers is logged,
// never returned: the event is still handled.
func (s *Scheduler) Middleware(next helpdesk.EventFunc) helpdesk.EventFunc {
	return func(ctx context.Context, e helpdesk.Event) error {
		if err := s.Observe(ctx, e); err != nil {
			s.log.WarnContext(ctx, "lifecycle: timers not updated", "conversation", e.Conversation.Key(), "err", err)
		}
		return next(ctx, e)
	}
}

// storeResult logs the store becoming unavailable once, and its return.
func (s *Scheduler) storeResult(err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	s.errMu.Lock()
	defer s.errMu.Unlock()
	switch {
	case err != nil && !s.storeDown:
		s.storeDown = true
		s.log.Error("lifecycle: timer store unavailable", "err", err)
	case err == nil && s.storeDown:
		s.storeDown = false
		s.log.Info("lifecycle: timer store available again")
	}
}
