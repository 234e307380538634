// Package redisdedupe is a helpdesk.DedupeStore on Redis, so that replicas
// of a bot behind one webhook URL drop a vendor's redeliveries together:
// whichever replica receives a delivery first claims its id, the others
// answer 200 without handling it again.
//
// It is for synchronous mode and the in-memory queue. With
// helpdesk/redisqueue the webhook handler does not use a DedupeStore: the
// queue drops redeliveries itself, in the step that stores the events
// (helpdesk.DedupingQueue). A separate store cannot do that: the handler
// claims an id and then handles or stores the event, and a replica killed
// between the two leaves the id claimed in Redis, so the vendor's
// redelivery is dropped and the message is never handled.
//
// # When Redis fails
//
// Every round trip is bounded by a short timeout (DefaultTimeout, 250 ms,
// WithTimeout), whatever the Redis client's own timeouts: a vendor gives up
// on a delivery after about 5 s, so a hung Redis must not hold it. During
// an outage one Claim a second asks Redis whether it is back; the others
// do not wait for it.
//
// By default the store then fails open: for up to DefaultFailOpenFor of
// continuous outage (WithFailOpenFor) it claims ids in an in-process
// helpdesk.MemoryDedupe instead, logs the outage once, and returns to Redis
// as soon as Redis answers. The reason is that failing closed loses
// messages: the webhook handler answers a store error with 503, and not
// every vendor retries a 503 (Chatwoot agent bots retry only 429 and 500),
// so a customer message arriving during the outage would never be answered.
// The cost of failing open is bounded: a redelivery that reaches the same
// replica is still dropped, and one that reaches another replica during
// the outage may be handled twice, which the drivers' own replay guards
// (dedupe keys derived from the signed body) and the per-conversation guard
// keep rare. Ids claimed in memory are still honoured for their TTL after
// Redis comes back. After WithFailOpenFor the store fails closed (Claim
// returns an error matching ErrUnavailable), so a long outage does not run
// a fleet on per-replica dedupe indefinitely. WithFailClosed fails closed
// from the first error, for bots where a duplicate reply is worse than a
// lost one.
//
// # When Redis restarts empty
//
// Redis without persistence (no RDB or AOF) loses the claimed ids on a
// restart: a vendor redelivery of an event handled before the restart, and
// still within the dedupe TTL, is then handled again, once. Enable
// persistence (appendonly yes) where that matters.
package redisdedupe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Defaults.
const (
	// DefaultTimeout bounds one Redis round trip.
	DefaultTimeout = 250 * time.Millisecond
	// DefaultFailOpenFor is how long a continuous outage is bridged with
	// in-process dedupe before the store fails closed.
	DefaultFailOpenFor = 10 * time.Minute
	// retryEvery is how often, during an outage, one Claim asks Redis
	// whether it is back; the others go straight to memory.
	retryEvery = time.Second
	// DefaultPrefix is the key prefix when New gets an empty one.
	DefaultPrefix = "agentdesk:dedupe:"
)

// ErrUnavailable is matched (errors.Is) by the errors Claim and Release
// return when Redis cannot be used and the store does not fail open.
var ErrUnavailable = errors.New("redisdedupe: Redis unavailable")

// Store implements helpdesk.DedupeStore with SET NX PX.
type Store struct {
	client      redis.Cmdable
	prefix      string
	timeout     time.Duration
	failOpenFor time.Duration // 0: fail closed
	log         *slog.Logger
	now         func() time.Time
	mem         *helpdesk.MemoryDedupe

	mu          sync.Mutex
	outageSince time.Time // zero while Redis answers
	nextTry     time.Time // during an outage: when to ask Redis again
	memUntil    time.Time // ids claimed in memory may be live until then
}

var _ helpdesk.DedupeStore = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithTimeout bounds each Redis round trip (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("redisdedupe: timeout %s must be positive", d)
		}
		s.timeout = d
		return nil
	}
}

// WithFailOpenFor sets how long a continuous Redis outage is bridged with
// in-process dedupe before Claim fails (default DefaultFailOpenFor).
func WithFailOpenFor(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("redisdedupe: fail-open window %s must be positive", d)
		}
		s.failOpenFor = d
		return nil
	}
}

// WithFailClosed makes Claim fail (the handler answers 503) as soon as
// Redis cannot be used.
func WithFailClosed() Option {
	return func(s *Store) error {
		s.failOpenFor = 0
		return nil
	}
}

// WithLogger receives one warning when an outage starts and one line when
// it ends (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) error {
		if l != nil {
			s.log = l
		}
		return nil
	}
}

// WithClock sets the store's clock (tests).
func WithClock(now func() time.Time) Option {
	return func(s *Store) error {
		if now != nil {
			s.now = now
		}
		return nil
	}
}

// New returns a store keeping ids under prefix (default DefaultPrefix).
func New(client redis.Cmdable, prefix string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisdedupe: nil client")
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	s := &Store{
		client:      client,
		prefix:      prefix,
		timeout:     DefaultTimeout,
		failOpenFor: DefaultFailOpenFor,
		log:         slog.New(slog.DiscardHandler),
		now:         time.Now,
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.mem = helpdesk.NewMemoryDedupe(helpdesk.WithDedupeClock(s.now))
	return s, nil
}

// errTimeout is a round trip that took longer than the store's timeout.
var errTimeout = errors.New("no answer in time")

// call runs one Redis command bounded by the timeout. The go-redis client
// honours a context deadline only with ContextTimeoutEnabled, so the wait
// is bounded here.
func (s *Store) call(ctx context.Context, f func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ch := make(chan error, 1)
	go func() { ch <- f(cctx) }()
	select {
	case err := <-ch:
		return err
	case <-cctx.Done():
		if err := ctx.Err(); err != nil {
			return err
		}
		return errTimeout
	}
}

// Claim implements helpdesk.DedupeStore.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		ttl = helpdesk.DefaultDedupeTTL
	}
	if s.skipRedis() {
		return s.claimDuringOutage(ctx, key, ttl, errors.New("still unavailable"))
	}
	var fresh bool
	err := s.call(ctx, func(ctx context.Context) error {
		var err error
		fresh, err = s.client.SetNX(ctx, s.prefix+key, 1, ttl).Result()
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return s.claimDuringOutage(ctx, key, ttl, err)
	}
	s.recovered()
	if fresh && s.memLive() {
		// Claimed in memory during a recent outage: still a redelivery.
		return s.mem.Claim(ctx, key, ttl)
	}
	return fresh, nil
}

// skipRedis reports whether Redis is down and was tried less than
// retryEvery ago; otherwise the caller is the one to try it.
func (s *Store) skipRedis() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outageSince.IsZero() {
		return false
	}
	now := s.now()
	if now.Before(s.nextTry) {
		return true
	}
	s.nextTry = now.Add(retryEvery)
	return false
}

func (s *Store) claimDuringOutage(ctx context.Context, key string, ttl time.Duration, cause error) (bool, error) {
	now := s.now()
	s.mu.Lock()
	first := s.outageSince.IsZero()
	if first {
		s.outageSince = now
		s.nextTry = now.Add(retryEvery)
	}
	open := s.failOpenFor > 0 && now.Sub(s.outageSince) < s.failOpenFor
	if open {
		s.memUntil = maxTime(s.memUntil, now.Add(ttl))
	}
	s.mu.Unlock()
	if first {
		if open {
			s.log.Warn("redisdedupe: Redis unavailable, deduplicating in this process", "err", cause, "for_at_most", s.failOpenFor)
		} else {
			s.log.Warn("redisdedupe: Redis unavailable, refusing deliveries", "err", cause)
		}
	}
	if !open {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, cause)
	}
	return s.mem.Claim(ctx, key, ttl)
}

func (s *Store) recovered() {
	s.mu.Lock()
	was := !s.outageSince.IsZero()
	s.outageSince = time.Time{}
	s.mu.Unlock()
	if was {
		s.log.Info("redisdedupe: Redis reachable again")
	}
}

func (s *Store) memLive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now().Before(s.memUntil)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Release implements helpdesk.DedupeStore.
func (s *Store) Release(ctx context.Context, key string) error {
	_ = s.mem.Release(ctx, key)
	err := s.call(ctx, func(ctx context.Context) error { return s.client.Del(ctx, s.prefix+key).Err() })
	if err == nil || ctx.Err() != nil {
		return err
	}
	s.mu.Lock()
	open := s.failOpenFor > 0 && !s.outageSince.IsZero() && s.now().Sub(s.outageSince) < s.failOpenFor
	s.mu.Unlock()
	if open {
		// The id stays claimed in Redis (if Redis kept it) until its TTL:
		// a redelivery is then dropped, as it would be without Redis.
		return nil
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
