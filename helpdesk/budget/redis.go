package budget

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Shared is a budget kept in Redis, so that every replica of a service
// draws on one budget per helpdesk account. Each decision is one atomic Lua
// script on Redis's clock (GCRA), so replicas' clock skew does not matter.
//
// If Redis cannot be reached (or answers slower than the Redis timeout,
// 500 ms by default) the budget falls back to an in-process budget of 1/n of
// every limit (WithReplicas), logs that once, and returns to Redis as soon
// as it answers again. Vendor pauses (429) and slow-downs are stored in
// Redis, so one replica's 429 pauses them all.
//
// A replica cut off from a Redis that the others still reach adds its 1/n
// on top of the shared budget until it reconnects; the vendor's
// remaining-quota headers and 429 pauses absorb that excess.
type Shared struct {
	*core
	rb *redisBackend
}

var _ transport.Budget = (*Shared)(nil)

// NewShared returns a Redis-backed budget for one helpdesk account (any
// label, e.g. "zendesk:acme"; replicas sharing a budget use the same
// label and limits). It checks that Redis answers and fails with an error
// if it does not.
func NewShared(ctx context.Context, client redis.UniversalClient, account string, limits []Limit, opts ...Option) (*Shared, error) {
	if client == nil {
		return nil, configErr("nil Redis client")
	}
	c, err := newCore(account, limits, opts)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(account, "{}") {
		return nil, configErr("account %q may not contain braces", account)
	}
	rb := &redisBackend{
		client: client,
		opts:   c.opts,
		acct:   account,
		local:  newLocalBackend(c.limits, c.opts.replicas, c.opts.reserve, c.opts.probeTimeout, true),
	}
	base := c.opts.keyPrefix + "{" + account + "}:"
	for _, l := range c.limits {
		k := fmt.Sprintf("%s%s@%d:", base, l.Name, l.Window.Milliseconds())
		rb.keys = append(rb.keys, [3]string{k + "tat", k + "pause", k + "slow"})
		bk := l.share(1)
		rb.interval = append(rb.interval, bk.interval)
		rb.burst = append(rb.burst, bk.burst)
		rb.reserve = append(rb.reserve, reserveTokens(bk.burst, c.opts.reserve))
	}
	pctx, cancel := context.WithTimeout(ctx, max(c.opts.redisTimeout, time.Second))
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		return nil, fmt.Errorf("budget: Redis unreachable: %w", err)
	}
	for _, s := range []*redis.Script{admitScript, pauseScript, clearScript, slowScript} {
		if err := s.Load(pctx, client).Err(); err != nil {
			return nil, fmt.Errorf("budget: loading Lua script into Redis: %w", err)
		}
	}
	c.be = rb
	return &Shared{core: c, rb: rb}, nil
}

// Wait blocks until the call may be sent, the context ends, or the wait
// would exceed the call's MaxWait or the context's deadline; then it returns
// a *WaitError matching helpdesk.ErrRateLimited.
func (b *Shared) Wait(ctx context.Context, c transport.Call) error { return b.wait(ctx, c) }

// Observe feeds a response back: 429s pause every replica, remaining-quota
// headers slow every replica down.
func (b *Shared) Observe(c transport.Call, status int, h http.Header) { b.observe(c, status, h) }

// Degraded reports whether the budget is running on its local fallback
// because Redis is unreachable.
func (b *Shared) Degraded() bool { return b.rb.down.Load() }

type redisBackend struct {
	client   redis.UniversalClient
	opts     options
	acct     string
	keys     [][3]string
	interval []time.Duration
	burst    []int
	reserve  []float64

	local *localBackend // 1/n fallback, also told every pause and slow-down

	down      atomic.Bool
	cold      atomic.Bool  // next admission initialises missing buckets as empty
	checking  atomic.Bool  // a reconnect check is running
	nextCheck atomic.Int64 // unix ns of the next reconnect check
	pauseSeen atomic.Int64 // unix ns until which responses may end a pause
}

var errRedisTimeout = errors.New("budget: Redis did not answer in time")

// run executes a script, bounded by the Redis timeout whatever the client's
// own timeouts are.
func (rb *redisBackend) run(ctx context.Context, s *redis.Script, keys []string, args ...any) (any, error) {
	cctx, cancel := context.WithTimeout(ctx, rb.opts.redisTimeout)
	defer cancel()
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := s.Run(cctx, rb.client, keys, args...).Result()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-cctx.Done():
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, errRedisTimeout
	}
}

// failed switches to the local fallback after a Redis error; it logs once
// per outage.
func (rb *redisBackend) failed(err error) {
	rb.nextCheck.Store(time.Now().Add(rb.opts.reconnectEvery).UnixNano())
	if rb.down.CompareAndSwap(false, true) {
		// The shared budget may just have spent the burst: start the
		// fallback empty so the switch cannot add a burst on top.
		rb.local.drain()
		rb.opts.logger.Warn("budget: Redis unreachable, using local fallback budget",
			"account", rb.acct, "share", "1/"+strconv.Itoa(rb.opts.replicas), "err", err)
	}
}

// usable reports whether to use Redis now; while down it starts at most
// one background reconnect check per interval.
func (rb *redisBackend) usable() bool {
	if !rb.down.Load() {
		return true
	}
	if time.Now().UnixNano() >= rb.nextCheck.Load() && rb.checking.CompareAndSwap(false, true) {
		go func() {
			defer rb.checking.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), rb.opts.redisTimeout)
			defer cancel()
			if err := rb.client.Ping(ctx).Err(); err != nil {
				rb.nextCheck.Store(time.Now().Add(rb.opts.reconnectEvery).UnixNano())
				return
			}
			rb.cold.Store(true)
			if rb.down.CompareAndSwap(true, false) {
				rb.opts.logger.Info("budget: Redis reachable again, back to the shared budget", "account", rb.acct)
			}
		}()
	}
	return false
}

func (rb *redisBackend) try(ctx context.Context, p transport.Priority, idx []int) (decision, error) {
	if !rb.usable() {
		return rb.local.try(ctx, p, idx)
	}
	keys := make([]string, 0, 3*len(idx))
	args := make([]any, 0, 4+3*len(idx))
	cold := "0"
	if rb.cold.Load() {
		cold = "1"
	}
	args = append(args, len(idx), rb.opts.probeTimeout.Microseconds(), cold, probePoll.Microseconds())
	for _, i := range idx {
		keys = append(keys, rb.keys[i][:]...)
		need := 1.0
		if p != transport.PriorityCritical {
			need += rb.reserve[i]
		}
		args = append(args, rb.interval[i].Microseconds(), rb.burst[i], strconv.FormatFloat(need, 'f', 6, 64))
	}
	v, err := rb.run(ctx, admitScript, keys, args...)
	if err != nil {
		if ctx.Err() != nil {
			return decision{}, ctx.Err()
		}
		rb.failed(err)
		return rb.local.try(ctx, p, idx)
	}
	res, ok := v.([]any)
	if !ok || len(res) != 5 {
		rb.failed(fmt.Errorf("unexpected script result %v", v))
		return rb.local.try(ctx, p, idx)
	}
	n := func(i int) int64 { x, _ := res[i].(int64); return x }
	if n(0) == 1 {
		if cold == "1" {
			rb.cold.Store(false)
		}
		if n(4) == 1 {
			rb.notePause(2 * rb.opts.probeTimeout)
		}
		return decision{}, nil
	}
	d := decision{wait: time.Duration(n(1)) * time.Microsecond, paused: n(2) >= 2}
	if w := int(n(3)); w >= 1 && w <= len(idx) {
		d.limit = idx[w-1]
	}
	if d.paused {
		rb.notePause(d.wait + 2*rb.opts.probeTimeout)
	}
	return d, nil
}

// notePause remembers that a pause is (or was just) on, so that the next
// successful responses tell Redis to end it. Without a pause in sight
// Observe costs no Redis round trip.
func (rb *redisBackend) notePause(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := rb.pauseSeen.Load()
		if cur >= until || rb.pauseSeen.CompareAndSwap(cur, until) {
			return
		}
	}
}

func (rb *redisBackend) pauseKeys(idx []int) []string {
	keys := make([]string, len(idx))
	for j, i := range idx {
		keys[j] = rb.keys[i][1]
	}
	return keys
}

func (rb *redisBackend) pause(idx []int, d time.Duration) {
	rb.local.pause(idx, d)
	rb.notePause(d + 2*rb.opts.probeTimeout)
	if !rb.usable() {
		return
	}
	extra := (10 * rb.opts.probeTimeout).Milliseconds()
	if _, err := rb.run(context.Background(), pauseScript, rb.pauseKeys(idx), d.Microseconds(), extra); err != nil {
		rb.failed(err)
	}
}

func (rb *redisBackend) clearPause(idx []int) {
	rb.local.clearPause(idx)
	if time.Now().UnixNano() > rb.pauseSeen.Load() || !rb.usable() {
		return
	}
	if _, err := rb.run(context.Background(), clearScript, rb.pauseKeys(idx)); err != nil {
		rb.failed(err)
	}
}

func (rb *redisBackend) slow(i int, interval, d time.Duration) {
	rb.local.slow(i, interval, d)
	if !rb.usable() {
		return
	}
	if _, err := rb.run(context.Background(), slowScript, []string{rb.keys[i][2]}, interval.Microseconds(), d.Microseconds()); err != nil {
		rb.failed(err)
	}
}
