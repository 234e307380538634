// Package redisrr keeps escalation.RoundRobin's rotation in Redis, so that
// every replica of a service hands conversations to a team's agents in one
// shared turn. It is the only part of escalation that needs
// github.com/redis/go-redis: a service that rotates in-process
// (escalation.MemoryCursor, the default) does not link it.
package redisrr

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/escalation"
)

// Cursor is an escalation.Cursor kept in Redis, so replicas of a service share one
// rotation: each Next is one atomic INCR (with an optional expiry refreshed
// in the same script).
type Cursor struct {
	client redis.Scripter
	prefix string
	ttl    time.Duration
}

// incrScript increments the counter and refreshes its expiry atomically.
var _ escalation.Cursor = (*Cursor)(nil)

var incrScript = redis.NewScript(`
local n = redis.call("INCR", KEYS[1])
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call("PEXPIRE", KEYS[1], ttl) end
return n
`)

// NewCursor returns a Cursor storing the counter of team t at
// prefix+t (prefix default "agentdesk:escalation:rr:"). A positive ttl lets
// counters of teams no longer used expire; the rotation then restarts at
// the first agent. client is a *redis.Client, *redis.ClusterClient or
// *redis.Ring.
func NewCursor(client redis.Scripter, prefix string, ttl time.Duration) *Cursor {
	if prefix == "" {
		prefix = "agentdesk:escalation:rr:"
	}
	return &Cursor{client: client, prefix: prefix, ttl: ttl}
}

// Next implements escalation.Cursor: one atomic INCR of key's counter.
func (c *Cursor) Next(ctx context.Context, key string) (uint64, error) {
	n, err := incrScript.Run(ctx, c.client, []string{c.prefix + key}, c.ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, err
	}
	return uint64(n), nil
}
