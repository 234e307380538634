// Package fault names the ways a helpdesk write fails under load, and
// draws them repeatably. It is shared by the conformance kit's fake vendor
// servers (helpdesk/drivertest.VendorServer fails HTTP requests) and the
// in-memory Fake (helpdesk/helpdesktest fails writes in memory), so that
// both inject the same faults with the same seeded draw. It links nothing
// but the standard library: production binaries may import helpdesktest.
package fault

import "math/rand/v2"

// Fault is one way a write can fail. The "after" kinds happen after the
// vendor processed the write (the message is posted), so the client sees
// a failure for a write that took effect: only reading the conversation
// back tells the two apart.
type Fault int

// The faults.
const (
	None Fault = iota
	// Status429 refuses the write with the vendor's 429 (not processed).
	Status429
	// Status503Before answers 503 without processing.
	Status503Before
	// Status500Before answers 500 without processing.
	Status500Before
	// Status500After processes the write, then answers 500.
	Status500After
	// Status503After processes the write, then answers 503.
	Status503After
	// TimeoutBefore fails as a client timeout, the write unprocessed.
	TimeoutBefore
	// TimeoutAfter processes the write, then fails as TimeoutBefore.
	TimeoutAfter
	// ResetBefore resets the connection without processing. On a reused
	// connection Go's net/http resends a request it deems replayable (one
	// with an Idempotency-Key header) by itself.
	ResetBefore
	// ResetAfter processes the write, then resets the connection.
	ResetAfter
)

// All is every Fault, the default mix of a draw.
var All = []Fault{Status429, Status503Before, Status500Before, Status500After, Status503After,
	TimeoutBefore, TimeoutAfter, ResetBefore, ResetAfter}

var names = map[Fault]string{None: "none", Status429: "429", Status503Before: "503-before", Status500Before: "500-before",
	Status500After: "500-after", Status503After: "503-after", TimeoutBefore: "timeout-before", TimeoutAfter: "timeout-after",
	ResetBefore: "reset-before", ResetAfter: "reset-after"}

func (f Fault) String() string {
	if n, ok := names[f]; ok {
		return n
	}
	return "fault?"
}

// Processed reports whether the write took effect before the fault.
func (f Fault) Processed() bool {
	return f == Status500After || f == Status503After || f == TimeoutAfter || f == ResetAfter
}

// Draw picks faults: a share rate of the writes fail, with a kind drawn
// uniformly from kinds (All when empty), repeatably for a seed when the
// writes come one at a time. It is not safe for concurrent use: callers
// hold their own lock.
type Draw struct {
	rate   float64
	kinds  []Fault
	rnd    *rand.Rand
	counts map[Fault]int
}

// NewDraw returns a Draw failing rate (0 to 1) of the writes.
func NewDraw(rate float64, seed uint64, kinds []Fault) *Draw {
	if len(kinds) == 0 {
		kinds = All
	}
	return &Draw{rate: rate, kinds: kinds, counts: map[Fault]int{},
		rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next returns the fault for the next write (None for most), counting it.
// A nil Draw or a zero rate never fails.
func (d *Draw) Next() Fault {
	if d == nil || d.rate <= 0 || d.rnd.Float64() >= d.rate {
		return None
	}
	f := d.kinds[d.rnd.IntN(len(d.kinds))]
	d.counts[f]++
	return f
}

// Stop makes Next return None from now on; Counts are kept.
func (d *Draw) Stop() {
	if d != nil {
		d.rate = 0
	}
}

// Counts returns how many faults of each kind Next returned.
func (d *Draw) Counts() map[Fault]int {
	out := map[Fault]int{}
	if d != nil {
		for k, v := range d.counts {
			out[k] = v
		}
	}
	return out
}
