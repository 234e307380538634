package redisqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// The Enqueue side: deliveries arriving together are stored together.

// addScript stores a batch of deliveries. KEYS holds, per event in order,
// its stream and its dedupe key ("" for none); ARGV[1] is MaxLen, then per
// delivery its number of events n and the dedupe keys' TTL in
// milliseconds, followed by each event's two fields (entry.go; an empty
// raw is left out). Per delivery it replies a list: 1 when stored, 0 when
// refused (a stream it goes to has no room for all its events, counted as
// if none were a duplicate: nothing stored nor recorded), then per event 1
// when it was a duplicate (its key recorded within the TTL, or earlier in
// the delivery: not stored). A delivery is stored whole or not at all, so
// that the vendor's redelivery of a refused delivery cannot store an event
// twice; its events' keys are recorded in the same step (SET NX, which is
// also the duplicate check), so that no delivery is ever recorded without
// being stored.
var addScript = redis.NewScript(`
local max = tonumber(ARGV[1])
local out, len = {}, {}
local function length(s)
  local l = len[s]
  if not l then
    l = redis.call('XLEN', s)
    len[s] = l
  end
  return l
end
local k, a = 1, 2
while a <= #ARGV do
  local n, ttl = tonumber(ARGV[a]), ARGV[a + 1]
  a = a + 2
  local ok = 1
  if n == 1 then
    if length(KEYS[k]) >= max then ok = 0 end
  else
    local need = {}
    for i = 0, n - 1 do
      local s = KEYS[k + 2 * i]
      need[s] = (need[s] or 0) + 1
    end
    for s, c in pairs(need) do
      if length(s) + c > max then ok = 0 break end
    end
  end
  local res = {ok}
  for i = 0, n - 1 do
    local dup = 0
    if ok == 1 then
      local s, d = KEYS[k + 2 * i], KEYS[k + 2 * i + 1]
      if d ~= '' and not redis.call('SET', d, '1', 'NX', 'PX', ttl) then
        dup = 1
      else
        local e, r = ARGV[a + 2 * i], ARGV[a + 2 * i + 1]
        if r == '' then
          redis.call('XADD', s, '*', 'event', e)
        else
          redis.call('XADD', s, '*', 'event', e, 'raw', r)
        end
        len[s] = len[s] + 1
      end
    end
    res[#res + 1] = dup
  end
  out[#out + 1] = res
  k, a = k + 2 * n, a + 2 * n
end
return out`)

const (
	// enqueueWriters is how many batches of deliveries may be in flight
	// at once: two, so that one is being answered while the next is sent;
	// more made the acknowledgement p99 worse on 2 cores
	// (BenchmarkAcknowledge).
	enqueueWriters = 2
	// enqueueBatch bounds the events of one batch (one script call), so
	// that no call holds Redis for long.
	enqueueBatch = 512
)

// enqueueReq is one Enqueue waiting for its batch to be written.
type enqueueReq struct {
	keys   []string // per event: its stream and its dedupe key
	ttl    int64    // the dedupe keys' TTL, in milliseconds
	fields [][]byte // each event's two fields
	done   chan enqueueRes
}

type enqueueRes struct {
	dup []bool
	err error
}

// Enqueue implements helpdesk.Queue. Calls arriving while earlier ones
// are being written are stored together, in one script call (one round
// trip) per batch, with up to two batches in flight: many webhook
// deliveries at once cost a few round trips, not one each. A delivery's
// events are stored all or none; ErrFull when a stream they go to holds
// MaxLen events.
func (q *Queue) Enqueue(ctx context.Context, events []helpdesk.Event) error {
	_, err := q.EnqueueNew(ctx, events, nil, 0)
	return err
}

// EnqueueNew implements helpdesk.DedupingQueue: Enqueue, dropping the
// events whose dedupe key (keys[i], "" for none; nil keys: none) was
// recorded within ttl, and recording the others' keys for ttl in the same
// script call, under Prefix + "seen:". The webhook handler uses it in
// place of its DedupeStore: a replica killed mid-delivery cannot leave a
// delivery recorded and not stored. The keys cost Redis about 100 bytes
// each for ttl (72 hours by default: the handler's DedupeTTL).
func (q *Queue) EnqueueNew(ctx context.Context, events []helpdesk.Event, keys []string, ttl time.Duration) ([]bool, error) {
	if len(events) == 0 {
		return nil, nil
	}
	if keys != nil && len(keys) != len(events) {
		return nil, fmt.Errorf("redisqueue: %d dedupe keys for %d events", len(keys), len(events))
	}
	if ttl <= 0 {
		ttl = helpdesk.DefaultDedupeTTL
	}
	r := &enqueueReq{keys: make([]string, 0, 2*len(events)), ttl: ttl.Milliseconds(), fields: make([][]byte, 0, 2*len(events)), done: make(chan enqueueRes, 1)}
	for i, ev := range events {
		enc, raw, err := encodeEvent(ev)
		if err != nil {
			return nil, fmt.Errorf("redisqueue: encoding event: %w", err)
		}
		seen := ""
		if keys != nil && keys[i] != "" {
			seen = q.o.Prefix + "seen:" + keys[i]
		}
		r.keys = append(r.keys, q.stream(q.shardOf(ev)), seen)
		r.fields = append(r.fields, enc, raw)
	}
	q.enqueue.add(r)
	select {
	case res := <-r.done:
		return res.dup, res.err
	case <-ctx.Done():
		// The write may still land: the handler answers 500 and the
		// vendor's redelivery is then a duplicate the dedupe drops.
		return nil, ctx.Err()
	}
}

func (q *Queue) writeEvents(batch []*enqueueReq) {
	var keys []string
	args := []any{q.o.MaxLen}
	for _, r := range batch {
		keys = append(keys, r.keys...)
		args = append(args, len(r.fields)/2, r.ttl)
		for _, f := range r.fields {
			args = append(args, f)
		}
	}
	res, err := addScript.Run(context.Background(), q.c, keys, args...).Slice()
	if err == nil && len(res) != len(batch) {
		err = fmt.Errorf("%d answers for %d deliveries", len(res), len(batch))
	}
	for i, r := range batch {
		if err != nil {
			r.done <- enqueueRes{err: fmt.Errorf("redisqueue: storing events: %w", err)}
			continue
		}
		r.done <- decodeStored(res[i], len(r.fields)/2)
	}
}

// decodeStored reads one delivery's answer of addScript.
func decodeStored(v any, n int) enqueueRes {
	list, ok := v.([]any)
	if !ok || len(list) != n+1 {
		return enqueueRes{err: fmt.Errorf("redisqueue: storing events: unexpected answer %v", v)}
	}
	if stored, _ := list[0].(int64); stored == 0 {
		return enqueueRes{err: ErrFull}
	}
	dup := make([]bool, n)
	for i := range dup {
		d, _ := list[i+1].(int64)
		dup[i] = d == 1
	}
	return enqueueRes{dup: dup}
}
