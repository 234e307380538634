package escalation

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisCursor is a Cursor kept in Redis, so replicas of a service share one
// rotation: each Next is one atomic INCR (with an optional expiry refreshed
// in the same script).
type RedisCursor struct {
	client redis.Scripter
	prefix string
	ttl    time.Duration
}

// incrScript increments the counter and refreshes its expiry atomically.
var incrScript = redis.NewScript(`
local n = redis.call("INCR", KEYS[1])
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call("PEXPIRE", KEYS[1], ttl) end
return n
`)

// NewRedisCursor returns a RedisCursor storing the counter of team t at
// prefix+t (prefix default "agentdesk:escalation:rr:"). A positive ttl lets
// counters of teams no longer used expire; the rotation then restarts at
// the first agent. client is a *redis.Client, *redis.ClusterClient or
// *redis.Ring.
func NewRedisCursor(client redis.Scripter, prefix string, ttl time.Duration) *RedisCursor {
	if prefix == "" {
		prefix = "agentdesk:escalation:rr:"
	}
	return &RedisCursor{client: client, prefix: prefix, ttl: ttl}
}

// Next implements Cursor.
func (c *RedisCursor) Next(ctx context.Context, key string) (uint64, error) {
	n, err := incrScript.Run(ctx, c.client, []string{c.prefix + key}, c.ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, err
	}
	return uint64(n), nil
}
