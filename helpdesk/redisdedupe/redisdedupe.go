// Package redisdedupe is a helpdesk.DedupeStore on Redis, so that replicas
// of a bot behind one webhook URL drop a vendor's redeliveries together:
// whichever replica receives a delivery first claims its id, the others
// answer 200 without handling it again.
package redisdedupe

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Store implements helpdesk.DedupeStore with SET NX PX.
type Store struct {
	client redis.Cmdable
	prefix string
}

var _ helpdesk.DedupeStore = (*Store)(nil)

// New returns a store keeping ids under prefix (default "agentdesk:dedupe:").
func New(client redis.Cmdable, prefix string) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisdedupe: nil client")
	}
	if prefix == "" {
		prefix = "agentdesk:dedupe:"
	}
	return &Store{client: client, prefix: prefix}, nil
}

// Claim implements helpdesk.DedupeStore.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		ttl = helpdesk.DefaultDedupeTTL
	}
	return s.client.SetNX(ctx, s.prefix+key, 1, ttl).Result()
}

// Release implements helpdesk.DedupeStore.
func (s *Store) Release(ctx context.Context, key string) error {
	return s.client.Del(ctx, s.prefix+key).Err()
}
