package redisqueue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// The Enqueue side: deliveries arriving together are stored together.

// addScript stores a batch of deliveries. KEYS holds each event's stream,
// in order; ARGV[1] is MaxLen, then each delivery's number of events
// followed by each event's two fields (entry.go; an empty raw is left
// out). A delivery is stored whole or not at all
// (0 in the reply: a stream it goes to is full), so that the vendor's
// redelivery of a refused delivery cannot store an event twice.
var addScript = redis.NewScript(`
local max = tonumber(ARGV[1])
local out = {}
local k, a = 1, 2
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  a = a + 1
  local ok = 1
  if n == 1 then
    if redis.call('XLEN', KEYS[k]) >= max then ok = 0 end
  else
    local need = {}
    for i = k, k + n - 1 do need[KEYS[i]] = (need[KEYS[i]] or 0) + 1 end
    for key, c in pairs(need) do
      if redis.call('XLEN', key) + c > max then ok = 0 break end
    end
  end
  if ok == 1 then
    for i = 0, n - 1 do
      local e, r = ARGV[a + 2 * i], ARGV[a + 2 * i + 1]
      if r == '' then
        redis.call('XADD', KEYS[k + i], '*', 'event', e)
      else
        redis.call('XADD', KEYS[k + i], '*', 'event', e, 'raw', r)
      end
    end
  end
  out[#out + 1] = ok
  k, a = k + n, a + 2 * n
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
	keys   []string
	fields [][]byte // each event's two fields
	done   chan error
}

// Enqueue implements helpdesk.Queue. Calls arriving while earlier ones
// are being written are stored together, in one script call (one round
// trip) per batch, with up to two batches in flight: many webhook
// deliveries at once cost a few round trips, not one each. A delivery's
// events are stored all or none; ErrFull when a stream they go to holds
// MaxLen events.
func (q *Queue) Enqueue(ctx context.Context, events []helpdesk.Event) error {
	if len(events) == 0 {
		return nil
	}
	r := &enqueueReq{keys: make([]string, len(events)), fields: make([][]byte, 0, 2*len(events)), done: make(chan error, 1)}
	for i, ev := range events {
		enc, raw, err := encodeEvent(ev)
		if err != nil {
			return fmt.Errorf("redisqueue: encoding event: %w", err)
		}
		r.keys[i] = q.stream(q.shardOf(ev))
		r.fields = append(r.fields, enc, raw)
	}
	q.enqueue.add(r)
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The write may still land: the handler answers 500 and the
		// vendor's redelivery is then a duplicate the dedupe drops.
		return ctx.Err()
	}
}

func (q *Queue) writeEvents(batch []*enqueueReq) {
	var keys []string
	args := []any{q.o.MaxLen}
	for _, r := range batch {
		keys = append(keys, r.keys...)
		args = append(args, len(r.keys))
		for _, f := range r.fields {
			args = append(args, f)
		}
	}
	stored, err := addScript.Run(context.Background(), q.c, keys, args...).Int64Slice()
	if err == nil && len(stored) != len(batch) {
		err = fmt.Errorf("%d answers for %d deliveries", len(stored), len(batch))
	}
	for i, r := range batch {
		switch {
		case err != nil:
			r.done <- fmt.Errorf("redisqueue: storing events: %w", err)
		case stored[i] == 0:
			r.done <- ErrFull
		default:
			r.done <- nil
		}
	}
}
