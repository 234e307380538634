package hubspot

import (
	"context"
	"slices"
	"sync"
	"time"
)

// AssociationStore keeps which tickets the ticket-created workflow
// reported for each thread, for the handovers that need the thread's
// ticket when the API does not say it (accounts on the older Inbox). The
// default is a MemoryStore; replicas share one on Redis
// (hubspot/redisassoc).
type AssociationStore interface {
	// Add records that ticket belongs to thread.
	Add(ctx context.Context, thread, ticket string) error
	// Tickets returns the tickets recorded for thread, oldest first.
	Tickets(ctx context.Context, thread string) ([]string, error)
}

// DefaultAssociationTTL is how long a MemoryStore keeps an association.
const DefaultAssociationTTL = 30 * 24 * time.Hour

// MemoryStore is the in-process AssociationStore. It is safe for
// concurrent use.
type MemoryStore struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	threads map[string][]assocEntry
}

type assocEntry struct {
	ticket string
	until  time.Time
}

// NewMemoryStore returns a store keeping associations for ttl (zero:
// DefaultAssociationTTL), reading time from now (nil: time.Now).
func NewMemoryStore(ttl time.Duration, now func() time.Time) *MemoryStore {
	if ttl <= 0 {
		ttl = DefaultAssociationTTL
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{ttl: ttl, now: now, threads: map[string][]assocEntry{}}
}

// Add implements AssociationStore; adding a known pair renews it.
func (s *MemoryStore) Add(_ context.Context, thread, ticket string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	es := s.live(thread, now)
	es = slices.DeleteFunc(es, func(e assocEntry) bool { return e.ticket == ticket })
	s.threads[thread] = append(es, assocEntry{ticket: ticket, until: now.Add(s.ttl)})
	return nil
}

// Tickets implements AssociationStore.
func (s *MemoryStore) Tickets(_ context.Context, thread string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	es := s.live(thread, s.now())
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ticket
	}
	return out, nil
}

func (s *MemoryStore) live(thread string, now time.Time) []assocEntry {
	es := slices.DeleteFunc(s.threads[thread], func(e assocEntry) bool { return !now.Before(e.until) })
	if len(es) == 0 {
		delete(s.threads, thread)
		return nil
	}
	s.threads[thread] = es
	return es
}
