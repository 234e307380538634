package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/lifecycle"
	"github.com/agentdesk/agentdesk/helpdesk/lifecycle/redislifecycle"
)

// Config is one simulation.
type Config struct {
	// RedisAddr is the Redis server the replicas share.
	RedisAddr string
	// Replicas is the number of schedulers sharing the timers.
	Replicas int
	// Timers is how many timers are pending at the start.
	Timers int
	// Spread is the window the due times are spread over (uniformly),
	// starting Lead after the timers are set.
	Spread, Lead time.Duration
	// Kill, when positive, kills one replica this long into the spread:
	// it stops at once, leaving the timers it had claimed leased (kill -9).
	Kill time.Duration
	// Lease is the claim lease.
	Lease time.Duration
	// Seed of the due times.
	Seed uint64
	// Logger receives the schedulers' and stores' logs (nil: none).
	Logger *slog.Logger
}

// Result are the figures of a run.
type Result struct {
	Timers, Fired, Doubles, Lost int
	// KillWindow counts timers the killed replica had fired but not yet
	// finished (its batch's one round trip to Redis) when it died: fired
	// again by another replica after the lease. That is the at-least-once
	// window of an abrupt kill, not counted in Doubles.
	KillWindow                          int
	P50, P99, Max                       time.Duration
	LateAfterKill                       int // timers fired more than 1 s late (the killed replica's leases)
	RedisBytesPerTimer, GoBytesPerTimer float64
	SetTime                             time.Duration // to set every timer
}

// Line is the summary line.
func (r Result) Line() string {
	return fmt.Sprintf("set_in=%s timers=%d fired=%d doubles=%d kill_window=%d lost=%d p50=%s p99=%s max=%s late_over_1s=%d redis_bytes_per_timer=%.0f memory_store_bytes_per_timer=%.0f",
		r.SetTime.Round(time.Second), r.Timers, r.Fired, r.Doubles, r.KillWindow, r.Lost, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond),
		r.LateAfterKill, r.RedisBytesPerTimer, r.GoBytesPerTimer)
}

// recorder is the helpdesk every replica acts on: it records when each
// conversation's re-engage message was sent, and by whom.
type recorder struct {
	due    []int64 // intended due time per conversation, Unix ms
	fired  []atomic.Int64
	count  []atomic.Int32
	first  []atomic.Int32 // replica that fired first, plus one
	killed []atomic.Bool  // per replica
}

type replicaDesk struct {
	r  *recorder
	id int
}

func (d replicaDesk) SendMessage(ctx context.Context, conv helpdesk.Conversation, _ helpdesk.Message) (*helpdesk.Receipt, error) {
	if d.r.killed[d.id].Load() {
		<-ctx.Done() // a killed process does nothing more
		return nil, ctx.Err()
	}
	i, err := strconv.Atoi(conv.ID)
	if err != nil {
		return nil, err
	}
	if d.r.count[i].Add(1) == 1 {
		d.r.fired[i].Store(time.Now().UnixMilli())
		d.r.first[i].Store(int32(d.id) + 1)
	}
	return &helpdesk.Receipt{MessageID: "m" + conv.ID}, nil
}

func (replicaDesk) Resolve(context.Context, helpdesk.Conversation) error { return nil }
func (replicaDesk) Reassign(context.Context, helpdesk.Conversation, helpdesk.Target) error {
	return nil
}
func (replicaDesk) ParseWebhook(context.Context, *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	return nil, errors.New("timersim: no webhooks")
}
func (replicaDesk) Capabilities() helpdesk.Capabilities {
	return helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapResolve)
}

func usedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("timersim: no used_memory in INFO")
}

// Run sets cfg.Timers re-engage timers on Redis, runs cfg.Replicas
// schedulers until every timer is due plus two leases, and measures.
func Run(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Timers: cfg.Timers}
	admin := redis.NewClient(&redis.Options{Addr: cfg.RedisAddr})
	defer admin.Close()
	prefix := fmt.Sprintf("timersim:{%d}:", time.Now().UnixNano())
	defer func() {
		_ = admin.Del(context.Background(), prefix+"due", prefix+"t").Err()
	}()
	before, err := usedMemory(ctx, admin)
	if err != nil {
		return res, err
	}
	rec := &recorder{due: make([]int64, cfg.Timers), fired: make([]atomic.Int64, cfg.Timers),
		count: make([]atomic.Int32, cfg.Timers), first: make([]atomic.Int32, cfg.Timers), killed: make([]atomic.Bool, cfg.Replicas)}
	setter, err := redislifecycle.New(admin, &redislifecycle.Options{Prefix: prefix})
	if err != nil {
		return res, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0))
	offsets := make([]time.Duration, cfg.Timers)
	for i := range offsets {
		offsets[i] = cfg.Lead + time.Duration(rng.Int64N(int64(cfg.Spread)))
	}
	// Set the timers from 16 goroutines (one Lua call each).
	start := time.Now()
	var wg sync.WaitGroup
	var putErr atomic.Value
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < cfg.Timers; i += 16 {
				conv := helpdesk.Conversation{Vendor: "sim", ID: strconv.Itoa(i), Channel: helpdesk.ChannelWebChat}
				t := lifecycle.Timer{Key: conv.Key(), Kind: lifecycle.KindReengage, Conv: conv, Gen: lifecycle.NewGen()}
				due := start.Add(offsets[i])
				rec.due[i] = due.UnixMilli()
				if err := setter.Put(ctx, t, time.Until(due)); err != nil {
					putErr.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := putErr.Load().(error); err != nil {
		return res, err
	}
	after, err := usedMemory(ctx, admin)
	if err != nil {
		return res, err
	}
	res.RedisBytesPerTimer = float64(after-before) / float64(cfg.Timers)
	res.SetTime = time.Since(start)
	if time.Since(start) > cfg.Lead {
		return res, fmt.Errorf("timersim: setting the timers took %s, more than -lead %s", time.Since(start).Round(time.Millisecond), cfg.Lead)
	}

	// The replicas.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	kills := make([]context.CancelFunc, cfg.Replicas)
	var runs sync.WaitGroup
	for id := range cfg.Replicas {
		rdb := redis.NewClient(&redis.Options{Addr: cfg.RedisAddr, PoolSize: 32})
		defer rdb.Close()
		st, err := redislifecycle.New(rdb, &redislifecycle.Options{Prefix: prefix, Logger: cfg.Logger})
		if err != nil {
			return res, err
		}
		s, err := lifecycle.New(replicaDesk{r: rec, id: id}, lifecycle.Config{
			Reengage: &lifecycle.Reengage{After: time.Minute, Message: "Still there?"},
			Store:    st, Lease: cfg.Lease, Poll: 100 * time.Millisecond, Workers: 16, Logger: cfg.Logger,
		})
		if err != nil {
			return res, err
		}
		rctx, kill := context.WithCancel(runCtx)
		kills[id] = kill
		runs.Add(1)
		go func() { defer runs.Done(); _ = s.Run(rctx) }()
	}
	if cfg.Kill > 0 {
		select {
		case <-time.After(time.Until(start.Add(cfg.Lead + cfg.Kill))):
		case <-ctx.Done():
			return res, ctx.Err()
		}
		rec.killed[0].Store(true) // from now on replica 0 claims but never acts
		time.AfterFunc(cfg.Lease/4, kills[0])
	}
	deadline := start.Add(cfg.Lead + cfg.Spread + 2*cfg.Lease + time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-tick.C:
			n, err := setter.Len(ctx)
			if err == nil && n == 0 {
				break wait
			}
		}
	}
	stop()
	runs.Wait()

	var late []time.Duration
	for i := range cfg.Timers {
		switch c := rec.count[i].Load(); {
		case c == 0:
			res.Lost++
			continue
		case c > 1 && cfg.Kill > 0 && rec.first[i].Load() == 1:
			res.KillWindow++
		case c > 1:
			res.Doubles++
		}
		res.Fired++
		l := time.Duration(rec.fired[i].Load()-rec.due[i]) * time.Millisecond
		late = append(late, max(l, 0))
		if l > time.Second {
			res.LateAfterKill++
		}
	}
	if len(late) > 0 {
		slices.Sort(late)
		res.P50 = late[len(late)/2]
		res.P99 = late[len(late)*99/100]
		res.Max = late[len(late)-1]
	}
	res.GoBytesPerTimer = memoryStoreBytes(min(cfg.Timers, 200_000))
	return res, nil
}

// memoryStoreBytes measures the Go heap per pending timer in a
// lifecycle.MemoryStore holding n timers.
func memoryStoreBytes(n int) float64 {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	st := lifecycle.NewMemoryStore(nil)
	for i := range n {
		conv := helpdesk.Conversation{Vendor: "sim", ID: strconv.Itoa(i), Channel: helpdesk.ChannelWebChat}
		_ = st.Put(context.Background(), lifecycle.Timer{Key: conv.Key(), Kind: lifecycle.KindReengage, Conv: conv, Gen: lifecycle.NewGen()}, time.Hour)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(st)
	return float64(m1.HeapAlloc-m0.HeapAlloc) / float64(n)
}
