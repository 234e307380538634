// Code kept only until the drivers have moved to helpdesk/budget/redisbudget:
// it is a copy of that package and will be deleted with NewShared.

package budget

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewShared returns a Redis-backed budget for one helpdesk account (any label,
// e.g. "zendesk:acme"; replicas sharing a budget use the same label and
// limits, usually the driver's). It takes the budget's options
// (WithHeaders with the driver's header reader, WithReplicas,
// WithKeyPrefix, WithStoreTimeout, WithReconnectInterval, ...). It checks
// that Redis answers and fails with an error if it does not.
//
// client is a *redis.Client, *redis.ClusterClient or *redis.Ring. The keys
// of one account carry the account in braces, so they share one Cluster
// slot; the account may therefore not contain braces.
//
// Deprecated: use redisbudget.New, which has the same signature and
// behaviour. NewShared will be removed, taking go-redis out of this package.
func NewShared(ctx context.Context, client redis.UniversalClient, account string, limits []Limit, opts ...Option) (*Shared, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ErrInvalidConfig)
	}
	return NewSharedOn(ctx, account, limits, func(ctx context.Context, cfg SharedConfig) (Store, error) {
		return openRedis(ctx, client, cfg)
	}, opts...)
}

// redisStore implements Store with the scripts below.
type redisStore struct {
	client redis.UniversalClient
	keys   [][3]string // per limit: tat, pause, slow
}

func openRedis(ctx context.Context, client redis.UniversalClient, cfg SharedConfig) (*redisStore, error) {
	if strings.ContainsAny(cfg.Account, "{}") {
		return nil, fmt.Errorf("%w: account %q may not contain braces", ErrInvalidConfig, cfg.Account)
	}
	s := &redisStore{client: client}
	base := cfg.KeyPrefix + "{" + cfg.Account + "}:"
	for _, l := range cfg.Limits {
		k := fmt.Sprintf("%s%s@%d:", base, l.Name, l.Window.Milliseconds())
		s.keys = append(s.keys, [3]string{k + "tat", k + "pause", k + "slow"})
	}
	if err := client.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redisbudget: Redis unreachable: %w", err)
	}
	for _, sc := range []*redis.Script{redisAdmitScript, redisPauseScript, redisClearScript, redisSlowScript} {
		if err := sc.Load(ctx, client).Err(); err != nil {
			return nil, fmt.Errorf("redisbudget: loading Lua script into Redis: %w", err)
		}
	}
	return s, nil
}

func (s *redisStore) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }

func (s *redisStore) Admit(ctx context.Context, a Admission) (StoreDecision, error) {
	keys := make([]string, 0, 3*len(a.Buckets))
	args := make([]any, 0, 4+3*len(a.Buckets))
	cold := "0"
	if a.Cold {
		cold = "1"
	}
	args = append(args, len(a.Buckets), a.ProbeTimeout.Microseconds(), cold, a.ProbePoll.Microseconds())
	for _, b := range a.Buckets {
		if b.Limit < 0 || b.Limit >= len(s.keys) {
			return StoreDecision{}, fmt.Errorf("redisbudget: no limit %d", b.Limit)
		}
		keys = append(keys, s.keys[b.Limit][:]...)
		args = append(args, b.Interval.Microseconds(), b.Burst, strconv.FormatFloat(b.Need, 'f', 6, 64))
	}
	v, err := redisAdmitScript.Run(ctx, s.client, keys, args...).Result()
	if err != nil {
		return StoreDecision{}, err
	}
	res, ok := v.([]any)
	if !ok || len(res) != 5 {
		return StoreDecision{}, fmt.Errorf("redisbudget: unexpected script result %v", v)
	}
	n := func(i int) int64 { x, _ := res[i].(int64); return x }
	if n(0) == 1 {
		return StoreDecision{Admitted: true, Probing: n(4) == 1}, nil
	}
	d := StoreDecision{Wait: time.Duration(n(1)) * time.Microsecond, Paused: n(2) >= 2, Limit: -1}
	if w := int(n(3)); w >= 1 && w <= len(a.Buckets) {
		d.Limit = a.Buckets[w-1].Limit
	}
	return d, nil
}

func (s *redisStore) pauseKeys(limits []int) []string {
	keys := make([]string, len(limits))
	for j, i := range limits {
		keys[j] = s.keys[i][1]
	}
	return keys
}

func (s *redisStore) Pause(ctx context.Context, limits []int, d, keep time.Duration) error {
	return redisPauseScript.Run(ctx, s.client, s.pauseKeys(limits), d.Microseconds(), keep.Milliseconds()).Err()
}

func (s *redisStore) ClearPause(ctx context.Context, limits []int) error {
	return redisClearScript.Run(ctx, s.client, s.pauseKeys(limits)).Err()
}

func (s *redisStore) Slow(ctx context.Context, limit int, interval, d time.Duration) error {
	return redisSlowScript.Run(ctx, s.client, []string{s.keys[limit][2]}, interval.Microseconds(), d.Microseconds()).Err()
}

// All scripts use Redis's clock (TIME), in microseconds, so replicas with
// skewed clocks still share one budget exactly. redis.replicate_commands
// lets Redis before 5.0 write after reading TIME; later versions always
// replicate effects and ignore it.

// redisAdmitScript is GCRA over one or more limits at once: either every limit
// has room and all are charged, or none is and the longest wait is returned.
//
// KEYS, three per limit: tat (theoretical arrival time), pause (hash u =
// pause end, p = end of the running probe), slow (hash i = interval, u =
// until).
// ARGV: n, probe timeout µs, cold (1: a missing tat means an empty bucket),
// probe poll µs, then per limit: interval µs, burst, tokens needed.
//
// A bucket of burst b with interval T holds b - (tat-now)/T tokens; a call
// needing k tokens is admitted when tat-now <= (b-k)·T and moves tat on by T.
// Returns {admitted, wait µs, reason (1 rate, 2 pause, 3 probe out), limit
// position, probing}.
var redisAdmitScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local probe_timeout = tonumber(ARGV[2])
local cold = ARGV[3] == '1'
local poll = tonumber(ARGV[4])
local wait, reason, which = 0, 0, 0
local new_tat, probe = {}, {}
for i = 1, n do
  local k = (i - 1) * 3
  local a = 4 + (i - 1) * 3
  local iv = tonumber(ARGV[a + 1])
  local burst = tonumber(ARGV[a + 2])
  local need = tonumber(ARGV[a + 3])
  local s = redis.call('HMGET', KEYS[k + 3], 'i', 'u')
  if s[1] and s[2] and tonumber(s[2]) > now and tonumber(s[1]) > iv then
    iv = tonumber(s[1])
  end
  local p = redis.call('HMGET', KEYS[k + 2], 'u', 'p')
  if p[1] then
    local pu = tonumber(p[1])
    if now < pu then
      if pu - now > wait then wait, reason, which = pu - now, 2, i end
    elseif p[2] and now < tonumber(p[2]) then
      local w = math.min(tonumber(p[2]) - now, poll)
      if w > wait then wait, reason, which = w, 3, i end
    else
      probe[i] = true
    end
  end
  local tat = redis.call('GET', KEYS[k + 1])
  if tat then
    tat = tonumber(tat)
  elseif cold then
    tat = now + burst * iv
  else
    tat = now
  end
  if tat < now then tat = now end
  local w = tat - now - (burst - need) * iv
  if w > wait then wait, reason, which = w, 1, i end
  new_tat[i] = tat + iv
end
if wait > 0 then
  return {0, math.ceil(wait), reason, which, 0}
end
local probing = 0
for i = 1, n do
  local k = (i - 1) * 3
  redis.call('SET', KEYS[k + 1], string.format('%d', new_tat[i]), 'PX', math.ceil((new_tat[i] - now) / 1000) + 1000)
  if probe[i] then
    redis.call('HSET', KEYS[k + 2], 'p', string.format('%d', now + probe_timeout))
    probing = 1
  end
end
return {1, 0, 0, 0, probing}
`)

// redisPauseScript pauses limits: KEYS are pause hashes; ARGV: pause µs, extra
// lifetime ms (how long the record outlives the pause, for the probe).
var redisPauseScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
for i = 1, #KEYS do
  local cur = tonumber(redis.call('HGET', KEYS[i], 'u') or '0')
  if till > cur then
    cur = till
    redis.call('HSET', KEYS[i], 'u', string.format('%d', till))
  end
  redis.call('HDEL', KEYS[i], 'p')
  redis.call('PEXPIRE', KEYS[i], math.ceil((cur - now) / 1000) + tonumber(ARGV[2]))
end
return 1
`)

// redisClearScript ends pauses that are over (KEYS: pause hashes). Returns how
// many it cleared.
var redisClearScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = 0
for i = 1, #KEYS do
  local u = redis.call('HGET', KEYS[i], 'u')
  if u and now >= tonumber(u) then
    redis.call('DEL', KEYS[i])
    n = n + 1
  end
end
return n
`)

// redisSlowScript paces one limit: KEYS[1] slow hash; ARGV: interval µs,
// duration µs.
var redisSlowScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local d = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'i', ARGV[1], 'u', string.format('%d', now + d))
redis.call('PEXPIRE', KEYS[1], math.ceil(d / 1000) + 1)
return 1
`)
