package budget

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Store keeps a shared budget's buckets, pauses and slow-downs outside the
// process, so that every replica of a service draws on one budget per
// helpdesk account. It is for store authors: helpdesk/budget/redisbudget
// implements it on Redis; users call that package's New, not NewSharedOn.
//
// Each method is one atomic step on the store's own clock, so replicas'
// clock skew does not matter. An error means the store cannot be used right
// now: the budget then runs on its local fallback (see Shared) and calls
// Ping until the store answers again. Limits are named by their index in
// the budget's limits.
type Store interface {
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Admit admits one call drawing on every bucket of a at once (GCRA:
	// all are charged, or none is), or reports the longest wait.
	Admit(ctx context.Context, a Admission) (StoreDecision, error)
	// Pause stops the limits for d (a vendor 429 or an exhausted quota).
	// A pause only grows. The record outlives the pause by keep, so the
	// probe that follows it can be tracked.
	Pause(ctx context.Context, limits []int, d, keep time.Duration) error
	// ClearPause ends the pauses on limits that are over: a response after
	// the pause means the probe got through.
	ClearPause(ctx context.Context, limits []int) error
	// Slow paces one limit at no more than one call per interval for d.
	Slow(ctx context.Context, limit int, interval, d time.Duration) error
}

// Admission is one admission attempt, as Store.Admit receives it.
type Admission struct {
	// Buckets are the limits the call draws on.
	Buckets []StoreBucket
	// Cold makes a bucket the store holds no record of start empty rather
	// than full: the budget has just come back from its fallback, which
	// may have spent the burst. The store must then record the empty
	// bucket whether or not the call is admitted, so that it refills from
	// now on; the budget clears Cold after one answer.
	Cold bool
	// ProbeTimeout: when a limit's pause is over, the admitted call is the
	// probe, and other calls wait up to ProbeTimeout for its answer
	// (ClearPause) before another probe may go.
	ProbeTimeout time.Duration
	// ProbePoll caps the wait reported while a probe is out, so that
	// callers notice its success quickly.
	ProbePoll time.Duration
}

// StoreBucket is one limit's token bucket within an Admission.
type StoreBucket struct {
	// Limit is the index of the limit in the budget's limits.
	Limit int
	// Burst tokens, refilled one per Interval, unless a Slow for this
	// limit asks for a longer interval.
	Interval time.Duration
	Burst    int
	// Need is how many tokens the bucket must hold for the call to go: 1
	// for a critical call, 1 plus the reserve for a normal one. One token
	// is charged.
	Need float64
}

// StoreDecision is a Store's answer to an Admission.
type StoreDecision struct {
	// Admitted: every bucket was charged.
	Admitted bool
	// Probing: the admitted call is the probe after a pause.
	Probing bool
	// Wait, when not admitted, is the longest wait any bucket needs; Limit
	// is that bucket's limit index, and Paused says the wait comes from a
	// pause or a probe rather than from pacing.
	Wait   time.Duration
	Limit  int
	Paused bool
}

// SharedConfig is what a store's opener gets from NewSharedOn, with the
// options already applied.
type SharedConfig struct {
	// Account and Limits as given to NewSharedOn; Limits is a copy.
	Account string
	Limits  []Limit
	// KeyPrefix is WithKeyPrefix's value, for the store's key names.
	KeyPrefix string
	// Timeout is WithStoreTimeout's value.
	Timeout time.Duration
}

// Shared is a budget whose state lives in a Store (redisbudget.New makes
// one on Redis), so that every replica of a service draws on one budget per
// helpdesk account.
//
// If the store cannot be reached (or answers slower than the store timeout,
// 500 ms by default) the budget falls back to an in-process budget of 1/n of
// every limit (WithReplicas), logs that once, and returns to the store as
// soon as it answers again. Vendor pauses (429) and slow-downs are written
// to the store, so one replica's 429 pauses them all.
//
// A replica cut off from a store that the others still reach adds its 1/n
// on top of the shared budget until it reconnects; the vendor's
// remaining-quota headers and 429 pauses absorb that excess.
type Shared struct {
	*core
	sb *storeBackend
}

var _ transport.Budget = (*Shared)(nil)

// NewSharedOn returns a budget for one helpdesk account (any label, e.g.
// "zendesk:acme"; replicas sharing a budget use the same label and limits)
// whose state lives in the Store that open returns. open gets the validated
// configuration and should check that the store answers; its error is
// returned as is. It is for store packages such as redisbudget.
func NewSharedOn(ctx context.Context, account string, limits []Limit, open func(context.Context, SharedConfig) (Store, error), opts ...Option) (*Shared, error) {
	if open == nil {
		return nil, configErr("nil store opener")
	}
	c, err := newCore(account, limits, opts)
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, max(c.opts.storeTimeout, time.Second))
	defer cancel()
	st, err := open(octx, SharedConfig{Account: account, Limits: append([]Limit(nil), c.limits...), KeyPrefix: c.opts.keyPrefix, Timeout: c.opts.storeTimeout})
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("budget: store opener returned nil")
	}
	sb := &storeBackend{
		store: st,
		opts:  c.opts,
		acct:  account,
		local: newLocalBackend(c.limits, c.opts.replicas, c.opts.reserve, c.opts.probeTimeout, true),
	}
	for _, l := range c.limits {
		bk := l.share(1)
		sb.buckets = append(sb.buckets, bk)
		sb.reserve = append(sb.reserve, reserveTokens(bk.burst, c.opts.reserve))
	}
	c.be = sb
	return &Shared{core: c, sb: sb}, nil
}

// Wait blocks until the call may be sent, the context ends, or the wait
// would exceed the call's MaxWait or the context's deadline; then it returns
// a *WaitError matching helpdesk.ErrRateLimited.
func (b *Shared) Wait(ctx context.Context, c transport.Call) error { return b.wait(ctx, c) }

// Observe feeds a response back: 429s pause every replica, remaining-quota
// headers slow every replica down.
func (b *Shared) Observe(c transport.Call, status int, h http.Header) { b.observe(c, status, h) }

// Degraded reports whether the budget is running on its local fallback
// because the store is unreachable.
func (b *Shared) Degraded() bool { return b.sb.down.Load() }

// storeBackend is the backend of a Shared budget: the store while it
// answers, the local 1/n fallback while it does not.
type storeBackend struct {
	store   Store
	opts    options
	acct    string
	mu      sync.RWMutex // guards buckets and reserve, which learning resizes
	buckets []bucket
	reserve []float64

	local *localBackend // 1/n fallback, also told every pause and slow-down

	down      atomic.Bool
	cold      atomic.Uint64 // limits (bits) whose missing buckets start empty
	checking  atomic.Bool   // a reconnect check is running
	nextCheck atomic.Int64  // unix ns of the next reconnect check
	pauseSeen atomic.Int64  // unix ns until which responses may end a pause
}

var errStoreTimeout = errors.New("budget: shared store did not answer in time")

// call runs one store operation bounded by the store timeout, whatever the
// store client's own timeouts are.
func (sb *storeBackend) call(ctx context.Context, f func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, sb.opts.storeTimeout)
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
		return errStoreTimeout
	}
}

// failed switches to the local fallback after a store error; it logs once
// per outage.
func (sb *storeBackend) failed(err error) {
	sb.nextCheck.Store(time.Now().Add(sb.opts.reconnectEvery).UnixNano())
	if sb.down.CompareAndSwap(false, true) {
		// The shared budget may just have spent the burst: start the
		// fallback empty so the switch cannot add a burst on top.
		sb.local.drain()
		sb.opts.logger.Warn("budget: shared store unreachable, using local fallback budget",
			"account", sb.acct, "share", "1/"+strconv.Itoa(sb.opts.replicas), "err", err)
	}
}

// usable reports whether to use the store now; while down it starts at
// most one background reconnect check per interval.
func (sb *storeBackend) usable() bool {
	if !sb.down.Load() {
		return true
	}
	if time.Now().UnixNano() >= sb.nextCheck.Load() && sb.checking.CompareAndSwap(false, true) {
		go func() {
			defer sb.checking.Store(false)
			if err := sb.call(context.Background(), sb.store.Ping); err != nil {
				sb.nextCheck.Store(time.Now().Add(sb.opts.reconnectEvery).UnixNano())
				return
			}
			// The store may have lost its data while down: every limit's
			// bucket starts empty until its first admission attempt
			// writes it, so the return cannot add a burst on top of
			// what the fallback sent.
			sb.cold.Store(1<<len(sb.buckets) - 1)
			if sb.down.CompareAndSwap(true, false) {
				sb.opts.logger.Info("budget: shared store reachable again, back to the shared budget", "account", sb.acct)
			}
		}()
	}
	return false
}

func (sb *storeBackend) try(ctx context.Context, p transport.Priority, idx []int) (decision, error) {
	if !sb.usable() {
		return sb.local.try(ctx, p, idx)
	}
	var mask uint64
	for _, i := range idx {
		mask |= 1 << i
	}
	a := Admission{Cold: sb.cold.Load()&mask != 0, ProbeTimeout: sb.opts.probeTimeout, ProbePoll: probePoll, Buckets: make([]StoreBucket, len(idx))}
	sb.mu.RLock()
	for j, i := range idx {
		need := 1.0
		if p != transport.PriorityCritical {
			need += sb.reserve[i]
		}
		a.Buckets[j] = StoreBucket{Limit: i, Interval: sb.buckets[i].interval, Burst: sb.buckets[i].burst, Need: need}
	}
	sb.mu.RUnlock()
	var sd StoreDecision
	err := sb.call(ctx, func(ctx context.Context) error {
		var err error
		sd, err = sb.store.Admit(ctx, a)
		return err
	})
	if err == nil && !sd.Admitted && (sd.Wait <= 0 || !contains(idx, sd.Limit)) {
		err = fmt.Errorf("store refused without a wait on a limit of the call: %+v", sd)
	}
	if err != nil {
		if ctx.Err() != nil {
			return decision{}, ctx.Err()
		}
		sb.failed(err)
		return sb.local.try(ctx, p, idx)
	}
	// The store has written the buckets of idx, admitted or not: later
	// attempts read their state. (Clearing the flag only on admission
	// kept an empty bucket from ever being written, so nothing was
	// admitted again.)
	if a.Cold {
		sb.cold.And(^mask)
	}
	if sd.Admitted {
		if sd.Probing {
			sb.notePause(2 * sb.opts.probeTimeout)
		}
		return decision{}, nil
	}
	d := decision{wait: sd.Wait, limit: sd.Limit, paused: sd.Paused}
	if d.paused {
		sb.notePause(d.wait + 2*sb.opts.probeTimeout)
	}
	return d, nil
}

func contains(idx []int, i int) bool {
	for _, j := range idx {
		if j == i {
			return true
		}
	}
	return false
}

// notePause remembers that a pause is (or was just) on, so that the next
// successful responses tell the store to end it. Without a pause in sight
// Observe costs no round trip to the store.
func (sb *storeBackend) notePause(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := sb.pauseSeen.Load()
		if cur >= until || sb.pauseSeen.CompareAndSwap(cur, until) {
			return
		}
	}
}

func (sb *storeBackend) pause(idx []int, d time.Duration) {
	sb.local.pause(idx, d)
	sb.notePause(d + 2*sb.opts.probeTimeout)
	if !sb.usable() {
		return
	}
	keep := 10 * sb.opts.probeTimeout
	if err := sb.call(context.Background(), func(ctx context.Context) error { return sb.store.Pause(ctx, idx, d, keep) }); err != nil {
		sb.failed(err)
	}
}

func (sb *storeBackend) clearPause(idx []int) {
	sb.local.clearPause(idx)
	if time.Now().UnixNano() > sb.pauseSeen.Load() || !sb.usable() {
		return
	}
	if err := sb.call(context.Background(), func(ctx context.Context) error { return sb.store.ClearPause(ctx, idx) }); err != nil {
		sb.failed(err)
	}
}

func (sb *storeBackend) resize(i int, l Limit) {
	sb.local.resize(i, l)
	bk := l.share(1)
	sb.mu.Lock()
	sb.buckets[i] = bk
	sb.reserve[i] = reserveTokens(bk.burst, sb.opts.reserve)
	sb.mu.Unlock()
}

func (sb *storeBackend) slow(i int, interval, d time.Duration) {
	sb.local.slow(i, interval, d)
	if !sb.usable() {
		return
	}
	if err := sb.call(context.Background(), func(ctx context.Context) error { return sb.store.Slow(ctx, i, interval, d) }); err != nil {
		sb.failed(err)
	}
}
