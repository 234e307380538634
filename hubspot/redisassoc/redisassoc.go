// Package redisassoc is a hubspot.AssociationStore on Redis, so that
// replicas of a bot share what the ticket-created workflow reported:
// whichever replica received the workflow's delivery, any replica finds
// the thread's ticket at handover.
package redisassoc

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/hubspot"
)

// Store keeps each thread's tickets in a sorted set scored by the time
// they were added; entries older than the TTL are dropped, and the key
// expires with its newest entry.
type Store struct {
	client redis.Cmdable
	prefix string
	ttl    time.Duration
	now    func() time.Time
}

var _ hubspot.AssociationStore = (*Store)(nil)

// New returns a store under prefix (default "agentdesk:hubspot:tickets:")
// keeping associations for ttl (zero: hubspot.DefaultAssociationTTL).
func New(client redis.Cmdable, prefix string, ttl time.Duration) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisassoc: nil client")
	}
	if prefix == "" {
		prefix = "agentdesk:hubspot:tickets:"
	}
	if ttl <= 0 {
		ttl = hubspot.DefaultAssociationTTL
	}
	return &Store{client: client, prefix: prefix, ttl: ttl, now: time.Now}, nil
}

// Add implements hubspot.AssociationStore; adding a known pair renews it.
func (s *Store) Add(ctx context.Context, thread, ticket string) error {
	key := s.prefix + thread
	now := s.now()
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, key, redis.Z{Score: float64(now.UnixMilli()), Member: ticket})
		p.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now.Add(-s.ttl).UnixMilli(), 10))
		p.PExpire(ctx, key, s.ttl)
		return nil
	})
	return err
}

// Tickets implements hubspot.AssociationStore.
func (s *Store) Tickets(ctx context.Context, thread string) ([]string, error) {
	min := strconv.FormatInt(s.now().Add(-s.ttl).UnixMilli(), 10)
	return s.client.ZRangeByScore(ctx, s.prefix+thread, &redis.ZRangeBy{Min: min, Max: "+inf"}).Result()
}
