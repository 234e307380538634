package budget

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// decision is a backend's answer to one admission attempt.
type decision struct {
	wait   time.Duration // zero: admitted
	limit  int           // index of the limit that needs the longest wait
	paused bool          // the wait is a vendor pause (or its probe)
}

// backend is the storage behind a budget: in-process buckets or a shared
// Store (with its local fallback).
type backend interface {
	// try admits one call drawing on the limits idx now, or says how long
	// to wait before trying again.
	try(ctx context.Context, p transport.Priority, idx []int) (decision, error)
	// pause stops the limits idx for d (vendor 429 or exhausted quota).
	pause(idx []int, d time.Duration)
	// clearPause ends pauses on idx that are over: a response after the
	// pause means the probe got through.
	clearPause(idx []int)
	// slow paces limit i at no more than one call per interval for d.
	slow(i int, interval, d time.Duration)
	// resize replaces limit i by l (a learned count).
	resize(i int, l Limit)
}

// core holds what the local and shared budgets have in common: the limits,
// the per-priority queues and the reading of vendor feedback.
type core struct {
	account string
	limits  []Limit
	opts    options
	be      backend

	gatesMu sync.Mutex
	gates   map[uint64]*gate

	backoffMu sync.Mutex
	strikes   []int // consecutive 429s without a Retry-After, per limit

	learnMu sync.Mutex
	current []Limit // limits as learned from the vendor's headers
	learned []bool  // a learned limit was logged

	win *windows // what the vendor said is left of its fixed windows
}

func newCore(account string, limits []Limit, opts []Option) (*core, error) {
	if account == "" {
		return nil, configErr("empty account")
	}
	if err := validateLimits(limits); err != nil {
		return nil, err
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return &core{
		account: account,
		limits:  append([]Limit(nil), limits...),
		opts:    o,
		gates:   map[uint64]*gate{},
		strikes: make([]int, len(limits)),
		current: append([]Limit(nil), limits...),
		learned: make([]bool, len(limits)),
		win:     newWindows(len(limits)),
	}, nil
}

// reserveTokens is how many tokens normal calls leave in limit i's bucket.
func reserveTokens(burst int, share float64) float64 {
	r := share * float64(burst)
	if max := float64(burst - 1); r > max {
		r = max
	}
	return r
}

func checkPriority(p transport.Priority) error {
	switch p {
	case transport.PriorityNormal, transport.PriorityCritical:
		return nil
	}
	return fmt.Errorf("%w: %d", ErrUnknownPriority, int(p))
}

// wait implements transport.Budget.Wait for both budgets.
//
// Calls of one priority that draw on the same limits queue in FIFO order in
// this process; only the head of each queue asks the backend, so a crowd of
// waiting goroutines costs one backend round trip per refill, not one each.
// Critical and normal calls queue separately, and the backend admits a
// waiting critical call before a normal one.
func (c *core) wait(ctx context.Context, call transport.Call) error {
	if err := checkPriority(call.Priority); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	idx := applicable(c.limits, call.Limits)
	if len(idx) == 0 {
		return nil
	}
	var deadline time.Time
	if call.MaxWait > 0 {
		deadline = time.Now().Add(call.MaxWait)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	// Calls continuing a conversation in progress queue apart from those
	// starting one, so that they can go first (see admitFromWindow).
	cont := c.continuing(call.Path)
	g := c.gate(call.Priority, idx, cont)
	if err := g.acquire(ctx, deadline); err != nil {
		return err
	}
	defer g.release()
	for {
		if ok, w := c.admitFromWindow(call.Priority, idx, cont, call.Path); ok {
			g.setNext(time.Time{})
			return nil
		} else if w > 0 {
			at := time.Now().Add(w)
			g.setNext(at)
			if !deadline.IsZero() && at.After(deadline) {
				return &WaitError{Wait: w, Limit: c.limits[idx[0]].Name}
			}
			if err := sleep(ctx, min(w, probePoll)); err != nil {
				return err
			}
			continue
		}
		d, err := c.be.try(ctx, call.Priority, idx)
		if err != nil {
			return err
		}
		if d.wait <= 0 {
			c.admitted(idx, call.Path)
			g.setNext(time.Time{})
			return nil
		}
		at := time.Now().Add(d.wait)
		g.setNext(at)
		if !deadline.IsZero() && at.After(deadline) {
			return &WaitError{Wait: d.wait, Limit: c.limits[d.limit].Name, Paused: d.paused}
		}
		if err := sleep(ctx, d.wait); err != nil {
			return err
		}
	}
}

// observe implements transport.Budget.Observe for both budgets.
func (c *core) observe(call transport.Call, status int, h http.Header) {
	idx := applicable(c.limits, call.Limits)
	now := time.Now()
	c.answered(idx, now)
	fb := c.opts.headers(status, h, now)
	pausing := status == http.StatusTooManyRequests || (status == http.StatusServiceUnavailable && fb.RetryAfter > 0)
	if pausing {
		targets := c.pauseTargets(idx, fb)
		d := fb.RetryAfter
		if d <= 0 {
			d = c.backoff(targets)
		}
		if len(targets) > 0 {
			c.be.pause(targets, d)
			for _, i := range targets {
				c.closeWindow(i, now.Add(d))
			}
		}
	} else {
		// Any other answer got past the vendor's limiter: a pause that
		// is over has been probed successfully.
		c.backoffMu.Lock()
		for _, i := range idx {
			c.strikes[i] = 0
		}
		c.backoffMu.Unlock()
		c.be.clearPause(idx)
	}
	for _, q := range fb.Quotas {
		if q.Total > 0 {
			for _, i := range c.quotaTargets(q) {
				c.learn(i, q)
			}
		}
		if q.Remaining < 0 {
			continue
		}
		for _, i := range c.quotaTargets(q) {
			c.reportWindow(i, q, now)
			l := c.limit(i)
			reset, rolling := q.Reset, false
			if reset <= 0 {
				reset, rolling = q.Window, true
				if reset <= 0 {
					reset = l.Window
				}
			}
			if q.Remaining == 0 {
				if !pausing {
					d := reset
					if rolling {
						// No reset time (HubSpot's daily cap resets at
						// midnight in the account's time zone): probe
						// again after a minute rather than a whole window.
						d = min(d, time.Minute)
					}
					c.be.pause([]int{i}, d)
				}
				continue
			}
			// A rolling window frees capacity continuously: pace only when
			// it is nearly used up.
			if rolling && q.Total > 0 && q.Remaining*4 > q.Total {
				continue
			}
			if iv := reset / time.Duration(q.Remaining); iv > l.interval() {
				c.be.slow(i, iv, reset)
			}
		}
	}
}

// limit returns limit i as currently learned.
func (c *core) limit(i int) Limit {
	c.learnMu.Lock()
	defer c.learnMu.Unlock()
	return c.current[i]
}

// Limits returns the budget's limits, with the counts learned from the
// vendor's headers so far.
func (c *core) Limits() []Limit {
	c.learnMu.Lock()
	defer c.learnMu.Unlock()
	return append([]Limit(nil), c.current...)
}

// learn applies a vendor-reported total to limit i when the limit learns
// (Share > 0) and the report is about its window.
func (c *core) learn(i int, q Quota) {
	base := c.limits[i]
	if base.Share <= 0 || (q.Window > 0 && q.Window != base.Window) {
		return
	}
	n := int(float64(q.Total) * base.Share)
	if n < 1 {
		n = 1
	}
	c.learnMu.Lock()
	cur := c.current[i]
	if cur.Count == n {
		first := !c.learned[i]
		c.learned[i] = true
		c.learnMu.Unlock()
		if first {
			c.logLearned(base, q, cur)
		}
		return
	}
	nl := base
	nl.Count = n
	if nl.Burst >= n {
		nl.Burst = 0
	}
	c.current[i] = nl
	first := !c.learned[i]
	c.learned[i] = true
	c.learnMu.Unlock()
	c.be.resize(i, nl)
	// Waits the queues expect were computed with the old size.
	c.gatesMu.Lock()
	for _, g := range c.gates {
		g.setNext(time.Time{})
	}
	c.gatesMu.Unlock()
	if first {
		c.logLearned(base, q, nl)
	}
}

// logLearned logs the first limit learned for base.
func (c *core) logLearned(base Limit, q Quota, using Limit) {
	c.opts.logger.Info("budget: learned the account's limit from the vendor's headers",
		"account", c.account, "limit", base.Name, "vendor_total", q.Total, "share", base.Share,
		"using", using.String(), "configured", base.String())
}

// pauseTargets returns the limits a 429 pauses: the endpoint limits the
// headers report as exhausted, or else every limit the call drew on.
func (c *core) pauseTargets(idx []int, fb Feedback) []int {
	var named []int
	for _, q := range fb.Quotas {
		if q.Remaining != 0 || q.Limit == "" {
			continue
		}
		for _, i := range c.quotaTargets(q) {
			if c.limits[i].PerEndpoint {
				named = append(named, i)
			}
		}
	}
	if len(named) > 0 {
		return named
	}
	return idx
}

// quotaTargets maps a quota report to configured limits.
func (c *core) quotaTargets(q Quota) []int {
	var out []int
	if q.Limit != "" {
		for i, l := range c.limits {
			if l.Name == q.Limit {
				out = append(out, i)
			}
		}
		return out
	}
	for i, l := range c.limits {
		if !l.PerEndpoint && q.Window > 0 && l.Window == q.Window {
			out = append(out, i)
		}
	}
	if len(out) > 0 {
		return out
	}
	for i, l := range c.limits {
		if !l.PerEndpoint {
			out = append(out, i)
		}
	}
	return out
}

// backoff is the pause after a 429 that gave no hint: 1 s, doubling with
// each consecutive 429, at most the longest window involved (and 1 min).
func (c *core) backoff(targets []int) time.Duration {
	c.backoffMu.Lock()
	defer c.backoffMu.Unlock()
	limit, strikes := time.Duration(0), 0
	for _, i := range targets {
		if w := c.limits[i].Window; w > limit {
			limit = w
		}
		if c.strikes[i] > strikes {
			strikes = c.strikes[i]
		}
		c.strikes[i]++
	}
	if limit > time.Minute {
		limit = time.Minute
	}
	d := time.Second
	for range min(strikes, 10) {
		d *= 2
	}
	return min(d, max(limit, time.Second))
}

func (c *core) gate(p transport.Priority, idx []int, cont bool) *gate {
	// Limits are at most maxLimits, so the set of limits, the priority
	// and whether the call continues a conversation fit in one word.
	key := uint64(p) << maxLimits
	if cont {
		key |= 1 << 63
	}
	for _, i := range idx {
		key |= 1 << i
	}
	c.gatesMu.Lock()
	defer c.gatesMu.Unlock()
	g := c.gates[key]
	if g == nil {
		g = &gate{ch: make(chan struct{}, 1)}
		c.gates[key] = g
	}
	return g
}

// gate is a FIFO queue of one: the goroutine holding it talks to the
// backend, the others wait their turn.
type gate struct {
	ch   chan struct{}
	mu   sync.Mutex
	next time.Time // when the head expects to be admitted
}

func (g *gate) setNext(t time.Time) {
	g.mu.Lock()
	g.next = t
	g.mu.Unlock()
}

func (g *gate) acquire(ctx context.Context, deadline time.Time) error {
	select {
	case g.ch <- struct{}{}:
		return nil
	default:
	}
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		g.mu.Lock()
		next := g.next
		g.mu.Unlock()
		if !next.IsZero() && next.After(deadline) {
			return &WaitError{Wait: time.Until(next)}
		}
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case g.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		g.mu.Lock()
		next := g.next
		g.mu.Unlock()
		return &WaitError{Wait: max(time.Until(next), 0)}
	}
}

func (g *gate) release() { <-g.ch }

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
