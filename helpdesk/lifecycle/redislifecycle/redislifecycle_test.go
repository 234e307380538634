package redislifecycle_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/lifecycle"
	"github.com/agentdesk/agentdesk/helpdesk/lifecycle/redislifecycle"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// logBuf is a concurrency-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type replica struct {
	store *redislifecycle.Store
	s     *lifecycle.Scheduler
}

func newReplica(t *testing.T, rdb redis.UniversalClient, prefix string, clk *clock, h helpdesk.Helpdesk, log *slog.Logger) replica {
	st, err := redislifecycle.New(rdb, &redislifecycle.Options{Prefix: prefix, Now: clk.Now, Logger: log})
	require.NoError(t, err)
	s, err := lifecycle.New(h, lifecycle.Config{
		Reengage: &lifecycle.Reengage{After: 5 * time.Minute, Message: "Still there?"},
		Store:    st, Now: clk.Now, Lease: 30 * time.Second,
	})
	require.NoError(t, err)
	return replica{st, s}
}

func reengages(f *helpdesktest.Fake, id string) int {
	c, _ := f.Conversation(id)
	n := 0
	for _, m := range c.Messages {
		if m.Text == "Still there?" {
			n++
		}
	}
	return n
}

func TestTimersAreSharedFiredOnceAndSurviveARestart(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	fake := helpdesktest.NewFake()
	ctx := context.Background()
	a := newReplica(t, rdb, prefix, clk, fake, nil)
	b := newReplica(t, rdb, prefix, clk, fake, nil)

	var convs []helpdesk.Conversation
	for i := range 50 {
		conv := fake.Open(fmt.Sprint("c", i), helpdesk.ChannelWebChat)
		convs = append(convs, conv)
		_, err := a.s.Helpdesk().SendMessage(ctx, conv, helpdesk.Message{Text: "answer"})
		require.NoError(t, err)
	}
	n, err := a.store.Len(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 50, n)

	clk.Advance(5*time.Minute - time.Millisecond)
	got, _, err := b.s.Fire(ctx)
	require.NoError(t, err)
	require.Zero(t, got, "nothing is due a millisecond early")

	// A restarted replica (a new Store and Scheduler on the same Redis)
	// and a running one share the due timers: each fires once.
	clk.Advance(time.Millisecond)
	restarted := newReplica(t, rdb, prefix, clk, fake, nil)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, r := range []replica{b, restarted} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, _, err := r.s.Fire(ctx)
				require.NoError(t, err)
				if n == 0 {
					return
				}
				counts[i] += n
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 50, counts[0]+counts[1])
	for _, c := range convs {
		require.Equal(t, 1, reengages(fake, c.ID), c.ID)
	}
	n, err = a.store.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestAKilledReplicasTimersFireElsewhereOneLeaseLate(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	fake := helpdesktest.NewFake()
	ctx := context.Background()
	a := newReplica(t, rdb, prefix, clk, fake, nil)
	b := newReplica(t, rdb, prefix, clk, fake, nil)
	conv := fake.Open("c1", helpdesk.ChannelWebChat)
	_, err := a.s.Helpdesk().SendMessage(ctx, conv, helpdesk.Message{Text: "answer"})
	require.NoError(t, err)
	clk.Advance(5 * time.Minute)
	// Replica a claims the timer and dies before acting (kill -9).
	claimed, _, err := a.store.Claim(ctx, 10, 30*time.Second)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	n, _, err := b.s.Fire(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "leased to a")
	clk.Advance(30 * time.Second)
	n, _, err = b.s.Fire(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, reengages(fake, "c1"))
	// a's late Finish (it came back) changes nothing.
	require.NoError(t, a.store.Finish(ctx, claimed[0], nil, 0))
}

func TestCancelKeepsKinds(t *testing.T) {
	rdb := redistest.Client(t)
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	st, err := redislifecycle.New(rdb, &redislifecycle.Options{Prefix: redistest.KeyPrefix(t), Now: clk.Now})
	require.NoError(t, err)
	ctx := context.Background()
	tm := lifecycle.Timer{Key: "k", Kind: lifecycle.KindCloseSolved, Gen: lifecycle.NewGen(), Conv: helpdesk.Conversation{Vendor: "v", ID: "1"}}
	require.NoError(t, st.Put(ctx, tm, time.Minute))
	require.NoError(t, st.Cancel(ctx, "k", lifecycle.KindCloseSolved))
	n, err := st.Len(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.NoError(t, st.Cancel(ctx, "k", lifecycle.KindReengage))
	n, err = st.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestRedisOutageKeepsLocalTimersFiringAndLogsOnce(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	fake := helpdesktest.NewFake()
	var logs logBuf
	log := slog.New(slog.NewTextHandler(&logs, nil))
	r := newReplica(t, rdb, "lc:", clk, fake, log)
	ctx := context.Background()

	srv.Stop()
	for i := range 3 {
		conv := fake.Open(fmt.Sprint("c", i), helpdesk.ChannelWebChat)
		_, err := r.s.Helpdesk().SendMessage(ctx, conv, helpdesk.Message{Text: "answer"})
		require.NoError(t, err)
	}
	clk.Advance(5 * time.Minute)
	n, _, err := r.s.Fire(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	n, _, err = r.s.Fire(ctx)
	require.Error(t, err, "nothing left locally, Redis still down")
	require.Zero(t, n, "fired once")
	for i := range 3 {
		require.Equal(t, 1, reengages(fake, fmt.Sprint("c", i)))
	}
	require.Equal(t, 1, strings.Count(logs.String(), "Redis unavailable"), logs.String())

	// A timer set during the outage, still pending when Redis returns,
	// moves to Redis (and so survives this process).
	pending := fake.Open("pending", helpdesk.ChannelWebChat)
	_, err = r.s.Helpdesk().SendMessage(ctx, pending, helpdesk.Message{Text: "answer"})
	require.NoError(t, err)
	srv.Restart()
	n, _, err = r.s.Fire(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	l, err := r.store.Len(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, l, "handed back to Redis")
	clk.Advance(5 * time.Minute)
	n, _, err = r.s.Fire(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, reengages(fake, "pending"))

	conv := fake.Open("after", helpdesk.ChannelWebChat)
	_, err = r.s.Helpdesk().SendMessage(ctx, conv, helpdesk.Message{Text: "answer"})
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(logs.String(), "Redis available again"), logs.String())
	l, err = r.store.Len(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, l)
}
