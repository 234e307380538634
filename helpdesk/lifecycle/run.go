package lifecycle

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// closeBatch is how many conversations one Closer call gets (Zendesk's
// update_many takes 100 ids).
const closeBatch = 100

// Run fires due timers until ctx ends, then returns ctx's error. Every
// replica runs it; the store hands each due timer to one of them.
func (s *Scheduler) Run(ctx context.Context) error {
	local, _ := s.cfg.Store.(interface{ Local() bool })
	isLocal := local != nil && local.Local()
	wait := time.NewTimer(0)
	defer wait.Stop()
	for {
		n, next, err := s.Fire(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d := s.cfg.Poll
		switch {
		case err != nil:
		case n > 0:
			d = 0 // actions may have set earlier timers than next: look again
		case next >= 0 && (next < d || isLocal):
			d = next
		case isLocal:
			d = time.Duration(1<<63 - 1) // nothing pending: wait for a Put
		}
		wait.Reset(d)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait.C:
		case <-s.kick:
			if !wait.Stop() {
				<-wait.C
			}
		}
	}
}

// Fire claims the due timers (one batch) and runs their actions. It
// returns how many it claimed and how long until the next one is due
// (negative when unknown). Run calls it in a loop; tests and tools may
// call it directly.
func (s *Scheduler) Fire(ctx context.Context) (int, time.Duration, error) {
	timers, next, err := s.cfg.Store.Claim(ctx, s.cfg.Batch, s.cfg.Lease)
	s.storeResult(err)
	if err != nil {
		return 0, -1, err
	}
	r := &round{Scheduler: s}
	r.batcher, _ = s.cfg.Store.(BatchFinisher)
	var closes []Timer
	work := make(chan Timer)
	var wg sync.WaitGroup
	for range min(s.cfg.Workers, len(timers)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				r.fireOne(ctx, t)
			}
		}()
	}
	for _, t := range timers {
		if t.Kind == KindCloseSolved {
			closes = append(closes, t)
			continue
		}
		work <- t
	}
	close(work)
	for len(closes) > 0 {
		n := min(closeBatch, len(closes))
		r.fireCloses(ctx, closes[:n])
		closes = closes[n:]
	}
	wg.Wait()
	r.flush(ctx)
	return len(timers), next, nil
}

func (s *round) fireOne(ctx context.Context, t Timer) {
	key := "lifecycle-" + t.Gen
	switch t.Kind {
	case KindReengage:
		r := s.cfg.Reengage
		if r == nil {
			s.finish(ctx, t, nil, 0)
			return
		}
		_, err := s.h.SendMessage(ctx, t.Conv, helpdesk.Message{Text: r.Message, IdempotencyKey: key})
		if err != nil {
			s.failed(ctx, t, err)
			return
		}
		next := Timer{Key: t.Key, Kind: KindReengage, Conv: t.Conv, Count: t.Count + 1, Gen: NewGen()}
		if next.Count < r.Times {
			s.finish(ctx, t, &next, s.delay(r.After, r.Hours))
			return
		}
		if a := s.cfg.AutoClose; a != nil {
			next.Kind = KindAutoClose
			s.finish(ctx, t, &next, s.delay(a.After, a.Hours))
			return
		}
		s.finish(ctx, t, nil, 0)
	case KindAutoClose:
		a := s.cfg.AutoClose
		if a == nil {
			s.finish(ctx, t, nil, 0)
			return
		}
		var err error
		if a.Message != "" && !t.Sent {
			var rc *helpdesk.Receipt
			rc, err = s.h.SendMessage(ctx, t.Conv, helpdesk.Message{Text: a.Message, Resolve: true, IdempotencyKey: key})
			var rae *helpdesk.ResolveAfterReplyError
			if errors.As(err, &rae) || (err == nil && rc != nil && !rc.Resolved) {
				t.Sent = true // the message is out: retry only the resolve
				if err == nil {
					err = errors.New("lifecycle: conversation not resolved with the closing message")
				}
			}
		} else {
			err = s.h.Resolve(ctx, t.Conv)
		}
		if err != nil {
			s.failed(ctx, t, err)
			return
		}
		if c := s.cfg.CloseSolved; c != nil {
			next := Timer{Key: t.Key, Kind: KindCloseSolved, Conv: t.Conv, Gen: NewGen()}
			s.finish(ctx, t, &next, s.delay(c.After, c.Hours))
			return
		}
		s.finish(ctx, t, nil, 0)
	default:
		s.finish(ctx, t, nil, 0)
	}
}

func (s *round) fireCloses(ctx context.Context, ts []Timer) {
	c := s.cfg.CloseSolved
	if c == nil {
		for _, t := range ts {
			s.finish(ctx, t, nil, 0)
		}
		return
	}
	convs := make([]helpdesk.Conversation, len(ts))
	for i, t := range ts {
		convs[i] = t.Conv
	}
	errs := c.Closer.CloseSolved(ctx, convs)
	for i, t := range ts {
		var err error
		if i < len(errs) {
			err = errs[i]
		} else {
			err = errors.New("lifecycle: Closer returned no result for this conversation")
		}
		if err != nil {
			s.failed(ctx, t, err)
			continue
		}
		s.finish(ctx, t, nil, 0)
	}
}

// failed retries t with backoff, or gives up: at once when the
// conversation is gone or closed (its timers are cancelled), after
// MaxAttempts otherwise (reported to OnError).
func (s *round) failed(ctx context.Context, t Timer, err error) {
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and the timer fires again
	}
	if errors.Is(err, helpdesk.ErrNotFound) || errors.Is(err, helpdesk.ErrConversationClosed) {
		s.log.InfoContext(ctx, "lifecycle: conversation gone or closed, timers cancelled", "conversation", t.Key, "kind", t.Kind.String(), "err", err)
		s.finish(ctx, t, nil, 0)
		return
	}
	attempts := t.Attempt + 1
	// A request the helpdesk refuses as such will not succeed later.
	final := errors.Is(err, helpdesk.ErrUnsupported) || errors.Is(err, helpdesk.ErrInvalidRequest) || errors.Is(err, helpdesk.ErrUnauthorized)
	if final || attempts >= s.cfg.MaxAttempts {
		s.finish(ctx, t, nil, 0)
		f := &Failure{Kind: t.Kind, Conv: t.Conv, Attempts: attempts, Err: err}
		if s.cfg.OnError != nil {
			s.cfg.OnError(ctx, f)
		} else {
			s.log.ErrorContext(ctx, f.Error())
		}
		return
	}
	next := t // same Gen: a retry keeps the idempotency key
	next.Attempt = attempts
	backoff := s.cfg.RetryBase << (attempts - 1)
	if backoff > 5*time.Minute || backoff <= 0 {
		backoff = 5 * time.Minute
	}
	var ae *helpdesk.APIError
	if errors.As(err, &ae) && ae.RetryAfter > backoff {
		backoff = ae.RetryAfter // the vendor said when
	}
	s.log.WarnContext(ctx, "lifecycle: timer action failed, retrying", "conversation", t.Key, "kind", t.Kind.String(), "attempt", attempts, "in", backoff, "err", err)
	s.finish(ctx, t, &next, backoff)
}

// round is one Fire: finishes are collected and written in one batch when
// the store takes batches (one round trip to Redis instead of one per
// timer).
type round struct {
	*Scheduler
	batcher BatchFinisher
	mu      sync.Mutex
	done    []Finish
}

func (s *round) finish(ctx context.Context, t Timer, next *Timer, d time.Duration) {
	if s.batcher != nil {
		s.mu.Lock()
		s.done = append(s.done, Finish{Claimed: t, Next: next, After: d})
		s.mu.Unlock()
		return
	}
	err := s.cfg.Store.Finish(ctx, t, next, d)
	s.finished(ctx, err)
}

func (s *round) flush(ctx context.Context) {
	if s.batcher == nil || len(s.done) == 0 {
		return
	}
	s.finished(ctx, s.batcher.FinishMany(ctx, s.done))
	s.done = nil
}

func (s *round) finished(ctx context.Context, err error) {
	s.storeResult(err)
	if err != nil {
		// The lease runs out and the timer fires again (same Gen, so the
		// same idempotency key).
		s.log.WarnContext(ctx, "lifecycle: timers not finished", "err", err)
	}
}

// Finish is one Store.Finish call, for BatchFinisher.
type Finish struct {
	Claimed Timer
	Next    *Timer
	After   time.Duration
}

// BatchFinisher is a Store that finishes many claimed timers at once
// (Fire uses it when the store has it).
type BatchFinisher interface {
	FinishMany(ctx context.Context, fs []Finish) error
}
