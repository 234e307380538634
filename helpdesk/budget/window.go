package budget

import (
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// A vendor that reports what is left of a limit together with when its
// window resets (Zendesk's ratelimit-remaining and ratelimit-reset, its
// Zendesk-RateLimit-tickets-update remaining and resets) counts in fixed
// windows and has said exactly how many more requests it will take before
// the reset. For a learning limit (Share > 0) the budget then spends that,
// as fast as calls come, instead of spreading the limit evenly over a
// rolling window: an even pace leaves part of a fixed window unused
// whenever calls come in bursts, and under overload finishes fewer
// conversations than a client that sends until the vendor says no. The
// vendor's figure counts everyone's requests (human agents' edits, other
// apps), so nothing is spent that others have used; Share below 1 leaves
// (1−Share) of the vendor's total in every window untouched, and each of
// WithReplicas(n) processes takes 1/n of what is left.
//
// Calls admitted but not yet answered are not in the vendor's figure:
// they are subtracted from it (a call whose answer never comes counts for
// the probe timeout). A 429 empties the window until its pause ends. When
// the window's reset passes without a new report, the token buckets pace
// again until the next answer.

// vendorWindow is what the vendor said is left of its current window.
type vendorWindow struct {
	end  time.Time // the vendor's reset; zero: nothing known
	left float64   // calls this process may still send before end
}

type windows struct {
	mu      sync.Mutex
	win     []vendorWindow
	pending [][]time.Time // admission times of calls not yet answered, per limit
}

func newWindows(n int) *windows {
	return &windows{win: make([]vendorWindow, n), pending: make([][]time.Time, n)}
}

// sameWindow reports whether a reset at end is the window already known:
// resets come in whole seconds, so two reports of one window may differ by
// up to a second.
func sameWindow(a, b time.Time) bool {
	d := a.Sub(b)
	return d < 1500*time.Millisecond && d > -1500*time.Millisecond
}

// admitFromWindow admits a call drawing on the limits idx when every one
// of them has a known vendor window with room, and returns ok. Otherwise,
// when a known window is spent (or its room is all in flight), it returns
// how long to wait before asking again; with neither, the buckets decide.
func (c *core) admitFromWindow(p transport.Priority, idx []int) (ok bool, wait time.Duration) {
	now := time.Now()
	ws := c.win
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, i := range idx {
		if c.limits[i].Share <= 0 {
			return false, 0
		}
		w := ws.win[i]
		if w.end.IsZero() || !now.Before(w.end) {
			return false, 0
		}
	}
	need := 1.0
	if p != transport.PriorityCritical {
		// Normal calls leave the window's last call to critical ones
		// (resolve, hand-over), as they leave a bucket's reserve.
		need += c.opts.reserve
	}
	for _, i := range idx {
		w := ws.win[i]
		if w.left >= need {
			continue
		}
		// Spent until the reset, unless calls in flight were counted
		// against what the vendor reported left and their answers (in
		// milliseconds) give some back.
		d := w.end.Sub(now)
		if w.left+float64(len(c.inFlight(i, now))) >= need {
			d = min(d, probePoll)
		}
		wait = max(wait, d)
	}
	if wait > 0 {
		return false, wait
	}
	for _, i := range idx {
		ws.win[i].left--
		ws.pending[i] = append(ws.pending[i], now)
	}
	return true, 0
}

// admitted records a call admitted by the buckets, so that its answer
// finds it in flight.
func (c *core) admitted(idx []int) {
	now := time.Now()
	c.win.mu.Lock()
	defer c.win.mu.Unlock()
	for _, i := range idx {
		c.win.pending[i] = append(c.win.pending[i], now)
	}
}

// answered takes one call drawing on idx out of flight (the oldest: one
// that never got an answer stops counting after the probe timeout anyway).
func (c *core) answered(idx []int, now time.Time) {
	c.win.mu.Lock()
	defer c.win.mu.Unlock()
	for _, i := range idx {
		c.win.pending[i] = c.inFlight(i, now)
		if len(c.win.pending[i]) > 0 {
			c.win.pending[i] = c.win.pending[i][1:]
		}
	}
}

// inFlight returns limit i's calls admitted within the probe timeout and
// not answered. c.win.mu is held.
func (c *core) inFlight(i int, now time.Time) []time.Time {
	p := c.win.pending[i]
	cut := now.Add(-c.opts.probeTimeout)
	n := 0
	for n < len(p) && p[n].Before(cut) {
		n++
	}
	return p[n:]
}

// reportWindow applies a vendor report of remaining calls in a window that
// resets after reset, to learning limit i.
func (c *core) reportWindow(i int, q Quota, now time.Time) {
	base := c.limits[i]
	if base.Share <= 0 || q.Reset <= 0 || q.Remaining < 0 {
		return
	}
	left := float64(q.Remaining)
	if q.Total > 0 {
		left -= (1 - base.Share) * float64(q.Total)
	}
	left /= float64(c.opts.replicas)
	end := now.Add(q.Reset)
	c.win.mu.Lock()
	defer c.win.mu.Unlock()
	left -= float64(len(c.inFlight(i, now)))
	w := &c.win.win[i]
	if sameWindow(end, w.end) {
		// Answers overtake each other: the lowest report is the latest.
		w.left = min(w.left, left)
		return
	}
	if end.After(w.end) {
		w.end, w.left = end, left
	}
}

// closeWindow empties limit i's window until at least until (a 429).
func (c *core) closeWindow(i int, until time.Time) {
	c.win.mu.Lock()
	defer c.win.mu.Unlock()
	w := &c.win.win[i]
	if until.After(w.end) {
		w.end = until
	}
	w.left = 0
}
