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
// WithReplicas(n) processes takes 1/n of what is left. Only a Local budget
// does this: the replicas of a Shared one cannot see each other's calls in
// flight, and their store paces them.
//
// When demand exceeds the limit, the order matters: a conversation gets
// its answer only once all its calls went (three message parts and a
// resolve, say), and serving waiting calls in turn gives every waiting
// conversation one part and finishes none. Calls to a resource a call was
// admitted for within the last continueFor (the same ticket or
// conversation: transport.Call.Path) continue a conversation in progress
// and queue apart. In a window that follows a spent one, a call starting a
// conversation waits until no call is in flight, which is when a
// continuing call would have come, so that conversations in progress
// finish first.
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
	// spent: a call had to wait for the reset. overload: the window
	// before this one was spent, so demand exceeds the limit.
	spent, overload bool
}

type windows struct {
	enabled bool // Local budgets only: see NewLocal
	mu      sync.Mutex
	win     []vendorWindow
	pending [][]time.Time // admission times of calls not yet answered, per limit
	seen    map[string]time.Time
	swept   time.Time
}

// continueFor is how long after a call for a resource another call for it
// continues the same conversation: longer than a spent window's wait.
const continueFor = 2 * time.Minute

// maxSeen bounds the resources remembered; beyond it the oldest are
// forgotten first (swept every few seconds at most).
const maxSeen = 1 << 14

func newWindows(n int) *windows {
	return &windows{win: make([]vendorWindow, n), pending: make([][]time.Time, n), seen: map[string]time.Time{}}
}

// continuing reports whether a call for path continues a conversation in
// progress.
func (c *core) continuing(path string) bool {
	if path == "" {
		return false
	}
	c.win.mu.Lock()
	defer c.win.mu.Unlock()
	at, ok := c.win.seen[path]
	return ok && time.Since(at) < continueFor
}

// remember records that a call for path was admitted. c.win.mu is held.
func (c *core) remember(path string, now time.Time) {
	if path == "" {
		return
	}
	ws := c.win
	ws.seen[path] = now
	if len(ws.seen) <= maxSeen || now.Sub(ws.swept) < 5*time.Second {
		return
	}
	ws.swept = now
	cut := now.Add(-continueFor)
	for p, at := range ws.seen {
		if at.Before(cut) {
			delete(ws.seen, p)
		}
	}
	// Still too many conversations in progress: forget any.
	for p := range ws.seen {
		if len(ws.seen) <= maxSeen/2 {
			break
		}
		delete(ws.seen, p)
	}
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
func (c *core) admitFromWindow(p transport.Priority, idx []int, cont bool, path string) (ok bool, wait time.Duration) {
	if !c.win.enabled {
		return false, 0
	}
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
		} else {
			ws.win[i].spent = true
		}
		wait = max(wait, d)
	}
	if wait > 0 {
		return false, wait
	}
	if p != transport.PriorityCritical && !cont {
		// Under overload a new conversation waits its turn while calls
		// in flight may bring continuing calls.
		for _, i := range idx {
			if ws.win[i].overload && len(c.inFlight(i, now)) > 0 {
				return false, probePoll
			}
		}
	}
	for _, i := range idx {
		ws.win[i].left--
		ws.pending[i] = append(ws.pending[i], now)
	}
	c.remember(path, now)
	return true, 0
}

// admitted records a call admitted by the buckets, so that its answer
// finds it in flight.
func (c *core) admitted(idx []int, path string) {
	now := time.Now()
	c.win.mu.Lock()
	defer c.win.mu.Unlock()
	for _, i := range idx {
		c.win.pending[i] = append(c.win.pending[i], now)
	}
	c.remember(path, now)
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
	if !c.win.enabled || base.Share <= 0 || q.Reset <= 0 || q.Remaining < 0 {
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
		*w = vendorWindow{end: end, left: left, overload: w.spent && end.Sub(w.end) < 2*base.Window}
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
	w.left, w.spent = 0, true
}
