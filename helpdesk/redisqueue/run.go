package redisqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// The consumer side: shard leases, the fenced reads and acknowledgements,
// dead letters and replay.

// owner holds the token of the shard's latest holder. Unlike the lease it
// never expires: it changes only when another replica takes the shard, so
// every read, every call of the event function and every acknowledgement
// checks it (the fencing token) and a replica that lost its shard without
// noticing cannot act on it any more.
func (q *Queue) owner(shard int) string { return q.o.Prefix + "owner:" + strconv.Itoa(shard) }

// errLost is a fenced command refused because another replica took the
// shard.
var errLost = errors.New("redisqueue: shard taken by another replica")

const lostReply = "LOST shard taken by another replica"

// isLost tells whether err is the fence's refusal.
func isLost(err error) bool {
	return err != nil && (errors.Is(err, errLost) || errors.Is(err, redis.TxFailedErr) || strings.HasPrefix(err.Error(), "LOST"))
}

// acquireScript takes a free shard: the lease, and the owner token.
var acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[1])
  return 1
end
return 0`)

// renewScript extends the lease; a lease that expired while nobody took
// the shard (Redis was unreachable, or restarted from its append-only
// file) is taken again.
var renewScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not v and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

var dropScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// readScript returns the shard's next entries for the holder: first those
// read earlier and not acknowledged (a dead holder's, or this one's whose
// acknowledgement failed), in order, then new ones. With nothing to read
// it forgets the group's other consumers that hold no entry (earlier
// holders; each replica start adds one) and returns the stream's last id,
// to wait for newer entries. Claiming and
// reading in one fenced step is what keeps order across a takeover: no
// replica can read an entry after another took the shard.
var readScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + lostReply + `') end
local c = redis.call('XAUTOCLAIM', KEYS[2], ARGV[2], ARGV[3], 0, '0-0', 'COUNT', ARGV[4])
if #c[2] > 0 then return c[2] end
local r = redis.call('XREADGROUP', 'GROUP', ARGV[2], ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], '>')
if r then return r[1][2] end
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[2], ARGV[2])) do
  local name, pending
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i+1] elseif c[i] == 'pending' then pending = c[i+1] end
  end
  if name ~= ARGV[3] and pending == 0 then redis.call('XGROUP', 'DELCONSUMER', KEYS[2], ARGV[2], name) end
end
local info = redis.call('XINFO', 'STREAM', KEYS[2])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then return info[i+1] end
end
return '0-0'`)

// beginScript counts an attempt, if the caller still owns the shard.
var beginScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + lostReply + `') end
return redis.call('HINCRBY', KEYS[2], ARGV[2], 1)`)

// acksScript acknowledges and deletes a batch of entries, each only if
// its caller still owns the entry's shard, and counts the attempt of the
// entry each caller handles next (in one round trip: the common case of
// events handled one after another). KEYS[1] is the attempts hash, then
// each entry's owner key and stream; ARGV[1] is the group, then each
// entry's holder token, id, attempts field and next entry's field (” for
// none). The reply has, per entry, -1 when its shard was taken, else the
// next entry's attempt (0 for none). The next attempt is counted only
// when this call acknowledged the entry (XACK counts 1), so repeating the
// call after a lost reply does not count it twice; repeating it is
// otherwise harmless.
var acksScript = redis.NewScript(`
local out = {}
local a = 2
for i = 2, #KEYS, 2 do
  local stream, id, field, nf = KEYS[i + 1], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  if redis.call('GET', KEYS[i]) ~= ARGV[a] then
    out[#out + 1] = -1
  else
    local acked = redis.call('XACK', stream, ARGV[1], id)
    redis.call('XDEL', stream, id)
    redis.call('HDEL', KEYS[1], field)
    if nf == '' then
      out[#out + 1] = 0
    elseif acked == 1 then
      out[#out + 1] = redis.call('HINCRBY', KEYS[1], nf, 1)
    else
      out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], nf) or '1')
    end
  end
  a = a + 4
end
return out`)

const (
	// ackWriters is how many batches of acknowledgements may be in flight
	// at once.
	ackWriters = 2
	// ackBatch bounds the acknowledgements of one script call. A shard
	// has at most one acknowledgement waiting, so a batch holds at most
	// Shards of them.
	ackBatch = 256
)

// ackReq is one acknowledgement waiting for its batch.
type ackReq struct {
	owner, stream          string
	token, id, field, next string
	done                   chan ackRes
}

type ackRes struct {
	next int64 // the next entry's attempt, or 0
	err  error // errLost when the shard was taken
}

// writeAcks applies a batch of acknowledgements in one script call.
func (q *Queue) writeAcks(batch []*ackReq) {
	keys := make([]string, 1, 1+2*len(batch))
	keys[0] = q.attempts()
	args := make([]any, 1, 1+4*len(batch))
	args[0] = group
	for _, r := range batch {
		keys = append(keys, r.owner, r.stream)
		args = append(args, r.token, r.id, r.field, r.next)
	}
	res, err := acksScript.Run(context.Background(), q.c, keys, args...).Int64Slice()
	if err == nil && len(res) != len(batch) {
		err = fmt.Errorf("%d answers for %d acknowledgements", len(res), len(batch))
	}
	for i, r := range batch {
		switch {
		case err != nil:
			r.done <- ackRes{err: err}
		case res[i] < 0:
			r.done <- ackRes{err: errLost}
		default:
			r.done <- ackRes{next: res[i]}
		}
	}
}

// buryScript moves an entry to the dead-letter stream, if the caller
// still owns the shard; once only, however often it is repeated.
var buryScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + lostReply + `') end
if redis.call('XACK', KEYS[2], ARGV[2], ARGV[3]) == 1 then
  redis.call('XADD', KEYS[4], '*', 'event', ARGV[5], 'raw', ARGV[7], 'error', ARGV[6], 'stream', KEYS[2], 'id', ARGV[3])
end
redis.call('XDEL', KEYS[2], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[4])
return 1`)

// commitKey carries the writes to apply with an event's acknowledgement.
type commitKey struct{}

// commit collects AckWith's writes for one call of the event function.
type commit struct {
	mu     sync.Mutex
	writes []func(redis.Pipeliner)
}

// ErrNotQueued is returned by AckWith outside an event handed over by a
// Queue's Run.
var ErrNotQueued = errors.New("redisqueue: not handling a queued event")

// AckWith makes writes part of the acknowledgement of the event being
// handled: when the event function returns nil, the commands writes queues
// on the pipeline are applied in the same MULTI/EXEC transaction that
// acknowledges the event, and only while this replica still owns the
// event's shard. Either the event is acknowledged and the writes applied,
// or neither is and the event is handed to the event function again.
// Writes that record what the function did (an answer sent, a state
// change) are then applied once per event, even when a replica is killed
// between the function's return and the acknowledgement.
//
// ctx is the context the event function received; the writes go to the
// queue's Redis. writes may be called more than once (when the
// acknowledgement is retried); the commands of one call at most are
// applied. Their replies are not available: use it for writes. When the
// event function fails, the writes are dropped.
func AckWith(ctx context.Context, writes func(redis.Pipeliner)) error {
	c, _ := ctx.Value(commitKey{}).(*commit)
	if c == nil {
		return ErrNotQueued
	}
	c.mu.Lock()
	c.writes = append(c.writes, writes)
	c.mu.Unlock()
	return nil
}

func (c *commit) take() []func(redis.Pipeliner) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.writes
	c.writes = nil
	return w
}

// replicas is the sorted set of running replicas, scored by when their
// presence expires.
func (q *Queue) replicas() string { return q.o.Prefix + "replicas" }

// presenceScript records this replica as running for another lease,
// forgets replicas that stopped renewing, and returns how many run.
var presenceScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 4)
return redis.call('ZCARD', KEYS[1])`)

// run is one call of Run: how many shards this replica holds and how many
// it should hold (its fair share, Shards divided by the running replicas,
// rounded up). A replica holding more lets go of shards between batches,
// so that replicas started one after another share the work.
type run struct {
	held, fair atomic.Int64
}

// reserve counts one more shard held, if under the fair share.
func (r *run) reserve() bool {
	for {
		h := r.held.Load()
		if h >= r.fair.Load() {
			return false
		}
		if r.held.CompareAndSwap(h, h+1) {
			return true
		}
	}
}

// excess counts one shard fewer, if over the fair share: the caller then
// lets its shard go.
func (r *run) excess() bool {
	for {
		h := r.held.Load()
		if h <= r.fair.Load() {
			return false
		}
		if r.held.CompareAndSwap(h, h-1) {
			return true
		}
	}
}

// Run implements helpdesk.Queue: one loop per shard, each handling the
// shard while this replica holds its lease. Replicas share the shards:
// each holds at most Shards divided by the running replicas, rounded up.
//
// The event function is called at least once per event. It is called
// again, by the replica that takes the shard over, for an event whose
// holder died (or lost the shard) after calling it and before Redis
// applied the acknowledgement: killed half-way through the function, or
// after it returned, during the acknowledgement's round trip. What such a
// call did outside Redis (a reply sent, an API called) is then done again:
// that is what Reply's IdempotencyKey is for (helpdesk/redisreply keeps a
// reply's progress on Redis, across replicas). What the function writes
// with AckWith is applied exactly once, in the transaction that
// acknowledges the event.
func (q *Queue) Run(ctx context.Context, fn helpdesk.EventFunc) error {
	r := &run{}
	r.fair.Store(int64(q.o.Shards))
	present := func() {
		n, err := presenceScript.Run(ctx, q.c, []string{q.replicas()}, q.o.Consumer, q.o.Lease.Milliseconds()).Int64()
		if err != nil {
			if ctx.Err() == nil {
				q.log.Warn("redisqueue: presence", "error", err.Error())
			}
			return
		}
		shards := int64(q.o.Shards)
		r.fair.Store((shards + max(n, 1) - 1) / max(n, 1))
	}
	present()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(q.o.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				// Leaving: the others take the shards without waiting for
				// this replica's presence to expire.
				_ = q.c.ZRem(context.WithoutCancel(ctx), q.replicas(), q.o.Consumer).Err()
				return
			case <-t.C:
				present()
			}
		}
	}()
	for s := range q.o.Shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.runShard(ctx, r, s, fn)
		}()
	}
	wg.Wait()
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func newToken(consumer string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return consumer + ":" + hex.EncodeToString(b[:])
}

// hold is one tenure of a shard by this replica.
type hold struct {
	shard  int
	token  string
	stream string
	keys   []string // owner, stream, attempts
}

// runShard competes for shard's lease and handles it while held.
func (q *Queue) runShard(ctx context.Context, r *run, shard int, fn helpdesk.EventFunc) {
	poll := q.o.Lease / 3
	for ctx.Err() == nil {
		if !r.reserve() {
			if !sleep(ctx, poll) {
				return
			}
			continue
		}
		h := &hold{shard: shard, token: newToken(q.o.Consumer), stream: q.stream(shard)}
		h.keys = []string{q.owner(shard), h.stream, q.attempts()}
		ok, err := acquireScript.Run(ctx, q.c, []string{q.lease(shard), q.owner(shard)}, h.token, q.o.Lease.Milliseconds()).Bool()
		if err != nil || !ok {
			r.held.Add(-1)
			if err != nil && ctx.Err() == nil {
				q.log.Warn("redisqueue: lease", "shard", shard, "error", err.Error())
			}
			if !sleep(ctx, poll) {
				return
			}
			continue
		}
		if !q.holdShard(ctx, r, h, fn) {
			r.held.Add(-1)
		}
	}
}

// holdShard handles h's shard until ctx ends, the shard is lost, or this
// replica holds more than its share (then it returns true, having
// already counted the shard as let go).
func (q *Queue) holdShard(ctx context.Context, r *run, h *hold, fn helpdesk.EventFunc) (released bool) {
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	leaseKeys := []string{q.lease(h.shard), q.owner(h.shard)}
	var renewed sync.WaitGroup
	renewed.Add(1)
	go func() {
		defer renewed.Done()
		t := time.NewTicker(q.o.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
			}
			n, err := renewScript.Run(hctx, q.c, leaseKeys, h.token, q.o.Lease.Milliseconds()).Int()
			if err != nil && hctx.Err() == nil {
				q.log.Warn("redisqueue: renewing lease", "shard", h.shard, "error", err.Error())
				continue // the next tick tries again; the fence guards meanwhile
			}
			if n != 1 {
				cancel() // lost: another replica may hold it now
				return
			}
		}
	}()
	defer func() {
		cancel()
		renewed.Wait()
		_ = dropScript.Run(context.WithoutCancel(ctx), q.c, leaseKeys[:1], h.token).Err()
	}()
	for fails := 0; hctx.Err() == nil; {
		if err := q.c.XGroupCreateMkStream(hctx, h.stream, group, "0").Err(); err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
			if hctx.Err() == nil {
				q.log.Warn("redisqueue: creating group", "shard", h.shard, "error", err.Error())
			}
			fails++
			if !sleep(hctx, backoff(fails)) {
				return
			}
			continue
		}
		break
	}
	for fails := 0; hctx.Err() == nil; {
		if r.excess() {
			return true // between batches: nothing in hand
		}
		res, err := readScript.Run(hctx, q.c, h.keys[:2], h.token, group, q.o.Consumer, 50).Result()
		if isLost(err) {
			return
		}
		if err != nil {
			if hctx.Err() != nil {
				return
			}
			if strings.Contains(err.Error(), "NOGROUP") {
				_ = q.c.XGroupCreateMkStream(hctx, h.stream, group, "0").Err()
			}
			q.log.Warn("redisqueue: reading", "shard", h.shard, "error", err.Error())
			fails++
			if !sleep(hctx, backoff(fails)) {
				return
			}
			continue
		}
		fails = 0
		if last, ok := res.(string); ok {
			// Nothing to do: wait for an entry after last, without
			// reading it (reads are fenced, in readScript).
			err := q.c.XRead(hctx, &redis.XReadArgs{Streams: []string{h.stream, last}, Count: 1, Block: q.o.Lease / 3}).Err()
			if err != nil && !errors.Is(err, redis.Nil) && hctx.Err() == nil {
				q.log.Warn("redisqueue: waiting", "shard", h.shard, "error", err.Error())
				sleep(hctx, 100*time.Millisecond)
			}
			continue
		}
		msgs, err := entries(res)
		if err != nil {
			q.log.Error("redisqueue: reading", "shard", h.shard, "error", err.Error())
			return
		}
		begun := int64(0) // the next entry's attempt, counted by the last acknowledgement
		for i, m := range msgs {
			var next *redis.XMessage
			if i+1 < len(msgs) {
				next = &msgs[i+1]
			}
			var ok bool
			if hctx.Err() != nil {
				return
			}
			if q.yield(hctx) {
				// Time passed since the fence was last checked (by the
				// acknowledgement that counted this attempt): shutdown or
				// a lost lease may have come meanwhile.
				if hctx.Err() != nil {
					return
				}
				if begun > 0 && !q.stillOwner(hctx, h) {
					return
				}
			}
			if ok, begun = q.handle(hctx, h, m, begun, next, fn); !ok {
				return
			}
		}
	}
	return false
}

// entries decodes stream entries as a script returns them.
func entries(res any) ([]redis.XMessage, error) {
	list, ok := res.([]any)
	if !ok {
		return nil, fmt.Errorf("unexpected reply %T", res)
	}
	out := make([]redis.XMessage, 0, len(list))
	for _, e := range list {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("unexpected entry %v", e)
		}
		id, _ := pair[0].(string)
		m := redis.XMessage{ID: id, Values: map[string]any{}}
		fields, _ := pair[1].([]any) // nil for an entry deleted meanwhile
		for i := 0; i+1 < len(fields); i += 2 {
			k, _ := fields[i].(string)
			m.Values[k] = fields[i+1]
		}
		out = append(out, m)
	}
	return out, nil
}

// handle hands one entry to fn until it succeeds or is dead-lettered, then
// acknowledges and deletes it. False when the shard must be let go (lost,
// or ctx ended): the entry then stays pending for the next holder.
//
// begun is m's attempt when the previous acknowledgement already counted
// it (0: not counted). next is the entry after m in the batch, if any:
// acknowledging m then counts next's attempt in the same round trip, and
// the second result is that count for next (0 when not counted).
func (q *Queue) handle(ctx context.Context, h *hold, m redis.XMessage, begun int64, next *redis.XMessage, fn helpdesk.EventFunc) (bool, int64) {
	enc, raw := entryFields(m.Values)
	field := h.stream + "|" + m.ID
	ev, err := decodeEvent(enc, raw)
	if err != nil {
		return q.bury(ctx, h, m.ID, field, enc, raw, fmt.Errorf("undecodable entry: %w", err)), 0
	}
	for fails := 0; ; {
		n := begun
		begun = 0
		if n == 0 {
			var err error
			n, err = beginScript.Run(ctx, q.c, []string{h.keys[0], h.keys[2]}, h.token, field).Int64()
			if isLost(err) {
				return false, 0
			}
			if err != nil {
				fails++
				if !sleep(ctx, backoff(fails)) {
					return false, 0
				}
				continue
			}
		}
		fails = 0
		// The event's own context survives ctx's end: an event in hand
		// is finished, not cut.
		c := &commit{}
		hctx, cancel := context.WithTimeout(context.WithValue(context.WithoutCancel(ctx), commitKey{}, c), q.o.HandleTimeout)
		ferr := fn(hctx, ev)
		cancel()
		if ferr == nil {
			writes := c.take()
			if len(writes) == 0 && next != nil {
				return q.ackBegin(ctx, h, m.ID, field, h.stream+"|"+next.ID)
			}
			return q.ack(ctx, h, m.ID, field, writes), 0
		}
		q.log.Error("redisqueue: event failed", "conversation", ev.Conversation.Key(), "attempt", n, "error", ferr.Error())
		if int(n) >= q.o.MaxAttempts {
			if !q.bury(ctx, h, m.ID, field, enc, raw, ferr) {
				return false, 0
			}
			if q.o.OnDeadLetter != nil {
				q.o.OnDeadLetter(ev, ferr)
			}
			return true, 0
		}
		if !sleep(ctx, backoff(int(n))) {
			return false, 0
		}
	}
}

// yield waits, up to Options.Yield, while deliveries are being stored:
// acknowledgements first (see Options.Yield). It reports whether it
// waited.
func (q *Queue) yield(ctx context.Context) bool {
	if q.o.Yield < 0 {
		return false
	}
	ch := q.enqueue.busy()
	if ch == nil {
		return false
	}
	t := time.NewTimer(q.o.Yield)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
	return true
}

// stillOwner checks the fence: that h's token still owns the shard. An
// error counts as not owning it (the shard is let go; its lease runs out
// or is taken back).
func (q *Queue) stillOwner(ctx context.Context, h *hold) bool {
	owner, err := q.c.Get(ctx, h.keys[0]).Result()
	return err == nil && owner == h.token
}

func backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(max(attempt, 1)-1, 6)
	return min(d, 5*time.Second)
}

// settle runs a fenced write until Redis applied it, the shard is lost, or
// ctx ends (then once more). True when applied.
func (q *Queue) settle(ctx context.Context, what string, h *hold, id string, try func(context.Context) error) bool {
	bg := context.WithoutCancel(ctx)
	for fails := 1; ; fails++ {
		err := try(bg)
		if err == nil {
			return true
		}
		if isLost(err) {
			q.log.Warn("redisqueue: shard lost before "+what, "shard", h.shard, "id", id)
			return false
		}
		q.log.Error("redisqueue: "+what, "stream", h.stream, "id", id, "error", err.Error())
		if !sleep(ctx, backoff(fails)) {
			return try(bg) == nil
		}
	}
}

// ackBegin acknowledges and deletes entry id and counts the attempt of the
// next entry (nextField, or none when "") in the same round trip, shared
// with the acknowledgements of the replica's other shards; the count is 0
// when it could not be had (the next entry then counts its attempt
// itself).
func (q *Queue) ackBegin(ctx context.Context, h *hold, id, field, nextField string) (bool, int64) {
	var n int64
	ok := q.settle(ctx, "acknowledging", h, id, func(context.Context) error {
		r := &ackReq{owner: h.keys[0], stream: h.stream, token: h.token, id: id, field: field, next: nextField, done: make(chan ackRes, 1)}
		q.acks.add(r)
		res := <-r.done
		n = res.next
		return res.err
	})
	if !ok {
		return false, 0
	}
	return true, n
}

// ack acknowledges and deletes entry id, with the event function's
// AckWith writes in the same transaction.
func (q *Queue) ack(ctx context.Context, h *hold, id, field string, writes []func(redis.Pipeliner)) bool {
	if len(writes) == 0 {
		ok, _ := q.ackBegin(ctx, h, id, field, "")
		return ok
	}
	return q.settle(ctx, "acknowledging", h, id, func(ctx context.Context) error {
		// One round trip to watch the owner token and check the entry is
		// still pending (an earlier attempt whose reply was lost may have
		// been applied), one for the transaction.
		return q.c.Watch(ctx, func(tx *redis.Tx) error {
			var owner *redis.StringCmd
			var pending *redis.XPendingExtCmd
			_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Process(ctx, redis.NewStatusCmd(ctx, "watch", h.keys[0]))
				owner = p.Get(ctx, h.keys[0])
				pending = p.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: h.stream, Group: group, Start: id, End: id, Count: 1})
				return nil
			})
			switch {
			case err != nil && !errors.Is(err, redis.Nil):
			case owner.Val() != h.token:
				err = errLost
			case len(pending.Val()) == 0:
				err = nil // applied already
			default:
				// EXEC ends the watch, applied or not.
				_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					for _, w := range writes {
						w(p)
					}
					p.XAck(ctx, h.stream, group, id)
					p.XDel(ctx, h.stream, id)
					p.HDel(ctx, q.attempts(), field)
					return nil
				})
				return err
			}
			_ = tx.Unwatch(ctx).Err()
			return err
		})
	})
}

// bury moves entry id to the dead-letter stream.
func (q *Queue) bury(ctx context.Context, h *hold, id, field, enc, raw string, cause error) bool {
	keys := append(h.keys[:3:3], q.DeadLetters())
	return q.settle(ctx, "dead-lettering", h, id, func(ctx context.Context) error {
		return buryScript.Run(ctx, q.c, keys, h.token, group, id, field, enc, cause.Error(), raw).Err()
	})
}

// DeadLetter is an event in the dead-letter stream.
type DeadLetter struct {
	ID    string
	Event helpdesk.Event
	Error string
}

// ListDeadLetters returns up to n dead letters, oldest first.
func (q *Queue) ListDeadLetters(ctx context.Context, n int64) ([]DeadLetter, error) {
	msgs, err := q.c.XRangeN(ctx, q.DeadLetters(), "-", "+", n).Result()
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		d := DeadLetter{ID: m.ID}
		d.Event, _ = decodeEvent(entryFields(m.Values))
		d.Error, _ = m.Values["error"].(string)
		out = append(out, d)
	}
	return out, nil
}

// replayScript moves a dead letter back to its shard's stream, once:
// the dead letter is deleted in the same step, so a crash or a second
// Replay cannot queue it twice.
var replayScript = redis.NewScript(`
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[2]) then return redis.error_reply('FULL') end
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return redis.error_reply('GONE') end
if ARGV[4] == '' then return redis.call('XADD', KEYS[2], '*', 'event', ARGV[3]) end
return redis.call('XADD', KEYS[2], '*', 'event', ARGV[3], 'raw', ARGV[4])`)

// Replay puts the dead letter id back on its conversation's shard (at the
// end: after the events stored since) and removes it from the dead-letter
// stream, both at once. It fails with ErrFull when the shard is full.
func (q *Queue) Replay(ctx context.Context, id string) error {
	msgs, err := q.c.XRange(ctx, q.DeadLetters(), id, id).Result()
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		return fmt.Errorf("redisqueue: no dead letter %s", id)
	}
	enc, raw := entryFields(msgs[0].Values)
	ev, err := decodeEvent(enc, raw)
	if err != nil {
		return fmt.Errorf("redisqueue: dead letter %s: %w", id, err)
	}
	err = replayScript.Run(ctx, q.c, []string{q.DeadLetters(), q.stream(q.shardOf(ev))}, id, q.o.MaxLen, enc, raw).Err()
	switch {
	case err == nil:
		return nil
	case strings.HasPrefix(err.Error(), "GONE"):
		return fmt.Errorf("redisqueue: no dead letter %s", id)
	case strings.HasPrefix(err.Error(), "FULL"):
		return ErrFull
	}
	return fmt.Errorf("redisqueue: replaying %s: %w", id, err)
}
