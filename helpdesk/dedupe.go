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

// MemoryDedupe is an in-process DedupeStore. Expired keys are swept as new
// ones arrive, so memory stays proportional to the keys live within the TTL.
type MemoryDedupe struct {
	mu        sync.Mutex
	keys      map[string]time.Time
	now       func() time.Time
	lastSweep time.Time
}

// NewMemoryDedupe returns an empty in-memory store.
func NewMemoryDedupe() *MemoryDedupe {
	return &MemoryDedupe{keys: make(map[string]time.Time), now: time.Now}
}

// Claim implements DedupeStore.
func (m *MemoryDedupe) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if now.Sub(m.lastSweep) > time.Minute || len(m.keys) > 1<<16 && now.Sub(m.lastSweep) > time.Second {
		for k, exp := range m.keys {
			if !now.Before(exp) {
				delete(m.keys, k)
			}
		}
		m.lastSweep = now
	}
	if exp, ok := m.keys[key]; ok && now.Before(exp) {
		return false, nil
	}
	m.keys[key] = now.Add(ttl)
	return true, nil
}

// Release implements DedupeStore.
func (m *MemoryDedupe) Release(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.keys, key)
	m.mu.Unlock()
	return nil
}

// Len returns how many keys are held (expired ones included until swept).
func (m *MemoryDedupe) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}
