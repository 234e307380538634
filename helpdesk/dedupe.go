package helpdesk

import (
	"context"
	"sync"
	"time"
)

// DedupeStore remembers webhook delivery ids so redeliveries are dropped.
// Implementations must be safe for concurrent use; a store shared by
// replicas (Redis SET NX) lets a fleet drop duplicates together.
type DedupeStore interface {
	// Claim records key for ttl and reports true if it was not already
	// recorded (the caller should process the event).
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Release forgets key, so a redelivery after a failed handling is
	// processed again.
	Release(ctx context.Context, key string) error
}

// DefaultMemoryDedupeKeys is how many keys a MemoryDedupe holds at most
// by default: about 100 MB at the typical key size, and a day of a busy
// bot's deliveries.
const DefaultMemoryDedupeKeys = 1 << 20

// MemoryDedupe is an in-process DedupeStore, bounded by age and by size.
// Keys are kept in the order they were claimed; every Claim drops a few
// expired keys from the oldest end, so memory follows the keys live within
// the TTL without a pause proportional to the store's size. When the store
// is full the oldest key is dropped even if it has not expired: a
// redelivery of that event would then be processed again, which is why the
// bound is generous (WithMaxKeys).
//
// A store of at least 64Ki keys (the default is 1Mi) is split by key into
// 32 parts with a lock each, so that concurrent deliveries do not queue on
// one lock; the size bound and the oldest-first order then hold per part
// (a full part drops its own oldest key).
type MemoryDedupe struct {
	parts []dedupePart
	max   int
	now   func() time.Time
}

// dedupePart is one lock's share of a MemoryDedupe.
type dedupePart struct {
	mu   sync.Mutex
	keys map[string]time.Time
	// order holds claims oldest first, from head on; entries whose key
	// was released or claimed again are skipped when reached.
	order []claimed
	head  int
	max   int
	_     [64]byte // keeps neighbouring parts' locks off one cache line
}

type claimed struct {
	key string
	exp time.Time
}

// MemoryDedupeOption configures NewMemoryDedupe.
type MemoryDedupeOption func(*MemoryDedupe)

// WithMaxKeys bounds how many keys the store holds (default
// DefaultMemoryDedupeKeys; values below 1 keep the default).
func WithMaxKeys(n int) MemoryDedupeOption {
	return func(m *MemoryDedupe) {
		if n > 0 {
			m.max = n
		}
	}
}

// WithDedupeClock sets the store's clock (tests).
func WithDedupeClock(now func() time.Time) MemoryDedupeOption {
	return func(m *MemoryDedupe) {
		if now != nil {
			m.now = now
		}
	}
}

// Splitting the store: dedupeParts parts once it holds at least
// minSplitKeys keys, so each part's bound stays large.
const (
	dedupeParts  = 32
	minSplitKeys = 1 << 16
)

// NewMemoryDedupe returns an empty in-memory store.
func NewMemoryDedupe(opts ...MemoryDedupeOption) *MemoryDedupe {
	m := &MemoryDedupe{now: time.Now, max: DefaultMemoryDedupeKeys}
	for _, o := range opts {
		o(m)
	}
	n := 1
	if m.max >= minSplitKeys {
		n = dedupeParts
	}
	m.parts = make([]dedupePart, n)
	for i := range m.parts {
		m.parts[i].keys = make(map[string]time.Time)
		m.parts[i].max = (m.max + n - 1) / n
	}
	return m
}

// part returns the part holding key.
func (m *MemoryDedupe) part(key string) *dedupePart {
	if len(m.parts) == 1 {
		return &m.parts[0]
	}
	// FNV-1a: cheap, and spreads the vendors' ids, which share prefixes.
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return &m.parts[h%uint32(len(m.parts))]
}

// sweepPerClaim is how many entries one Claim may drop from the oldest end
// at most: more than one, so the store shrinks faster than it grows.
const sweepPerClaim = 4

// Claim implements DedupeStore.
func (m *MemoryDedupe) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := m.now()
	p := m.part(key)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.claim(key, now, ttl), nil
}

func (m *dedupePart) claim(key string, now time.Time, ttl time.Duration) bool {
	m.sweep(now, sweepPerClaim)
	if exp, ok := m.keys[key]; ok && now.Before(exp) {
		return false
	}
	for len(m.keys) >= m.max && m.head < len(m.order) {
		m.dropOldest()
	}
	exp := now.Add(ttl)
	m.keys[key] = exp
	m.order = append(m.order, claimed{key: key, exp: exp})
	if len(m.order)-m.head > 2*len(m.keys)+1024 {
		m.compact()
	}
	return true
}

// compact drops the entries of released or re-claimed keys. It runs when
// they outnumber the live keys, so its cost is amortised over at least as
// many claims as it copies.
func (m *dedupePart) compact() {
	live := m.order[:0]
	for _, c := range m.order[m.head:] {
		if exp, ok := m.keys[c.key]; ok && exp.Equal(c.exp) {
			live = append(live, c)
		}
	}
	clear(m.order[len(live):])
	m.order = live
	m.head = 0
}

// sweep drops up to n expired or stale entries from the oldest end.
func (m *dedupePart) sweep(now time.Time, n int) {
	for ; n > 0 && m.head < len(m.order); n-- {
		c := m.order[m.head]
		if exp, ok := m.keys[c.key]; ok && exp.Equal(c.exp) {
			if now.Before(exp) {
				return
			}
			delete(m.keys, c.key)
		}
		m.pop()
	}
}

// dropOldest removes the oldest live key (and the stale entries before it).
func (m *dedupePart) dropOldest() {
	for m.head < len(m.order) {
		c := m.order[m.head]
		m.pop()
		if exp, ok := m.keys[c.key]; ok && exp.Equal(c.exp) {
			delete(m.keys, c.key)
			return
		}
	}
}

func (m *dedupePart) pop() {
	m.order[m.head] = claimed{}
	m.head++
	// Reclaim the slice's front once it is mostly consumed; the copy is
	// proportional to what is live and happens once per that many pops.
	if m.head > 1024 && m.head*2 > len(m.order) {
		n := copy(m.order, m.order[m.head:])
		clear(m.order[n:])
		m.order = m.order[:n]
		m.head = 0
	}
}

// Release implements DedupeStore.
func (m *MemoryDedupe) Release(_ context.Context, key string) error {
	p := m.part(key)
	p.mu.Lock()
	delete(p.keys, key)
	p.mu.Unlock()
	return nil
}

// Len returns how many keys are held (expired ones included until swept).
func (m *MemoryDedupe) Len() int {
	n := 0
	for i := range m.parts {
		p := &m.parts[i]
		p.mu.Lock()
		n += len(p.keys)
		p.mu.Unlock()
	}
	return n
}
