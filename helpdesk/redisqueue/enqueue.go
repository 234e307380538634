package redisqueue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// The Enqueue side: deliveries arriving together are stored together.

// addScript stores a batch of deliveries. KEYS holds each event's stream,
// in order; ARGV[1] is MaxLen, then each delivery's number of events
// followed by their encodings. A delivery is stored whole or not at all
// (0 in the reply: a stream it goes to is full), so that the vendor's
// redelivery of a refused delivery cannot store an event twice.
var addScript = redis.NewScript(`
local max = tonumber(ARGV[1])
local out = {}
local k, a = 1, 2
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  a = a + 1
  local need, ok = {}, 1
  for i = k, k + n - 1 do need[KEYS[i]] = (need[KEYS[i]] or 0) + 1 end
  for key, c in pairs(need) do
    if redis.call('XLEN', key) + c > max then ok = 0 break end
  end
  if ok == 1 then
    for i = 0, n - 1 do redis.call('XADD', KEYS[k + i], '*', 'event', ARGV[a + i]) end
  end
  out[#out + 1] = ok
  k, a = k + n, a + n
end
return out`)

const (
	// maxWriters is how many batches may be in flight at once: two, so
	// that one is being answered while the next is sent; more made the
	// acknowledgement p99 worse on 2 cores (BenchmarkAcknowledge).
	maxWriters = 2
	// maxBatch bounds the events of one batch (one script call), so that
	// no call holds Redis for long.
	maxBatch = 512
)

// enqueueReq is one Enqueue waiting for its batch to be written.
type enqueueReq struct {
	keys []string
	raw  [][]byte
	done chan error
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
	r := &enqueueReq{keys: make([]string, len(events)), raw: make([][]byte, len(events)), done: make(chan error, 1)}
	for i, ev := range events {
		raw, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("redisqueue: encoding event: %w", err)
		}
		r.keys[i], r.raw[i] = q.stream(q.shardOf(ev)), raw
	}
	q.mu.Lock()
	q.pending = append(q.pending, r)
	start := q.writers < maxWriters
	if start {
		q.writers++
	}
	q.mu.Unlock()
	if start {
		go q.writeLoop()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The write may still land: the handler answers 500 and the
		// vendor's redelivery is then a duplicate the dedupe drops.
		return ctx.Err()
	}
}

// writeLoop writes pending deliveries, a batch at a time, until none is
// left. At most maxWriters run; an Enqueue starts one when fewer do, so
// no delivery is left waiting.
func (q *Queue) writeLoop() {
	for {
		q.mu.Lock()
		batch := q.take()
		if batch == nil {
			q.writers--
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		q.write(batch)
	}
}

// take removes the oldest pending deliveries, up to maxBatch events (at
// least one delivery), with q.mu held.
func (q *Queue) take() []*enqueueReq {
	n, events := 0, 0
	for n < len(q.pending) && (n == 0 || events+len(q.pending[n].keys) <= maxBatch) {
		events += len(q.pending[n].keys)
		n++
	}
	if n == 0 {
		return nil
	}
	batch := q.pending[:n:n]
	q.pending = q.pending[n:]
	if len(q.pending) == 0 {
		q.pending = nil
	}
	return batch
}

func (q *Queue) write(batch []*enqueueReq) {
	var keys []string
	args := []any{q.o.MaxLen}
	for _, r := range batch {
		keys = append(keys, r.keys...)
		args = append(args, len(r.keys))
		for _, raw := range r.raw {
			args = append(args, raw)
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
