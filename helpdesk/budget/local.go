package budget

import (
	"context"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Local is an in-process budget built on golang.org/x/time/rate. It is exact
// for a single process. With WithReplicas(n) it takes 1/n of every limit, a
// safe static split for n processes that share no store (redisbudget).
type Local struct {
	*core
	lb *localBackend
}

var _ transport.Budget = (*Local)(nil)

// NewLocal returns an in-process budget for one helpdesk account (any
// label, e.g. "zendesk:acme") with the given limits.
func NewLocal(account string, limits []Limit, opts ...Option) (*Local, error) {
	c, err := newCore(account, limits, opts)
	if err != nil {
		return nil, err
	}
	lb := newLocalBackend(c.limits, c.opts.replicas, c.opts.reserve, c.opts.probeTimeout, false)
	c.be = lb
	// One process (or a static 1/n split) knows every call it has in
	// flight, so it may spend what a fixed window has left; a Shared
	// budget's replicas do not, and their store paces them instead.
	c.win.enabled = true
	return &Local{core: c, lb: lb}, nil
}

// Wait blocks until the call may be sent, the context ends, or the wait
// would exceed the call's MaxWait or the context's deadline; then it returns
// a *WaitError matching helpdesk.ErrRateLimited.
func (b *Local) Wait(ctx context.Context, c transport.Call) error { return b.wait(ctx, c) }

// Observe feeds a response back: 429s pause the budget, remaining-quota
// headers slow it down.
func (b *Local) Observe(c transport.Call, status int, h http.Header) { b.observe(c, status, h) }

// probePoll bounds how long callers sleep while a probe is out, so they
// notice its success quickly.
const probePoll = 50 * time.Millisecond

type localLimit struct {
	lim       *rate.Limiter
	base      rate.Limit
	slowUntil time.Time
	paused    bool      // a pause is on, or over but not yet confirmed by a probe
	pauseEnd  time.Time // end of the pause
	probeEnd  time.Time // while a probe is out: when another may go
}

type localBackend struct {
	mu      sync.Mutex
	limits  []localLimit
	reserve []float64 // tokens normal calls leave, per limit
	share   int
	// reserveShare is the share of each bucket kept for critical calls.
	reserveShare float64
	probeTO      time.Duration
}

// newLocalBackend builds one bucket per limit, taking 1/share of each. A
// cold backend starts with empty buckets: it replaces a shared budget that
// may just have spent the burst.
func newLocalBackend(limits []Limit, share int, reserve float64, probeTO time.Duration, cold bool) *localBackend {
	lb := &localBackend{share: share, probeTO: probeTO, reserveShare: reserve}
	now := time.Now()
	for _, l := range limits {
		bk := l.share(share)
		r := rate.Limit(bk.rate())
		lim := rate.NewLimiter(r, bk.burst)
		if cold {
			lim.ReserveN(now, bk.burst)
		}
		lb.limits = append(lb.limits, localLimit{lim: lim, base: r})
		lb.reserve = append(lb.reserve, reserveTokens(bk.burst, reserve))
	}
	return lb
}

func (lb *localBackend) try(_ context.Context, p transport.Priority, idx []int) (decision, error) {
	now := time.Now()
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var d decision
	var probes []int
	for _, i := range idx {
		l := &lb.limits[i]
		if !l.slowUntil.IsZero() && !now.Before(l.slowUntil) {
			l.lim.SetLimitAt(now, l.base)
			l.slowUntil = time.Time{}
		}
		if l.paused {
			switch {
			case now.Before(l.pauseEnd):
				d = worse(d, decision{wait: l.pauseEnd.Sub(now), limit: i, paused: true})
			case now.Before(l.probeEnd):
				d = worse(d, decision{wait: min(l.probeEnd.Sub(now), probePoll), limit: i, paused: true})
			default:
				probes = append(probes, i)
			}
		}
		need := 1.0
		if p != transport.PriorityCritical {
			need += lb.reserve[i]
		}
		if tok := l.lim.TokensAt(now); tok < need {
			w := time.Duration((need - tok) / float64(l.lim.Limit()) * float64(time.Second))
			d = worse(d, decision{wait: max(w, time.Microsecond), limit: i})
		}
	}
	if d.wait > 0 {
		return d, nil
	}
	for _, i := range idx {
		lb.limits[i].lim.AllowN(now, 1)
	}
	for _, i := range probes {
		lb.limits[i].probeEnd = now.Add(lb.probeTO)
	}
	return decision{}, nil
}

// drain empties every bucket.
func (lb *localBackend) drain() {
	now := time.Now()
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for i := range lb.limits {
		l := lb.limits[i].lim
		if tok := l.TokensAt(now); tok > 0 {
			l.ReserveN(now, int(tok))
		}
	}
}

func worse(a, b decision) decision {
	if b.wait > a.wait {
		return b
	}
	return a
}

func (lb *localBackend) pause(idx []int, d time.Duration) {
	end := time.Now().Add(d)
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for _, i := range idx {
		l := &lb.limits[i]
		if !l.paused || end.After(l.pauseEnd) {
			l.pauseEnd = end
		}
		l.paused = true
		l.probeEnd = time.Time{}
	}
}

func (lb *localBackend) clearPause(idx []int) {
	now := time.Now()
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for _, i := range idx {
		l := &lb.limits[i]
		if l.paused && !now.Before(l.pauseEnd) {
			l.paused = false
			l.probeEnd = time.Time{}
		}
	}
}

func (lb *localBackend) resize(i int, l Limit) {
	bk := l.share(lb.share)
	r := rate.Limit(bk.rate())
	now := time.Now()
	lb.mu.Lock()
	defer lb.mu.Unlock()
	ll := &lb.limits[i]
	// Tokens carry over (capped by the new burst): learning a larger
	// limit adds rate, not a burst.
	ll.lim.SetBurstAt(now, bk.burst)
	if ll.slowUntil.IsZero() || r < ll.lim.Limit() {
		ll.lim.SetLimitAt(now, r)
	}
	ll.base = r
	lb.reserve[i] = reserveTokens(bk.burst, lb.reserveShare)
}

func (lb *localBackend) slow(i int, interval, d time.Duration) {
	now := time.Now()
	// The vendor's remaining quota is global: this process takes its share.
	r := rate.Every(interval * time.Duration(lb.share))
	lb.mu.Lock()
	defer lb.mu.Unlock()
	l := &lb.limits[i]
	if r >= l.base {
		return
	}
	// The latest report is the freshest view of the vendor's window.
	l.lim.SetLimitAt(now, r)
	l.slowUntil = now.Add(d)
}
