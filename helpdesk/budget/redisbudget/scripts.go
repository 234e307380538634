package redisbudget

import "github.com/redis/go-redis/v9"

// All scripts use Redis's clock (TIME), in microseconds, so replicas with
// skewed clocks still share one budget exactly. redis.replicate_commands
// lets Redis before 5.0 write after reading TIME; later versions always
// replicate effects and ignore it.

// admitScript is GCRA over one or more limits at once: either every limit
// has room and all are charged, or none is and the longest wait is returned.
//
// KEYS, three per limit: tat (theoretical arrival time, "tat:interval",
// the interval it was computed with, so that a resized limit rescales
// its debt), pause (hash u =
// pause end, p = end of the running probe), slow (hash i = interval, u =
// until); then the account's epoch key, which New writes and which only a
// Redis that lost its data lacks.
// ARGV: n, probe timeout µs, cold (1: a missing tat means an empty bucket),
// probe poll µs, then per limit: interval µs, burst, tokens needed.
//
// A bucket of burst b with interval T holds b - (tat-now)/T tokens; a call
// needing k tokens is admitted when tat-now <= (b-k)·T and moves tat on by T.
// Returns {admitted, wait µs, reason (1 rate, 2 pause, 3 probe out), limit
// position, probing}.
var admitScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local probe_timeout = tonumber(ARGV[2])
local cold = ARGV[3] == '1'
local poll = tonumber(ARGV[4])
-- A missing epoch means Redis restarted empty (or evicted the account):
-- the burst may just have been spent, so missing buckets start empty.
local epoch = KEYS[n * 3 + 1]
if redis.call('EXISTS', epoch) == 0 then
  cold = true
  redis.call('SET', epoch, '1')
end
local wait, reason, which = 0, 0, 0
local new_tat, probe, base = {}, {}, {}
for i = 1, n do
  local k = (i - 1) * 3
  local a = 4 + (i - 1) * 3
  local iv = tonumber(ARGV[a + 1])
  local base_iv = iv
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
    local tv, ti = string.match(tat, '^(%d+):?(%d*)$')
    tat = tonumber(tv)
    ti = tonumber(ti)
    -- The limit was resized (learned from the vendor's headers): the
    -- debt ahead of now is a number of tokens, so rescale it.
    if ti and ti > 0 and ti ~= base_iv and tat > now then
      tat = now + math.floor((tat - now) * base_iv / ti)
      -- Record it at once: a refused call must not rescale again from
      -- the old figure.
      redis.call('SET', KEYS[k + 1], string.format('%d:%d', tat, base_iv), 'PX', math.ceil((tat - now) / 1000) + 1000)
    end
  elseif cold then
    -- Record the empty bucket now, admitted or not: a bucket that is
    -- never written would start empty again on every attempt.
    tat = now + burst * iv
    redis.call('SET', KEYS[k + 1], string.format('%d:%d', tat, base_iv), 'PX', math.ceil(burst * iv / 1000) + 1000)
  else
    tat = now
  end
  if tat < now then tat = now end
  local w = tat - now - (burst - need) * iv
  if w > wait then wait, reason, which = w, 1, i end
  new_tat[i] = tat + iv
  base[i] = base_iv
end
if wait > 0 then
  return {0, math.ceil(wait), reason, which, 0}
end
local probing = 0
for i = 1, n do
  local k = (i - 1) * 3
  redis.call('SET', KEYS[k + 1], string.format('%d:%d', new_tat[i], base[i]), 'PX', math.ceil((new_tat[i] - now) / 1000) + 1000)
  if probe[i] then
    redis.call('HSET', KEYS[k + 2], 'p', string.format('%d', now + probe_timeout))
    probing = 1
  end
end
return {1, 0, 0, 0, probing}
`)

// pauseScript pauses limits: KEYS are pause hashes; ARGV: pause µs, extra
// lifetime ms (how long the record outlives the pause, for the probe).
var pauseScript = redis.NewScript(`
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

// clearScript ends pauses that are over (KEYS: pause hashes). Returns how
// many it cleared.
var clearScript = redis.NewScript(`
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

// slowScript paces one limit: KEYS[1] slow hash; ARGV: interval µs,
// duration µs.
var slowScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local d = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'i', ARGV[1], 'u', string.format('%d', now + d))
redis.call('PEXPIRE', KEYS[1], math.ceil(d / 1000) + 1)
return 1
`)
