package lifecycle

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Kind is what a timer does when it fires.
type Kind byte

const (
	// KindReengage sends the re-engage message to a silent customer.
	KindReengage Kind = 'r'
	// KindAutoClose sends the closing message and resolves.
	KindAutoClose Kind = 'a'
	// KindCloseSolved moves a solved conversation to closed.
	KindCloseSolved Kind = 'c'
)

func (k Kind) String() string {
	switch k {
	case KindReengage:
		return "reengage"
	case KindAutoClose:
		return "auto-close"
	case KindCloseSolved:
		return "close-solved"
	}
	return "unknown"
}

// Timer is the one pending timer of a conversation: each conversation has
// at most one, as its steps follow each other (re-engage, then auto-close,
// then solved → closed).
type Timer struct {
	// Key is Conv.Key(): the timer's identity in the store.
	Key  string
	Kind Kind
	Conv helpdesk.Conversation
	// Count is how many re-engage messages were sent already.
	Count int
	// Attempt counts failed attempts of this action (retried with backoff).
	Attempt int
	// Sent is set on an auto-close whose closing message went out but
	// whose resolve failed: only the resolve is retried.
	Sent bool
	// Gen identifies this scheduling of the timer (16 hex digits): a
	// claimed timer is finished only if it was not replaced since, and
	// actions derive their idempotency key from it, so a timer fired on
	// two replicas (a lease that ran out) still posts once at vendors that
	// honour idempotency keys.
	Gen string
}

// Store holds pending timers. Durations are measured on the store's own
// clock (Redis time for the Redis store), so replicas' clock skew does not
// move due times. Implementations are safe for concurrent use.
type Store interface {
	// Put sets t.Key's timer to t (replacing any) due after d.
	Put(ctx context.Context, t Timer, d time.Duration) error
	// Cancel removes key's timer unless its kind is one of keep.
	Cancel(ctx context.Context, key string, keep ...Kind) error
	// Claim leases up to max due timers for lease: they are not handed
	// out again until the lease runs out (then another caller gets them:
	// a claimant that died loses nothing). It also returns how long until
	// the next timer is due (negative when unknown or none).
	Claim(ctx context.Context, max int, lease time.Duration) ([]Timer, time.Duration, error)
	// Finish completes a claimed timer: when its Gen is still current it
	// is removed, or replaced by next due after d when next is not nil. A
	// timer cancelled or replaced since the claim is left alone.
	Finish(ctx context.Context, claimed Timer, next *Timer, d time.Duration) error
}

// NewGen returns a fresh Timer.Gen.
func NewGen() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// GenLen is the length of Timer.Gen.
const GenLen = 16

type wire struct {
	Conv    helpdesk.Conversation `json:"c"`
	Count   int                   `json:"n,omitempty"`
	Attempt int                   `json:"a,omitempty"`
	Sent    bool                  `json:"s,omitempty"`
}

// Encode returns t as the compact value stores keep: the kind byte, the
// 16-digit Gen, then JSON. Stores that compare kinds or generations
// without decoding (a Redis script) rely on that layout.
func Encode(t Timer) ([]byte, error) {
	if len(t.Gen) != GenLen {
		return nil, errors.New("lifecycle: timer without a 16-digit Gen")
	}
	j, err := json.Marshal(wire{Conv: t.Conv, Count: t.Count, Attempt: t.Attempt, Sent: t.Sent})
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+GenLen+len(j))
	b = append(b, byte(t.Kind))
	b = append(b, t.Gen...)
	return append(b, j...), nil
}

// Decode is the inverse of Encode; key is the timer's Key.
func Decode(key string, b []byte) (Timer, error) {
	if len(b) < 1+GenLen {
		return Timer{}, errors.New("lifecycle: stored timer too short")
	}
	var w wire
	if err := json.Unmarshal(b[1+GenLen:], &w); err != nil {
		return Timer{}, err
	}
	return Timer{Key: key, Kind: Kind(b[0]), Gen: string(b[1 : 1+GenLen]), Conv: w.Conv, Count: w.Count, Attempt: w.Attempt, Sent: w.Sent}, nil
}

// MemoryStore keeps timers in this process: the default, for a single
// replica. Pending timers are lost when the process ends; use the Redis
// store (helpdesk/lifecycle/redislifecycle) to survive restarts and share
// timers between replicas.
type MemoryStore struct {
	now func() time.Time

	mu     sync.Mutex
	timers map[string]*memEntry
	due    memHeap
}

type memEntry struct {
	t     Timer
	at    time.Time
	index int
}

// NewMemoryStore returns an empty MemoryStore on the clock now (nil:
// time.Now).
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, timers: map[string]*memEntry{}}
}

// Len returns the number of pending timers.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.timers)
}

// Get returns key's pending timer.
func (m *MemoryStore) Get(key string) (Timer, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.timers[key]
	if !ok {
		return Timer{}, false
	}
	return e.t, true
}

// Pending is a timer taken out of a MemoryStore with its due time.
type Pending struct {
	Timer Timer
	Due   time.Time
}

// Take removes up to max timers and returns them with their due times (a
// store that kept timers during an outage hands them back with it).
func (m *MemoryStore) Take(max int) []Pending {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Pending
	for len(out) < max && len(m.due) > 0 {
		e := m.due[0]
		out = append(out, Pending{Timer: e.t, Due: e.at})
		m.removeLocked(e)
	}
	return out
}

// Local reports that every timer of this store is scheduled through this
// process, so Run need not poll it for timers added elsewhere.
func (m *MemoryStore) Local() bool { return true }

// Put implements Store.
func (m *MemoryStore) Put(_ context.Context, t Timer, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(t, m.now().Add(d))
	return nil
}

func (m *MemoryStore) putLocked(t Timer, at time.Time) {
	if e, ok := m.timers[t.Key]; ok {
		e.t, e.at = t, at
		heap.Fix(&m.due, e.index)
		return
	}
	e := &memEntry{t: t, at: at}
	m.timers[t.Key] = e
	heap.Push(&m.due, e)
}

func (m *MemoryStore) removeLocked(e *memEntry) {
	heap.Remove(&m.due, e.index)
	delete(m.timers, e.t.Key)
}

// Cancel implements Store.
func (m *MemoryStore) Cancel(_ context.Context, key string, keep ...Kind) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.timers[key]; ok && !slices.Contains(keep, e.t.Kind) {
		m.removeLocked(e)
	}
	return nil
}

// Claim implements Store.
func (m *MemoryStore) Claim(_ context.Context, max int, lease time.Duration) ([]Timer, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []Timer
	for len(out) < max && len(m.due) > 0 && !m.due[0].at.After(now) {
		e := m.due[0]
		out = append(out, e.t)
		e.at = now.Add(lease)
		heap.Fix(&m.due, 0)
	}
	if len(m.due) == 0 {
		return out, -1, nil
	}
	return out, max0(m.due[0].at.Sub(now)), nil
}

func max0(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// Finish implements Store.
func (m *MemoryStore) Finish(_ context.Context, claimed Timer, next *Timer, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.timers[claimed.Key]
	if !ok || e.t.Gen != claimed.Gen {
		return nil
	}
	if next == nil {
		m.removeLocked(e)
		return nil
	}
	m.putLocked(*next, m.now().Add(d))
	return nil
}

type memHeap []*memEntry

func (h memHeap) Len() int           { return len(h) }
func (h memHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h memHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *memHeap) Push(x any) {
	e := x.(*memEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *memHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
