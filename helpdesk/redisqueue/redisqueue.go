// Package redisqueue is a durable helpdesk.Queue on Redis Streams, for the
// webhook handler's queued mode with several replicas
// (helpdesk.WebhookOptions.Queue): a delivery is acknowledged to the vendor
// only once its events are in Redis, and a replica that dies has its events
// handled by another.
//
// # Design
//
// Events are spread over Shards streams by conversation. Each shard is
// handled by one replica at a time, the holder of the shard's lease (SET
// NX PX, renewed every Lease/3), through a consumer group: it hands each
// entry to the event function in stream order and acknowledges it (XACK)
// after the function returned. So the events of one conversation are
// handled in order, one at a time, across all replicas. Replicas share the
// shards: each holds at most Shards divided by the running replicas,
// rounded up.
//
// When a replica dies its leases expire (Lease after its last renewal, 15 s
// by default) and the replicas that take its shards first claim the entries
// it had read but not acknowledged (XAUTOCLAIM), in order. With a 1 s
// Lease, replicas killed with SIGKILL had their shards taken over 0.7 to
// 2.5 s after the kill, most within 1.3 s; the longer waits were shards
// handed to the dead replica's replacement while it started
// (TestReplicaProcessKilled, 7 runs). Every read, every call of the event
// function and every acknowledgement checks the shard's owner token (a
// fencing token that changes only when another replica takes the shard),
// in the same Redis step: a replica that lost its shard without noticing
// (Redis unreachable for a lease, a stalled process) can no longer read,
// start or acknowledge an event of it.
//
// An event whose function keeps failing is retried with a backoff, then,
// after MaxAttempts, moved to the dead-letter stream (Prefix + "dead"),
// acknowledged, and passed to OnDeadLetter; Replay puts a dead letter back
// on its shard and removes it from the dead-letter stream in one step.
//
// # Redeliveries
//
// The queue drops a vendor's redeliveries itself (helpdesk.DedupingQueue:
// the webhook handler then uses no DedupeStore): each event's delivery id
// is recorded under Prefix + "seen:" for the handler's DedupeTTL (72 hours
// by default, about 100 bytes of Redis memory each) in the same script
// call that stores the event, so that whichever replica a redelivery
// reaches drops it, and no replica killed mid-delivery can leave an id
// recorded with its event not stored (which would drop the redelivery and
// lose the message). A refused delivery (ErrFull) records nothing.
//
// # Exactly what is handled twice
//
// The event function is called at least once per event. It is called again
// for an event whose holder died after calling it and before Redis applied
// the acknowledgement: killed half-way through the function, or after it
// returned, during the acknowledgement's one round trip (or lost the shard
// meanwhile: then the call was refused its acknowledgement). What such a
// call did outside Redis is done again: that is at least once, and why
// helpdesk.Reply takes an IdempotencyKey (helpdesk/redisreply keeps a
// reply's progress on Redis, for replicas).
//
// What the function writes to Redis through AckWith is applied exactly
// once: those writes and the acknowledgement are one MULTI/EXEC
// transaction, applied only while the replica owns the shard, so either
// both land or neither does and the event is handed over again. (A
// separate "handled" marker would add nothing: written with the
// acknowledgement it is exactly as late as the acknowledgement, and
// written before it leaves the same gap after the function's own effects.)
// In TestReplicaProcessKilled, 10,000 events over 500 conversations into 3
// replica processes, 2 of them killed mid-run, 7 runs: 0 lost, 0
// committed twice, every conversation in order; the function was called
// again for 3 to 8 events per run, and a write made by the function
// itself, outside AckWith, was seen twice for 2 to 6.
//
// # Capacity
//
// Enqueue refuses (the handler answers 500 with Retry-After) when a shard's stream holds
// MaxLen events (default 100,000 per shard, 1.6 million with 16 shards,
// about 1 to 2 KB of Redis memory each): a flood is absorbed up to that cap,
// bounded by Redis memory, not by the handler's workers. A delivery's
// events are stored all or none. Handled entries are deleted (XDEL) after
// acknowledgement.
//
// Deliveries arriving together are stored together: one script call (one
// round trip) per batch of up to 512 events, with up to two batches in
// flight, so a flood costs Redis a few calls per hundred deliveries. The
// acknowledgements of a replica's shards are applied the same way, those
// waiting together in one script call, each still fenced on its own shard
// and each shard's next event handled only once its acknowledgement was
// applied. An event's vendor payload (Event.Raw) is stored beside the
// event as received, never re-encoded. Entries stored by an earlier
// version (the payload inside the event) are read as before; an earlier
// version reading an entry stored by this one gets the event without its
// payload: upgrade every replica of a queue together.
//
// Acknowledging comes first: while the replica is storing deliveries,
// handling waits before each event until they are stored, up to Yield
// (20 ms by default), so that a burst of deliveries is acknowledged at
// the speed of a bare handler and handled right after it (see
// Options.Yield and BenchmarkAcknowledge).
//
// # When Redis fails
//
// Enqueue fails at once (the handler answers 500 with Retry-After, the
// vendor redelivers). Run retries until Redis answers: a replica keeps its
// shards through an outage, takes them back when their leases expired
// meanwhile and nobody else took them, and retries an acknowledgement
// whose reply was lost without applying it twice. Redis without
// persistence loses the events stored when it restarts: enable appendonly.
// With appendfsync always nothing Redis acknowledged is lost when it is
// killed (TestRedisKilledAndRestarted kills it with SIGKILL mid-run and
// restarts it: 0 lost, 0 committed twice, handling resumed within 0.2 s
// of the restart); with the default everysec, the last second of writes may
// be: stored events (the vendor had its 200) and acknowledgements (those
// events are handled again).
package redisqueue

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Defaults.
const (
	DefaultPrefix        = "agentdesk:queue:"
	DefaultShards        = 16
	DefaultLease         = 15 * time.Second
	DefaultMaxAttempts   = 5
	DefaultMaxLen        = 100_000
	DefaultHandleTimeout = 2 * time.Minute
	DefaultYield         = 20 * time.Millisecond
)

// ErrFull is returned by Enqueue when a shard holds MaxLen events.
var ErrFull = errors.New("redisqueue: queue full")

// Options configures a Queue. The zero value is usable.
type Options struct {
	// Prefix of every key (default DefaultPrefix). Replicas sharing a
	// queue use the same Prefix and Shards.
	Prefix string
	// Shards is how many streams events are spread over (default
	// DefaultShards): the most conversations handled at once.
	Shards int
	// Lease is how long a replica holds a shard without renewing it: a
	// dead replica's shards are taken over Lease to 5/3 Lease after its
	// last renewal, later while other replicas start (default
	// DefaultLease).
	Lease time.Duration
	// MaxAttempts is how many times an event is handed to the event
	// function before it is dead-lettered (default DefaultMaxAttempts).
	MaxAttempts int
	// MaxLen caps each shard's stream (default DefaultMaxLen).
	MaxLen int64
	// HandleTimeout bounds each call of the event function (default
	// DefaultHandleTimeout).
	HandleTimeout time.Duration
	// Yield is how long handling waits, before each event, while this
	// replica has webhook deliveries waiting to be stored (default
	// DefaultYield; negative: never wait). Acknowledging a delivery is
	// what the vendor times, and a stored event can wait: when the
	// replica's CPU is saturated by a burst of deliveries, handling gives
	// the acknowledgements the CPU (BenchmarkAcknowledge: without it the
	// acknowledgement p99 under 500 concurrent clients was 1.6 to 2.6
	// times a bare handler's on 2 cores). Each shard still handles an
	// event at least every Yield, so handling never stops: under
	// deliveries arriving faster than the replica can store them, it goes
	// on at one event per shard per Yield at least (800 events a second
	// per replica with the defaults) and catches up when the burst ends.
	Yield time.Duration
	// OnDeadLetter receives each event moved to the dead-letter stream,
	// with the last error.
	OnDeadLetter func(helpdesk.Event, error)
	// Logger receives failures (default: silent).
	Logger *slog.Logger
	// Consumer names this replica in the consumer group (default random).
	Consumer string
}

// Queue implements helpdesk.Queue.
type Queue struct {
	c   redis.UniversalClient
	o   Options
	log *slog.Logger

	// deliveries waiting to be stored (enqueue.go), and acknowledgements
	// waiting to be applied (run.go), each written a batch at a time
	enqueue coalescer[*enqueueReq]
	acks    coalescer[*ackReq]
}

var _ helpdesk.DedupingQueue = (*Queue)(nil)

// New returns a queue on client.
func New(client redis.UniversalClient, o *Options) (*Queue, error) {
	if client == nil {
		return nil, errors.New("redisqueue: nil client")
	}
	q := &Queue{c: client}
	if o != nil {
		q.o = *o
	}
	if q.o.Shards < 0 || q.o.Lease < 0 || q.o.MaxAttempts < 0 || q.o.MaxLen < 0 || q.o.HandleTimeout < 0 {
		return nil, errors.New("redisqueue: negative option")
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&q.o.Shards, DefaultShards)
	def(&q.o.MaxAttempts, DefaultMaxAttempts)
	if q.o.Prefix == "" {
		q.o.Prefix = DefaultPrefix
	}
	if q.o.Lease == 0 {
		q.o.Lease = DefaultLease
	}
	if q.o.MaxLen == 0 {
		q.o.MaxLen = DefaultMaxLen
	}
	if q.o.HandleTimeout == 0 {
		q.o.HandleTimeout = DefaultHandleTimeout
	}
	if q.o.Yield == 0 {
		q.o.Yield = DefaultYield
	}
	if q.o.Consumer == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		q.o.Consumer = hex.EncodeToString(b[:])
	}
	q.enqueue = coalescer[*enqueueReq]{maxWriters: enqueueWriters, maxBatch: enqueueBatch,
		weight: func(r *enqueueReq) int { return len(r.keys) }, write: q.writeEvents}
	q.acks = coalescer[*ackReq]{maxWriters: ackWriters, maxBatch: ackBatch,
		weight: func(*ackReq) int { return 1 }, write: q.writeAcks}
	q.log = q.o.Logger
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	return q, nil
}

const group = "handlers"

func (q *Queue) stream(shard int) string { return q.o.Prefix + "s:" + strconv.Itoa(shard) }
func (q *Queue) lease(shard int) string  { return q.o.Prefix + "lease:" + strconv.Itoa(shard) }
func (q *Queue) attempts() string        { return q.o.Prefix + "attempts" }

// DeadLetters is the dead-letter stream's key.
func (q *Queue) DeadLetters() string { return q.o.Prefix + "dead" }

func (q *Queue) shardOf(ev helpdesk.Event) int {
	h := fnv.New32a()
	h.Write([]byte(ev.Conversation.Key()))
	return int(h.Sum32() % uint32(q.o.Shards))
}
