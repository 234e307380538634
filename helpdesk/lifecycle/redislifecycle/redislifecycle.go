// Package redislifecycle keeps conversation lifecycle timers on Redis, so
// they survive restarts and are shared by replicas: each due timer fires
// on exactly one replica (lifecycle.Store's claim with a lease), a replica
// killed mid-action has its timers fired by another at most one lease
// late, and due times are Redis time, so replicas' clock skew does not
// matter.
//
// Layout under the prefix: one sorted set of due times ("due", member =
// conversation key, score = due time in Unix milliseconds) and one hash of
// timer state ("t", field = conversation key). Every operation is one Lua
// script, atomic on the server. Both keys share the prefix's hash tag when
// the prefix has one ("agentdesk:{lifecycle}:"), for Redis Cluster.
//
// While Redis is unreachable, timers the replica sets are kept in its
// memory and fired from there (not lost; not doubled, as they exist only
// on this replica); the outage is logged once, and its end once. When
// Redis answers again, the timers kept locally move back to it.
package redislifecycle

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk/lifecycle"
)

// DefaultPrefix is the key prefix when Options.Prefix is empty.
const DefaultPrefix = "agentdesk:{lifecycle}:"

// Options configures a Store.
type Options struct {
	// Prefix of the two keys (default DefaultPrefix).
	Prefix string
	// Logger receives the outage and recovery lines (default: discard).
	Logger *slog.Logger
	// Now, when set, replaces Redis time (tests only: replicas with
	// their own clocks would disagree on due times).
	Now func() time.Time
}

// Store is a lifecycle.Store on Redis.
type Store struct {
	rdb       redis.UniversalClient
	due, hash string
	now       func() time.Time
	log       *slog.Logger
	local     *lifecycle.MemoryStore

	mu   sync.Mutex
	down bool
}

var _ lifecycle.Store = (*Store)(nil)

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opts *Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redislifecycle: nil Redis client")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{rdb: rdb, due: o.Prefix + "due", hash: o.Prefix + "t", now: o.Now, log: o.Logger,
		local: lifecycle.NewMemoryStore(o.Now)}, nil
}

// clockArg is the time the scripts use: "" for Redis TIME.
func (s *Store) clockArg() string {
	if s.now == nil {
		return ""
	}
	return strconv.FormatInt(s.now().UnixMilli(), 10)
}

const nowLua = `
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// put: ARGV = clock, key, value, delay ms.
var putScript = redis.NewScript(nowLua + `
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
return 1
`)

// cancel: ARGV = key, kinds to keep...
var cancelScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v then return 0 end
local k = string.sub(v, 1, 1)
for i = 2, #ARGV do if ARGV[i] == k then return 0 end end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`)

// claim: ARGV = clock, max, lease ms. Returns {wait ms or -1, key, value, ...}.
var claimScript = redis.NewScript(nowLua + `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {-1}
for _, id in ipairs(ids) do
  local v = redis.call('HGET', KEYS[2], id)
  if v then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), id)
    out[#out + 1] = id
    out[#out + 1] = v
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
local nx = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #nx > 0 then
  local w = tonumber(nx[2]) - now
  if w < 0 then w = 0 end
  out[1] = math.floor(w)
end
return out
`)

// finish: ARGV = clock, key, gen, next value (empty: remove), delay ms.
var finishScript = redis.NewScript(nowLua + `
local v = redis.call('HGET', KEYS[2], ARGV[2])
if not v or string.sub(v, 2, 17) ~= ARGV[3] then return 0 end
if ARGV[4] == '' then
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[1], ARGV[2])
  return 1
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[2])
return 1
`)

// result records whether Redis answered, logging an outage and its end
// once each. Context ends are not outages.
func (s *Store) result(err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil && !s.down:
		s.down = true
		s.log.Error("redislifecycle: Redis unavailable, new timers are kept and fired in this process", "err", err)
	case err == nil && s.down:
		s.down = false
		s.log.Info("redislifecycle: Redis available again")
	}
}

// Put implements lifecycle.Store. When Redis cannot be reached the timer
// is kept in this process instead (and nil returned).
func (s *Store) Put(ctx context.Context, t lifecycle.Timer, d time.Duration) error {
	v, err := lifecycle.Encode(t)
	if err != nil {
		return err
	}
	err = putScript.Run(ctx, s.rdb, []string{s.due, s.hash}, s.clockArg(), t.Key, v, d.Milliseconds()).Err()
	s.result(err)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return s.local.Put(ctx, t, d)
	}
	_ = s.local.Cancel(ctx, t.Key) // a timer set during an outage is superseded
	return nil
}

// Cancel implements lifecycle.Store.
func (s *Store) Cancel(ctx context.Context, key string, keep ...lifecycle.Kind) error {
	_ = s.local.Cancel(ctx, key, keep...)
	args := []any{key}
	for _, k := range keep {
		args = append(args, string(rune(k)))
	}
	err := cancelScript.Run(ctx, s.rdb, []string{s.due, s.hash}, args...).Err()
	s.result(err)
	return err
}

// Claim implements lifecycle.Store: timers kept locally during an outage
// are claimed first, then Redis's.
func (s *Store) Claim(ctx context.Context, max int, lease time.Duration) ([]lifecycle.Timer, time.Duration, error) {
	out, localNext, _ := s.local.Claim(ctx, max, lease)
	if len(out) >= max {
		return out, 0, nil
	}
	res, err := claimScript.Run(ctx, s.rdb, []string{s.due, s.hash}, s.clockArg(), max-len(out), lease.Milliseconds()).Slice()
	s.result(err)
	if err != nil {
		if len(out) > 0 || s.local.Len() > 0 {
			return out, localNext, nil // keep firing what this process holds
		}
		return nil, -1, err
	}
	if s.local.Len() > 0 {
		s.handBack(ctx)
	}
	next := time.Duration(-1)
	if len(res) > 0 {
		if w, ok := res[0].(int64); ok && w >= 0 {
			next = time.Duration(w) * time.Millisecond
		}
	}
	if localNext >= 0 && (next < 0 || localNext < next) {
		next = localNext
	}
	for i := 1; i+1 < len(res); i += 2 {
		key, _ := res[i].(string)
		val, _ := res[i+1].(string)
		t, derr := lifecycle.Decode(key, []byte(val))
		if derr != nil {
			s.log.Error("redislifecycle: unreadable timer dropped", "key", key, "err", derr)
			_ = cancelScript.Run(ctx, s.rdb, []string{s.due, s.hash}, key).Err()
			continue
		}
		out = append(out, t)
	}
	return out, next, nil
}

// Finish implements lifecycle.Store. A timer held locally is finished
// locally; when Redis cannot take a next timer, it is kept locally.
func (s *Store) Finish(ctx context.Context, claimed lifecycle.Timer, next *lifecycle.Timer, d time.Duration) error {
	if t, ok := s.local.Get(claimed.Key); ok && t.Gen == claimed.Gen {
		return s.local.Finish(ctx, claimed, next, d)
	}
	nv := ""
	if next != nil {
		b, err := lifecycle.Encode(*next)
		if err != nil {
			return err
		}
		nv = string(b)
	}
	err := finishScript.Run(ctx, s.rdb, []string{s.due, s.hash}, s.clockArg(), claimed.Key, claimed.Gen, nv, d.Milliseconds()).Err()
	s.result(err)
	if err != nil && next != nil && ctx.Err() == nil {
		return s.local.Put(ctx, *next, d)
	}
	return err
}

var _ lifecycle.BatchFinisher = (*Store)(nil)

// FinishMany implements lifecycle.BatchFinisher: the finishes go to Redis
// in one pipeline (one round trip).
func (s *Store) FinishMany(ctx context.Context, fs []lifecycle.Finish) error {
	var remote []lifecycle.Finish
	for _, f := range fs {
		if t, ok := s.local.Get(f.Claimed.Key); ok && t.Gen == f.Claimed.Gen {
			_ = s.local.Finish(ctx, f.Claimed, f.Next, f.After)
			continue
		}
		remote = append(remote, f)
	}
	if len(remote) == 0 {
		return nil
	}
	run := func(p redis.Scripter, f lifecycle.Finish, load bool) (*redis.Cmd, error) {
		nv := ""
		if f.Next != nil {
			b, err := lifecycle.Encode(*f.Next)
			if err != nil {
				return nil, err
			}
			nv = string(b)
		}
		args := []any{s.clockArg(), f.Claimed.Key, f.Claimed.Gen, nv, f.After.Milliseconds()}
		if load {
			return finishScript.Run(ctx, p, []string{s.due, s.hash}, args...), nil
		}
		return finishScript.EvalSha(ctx, p, []string{s.due, s.hash}, args...), nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(remote))
	for i, f := range remote {
		c, err := run(pipe, f, false)
		if err != nil {
			return err
		}
		cmds[i] = c
	}
	_, err := pipe.Exec(ctx)
	if err != nil && !redis.HasErrorPrefix(err, "NOSCRIPT") {
		s.result(err)
		for _, f := range remote {
			if f.Next != nil && ctx.Err() == nil {
				_ = s.local.Put(ctx, *f.Next, f.After)
			}
		}
		return err
	}
	var errs []error
	for i, c := range cmds {
		if c.Err() == nil || !redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			continue
		}
		// The script is not cached yet (or Redis restarted): once more,
		// loading it.
		c2, err := run(s.rdb, remote[i], true)
		if err == nil {
			err = c2.Err()
		}
		if err != nil && err != redis.Nil {
			errs = append(errs, err)
		}
	}
	err = errors.Join(errs...)
	s.result(err)
	return err
}

// handBack moves the timers kept in this process during an outage to
// Redis, now that it answers, so that they survive this process too.
func (s *Store) handBack(ctx context.Context) {
	now := time.Now()
	if s.now != nil {
		now = s.now()
	}
	for _, p := range s.local.Take(1000) {
		v, err := lifecycle.Encode(p.Timer)
		if err == nil {
			err = putScript.Run(ctx, s.rdb, []string{s.due, s.hash}, s.clockArg(), p.Timer.Key, v, max(p.Due.Sub(now), 0).Milliseconds()).Err()
		}
		if err != nil {
			_ = s.local.Put(ctx, p.Timer, p.Due.Sub(now))
		}
	}
}

// Len returns the number of timers on Redis (not counting those kept
// locally during an outage).
func (s *Store) Len(ctx context.Context) (int64, error) {
	return s.rdb.HLen(ctx, s.hash).Result()
}
