package redisbudget_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

var (
	normal   = transport.Call{Method: "POST", Path: "/messages", Priority: transport.PriorityNormal}
	critical = transport.Call{Method: "PUT", Path: "/tickets/1", Priority: transport.PriorityCritical}
)

// accountAndEndpoint is an account-wide limit of perMinute plus an endpoint
// limit "tickets-update" of updates per minute, the shape of Zendesk's.
func accountAndEndpoint(perMinute, updates int) []budget.Limit {
	return []budget.Limit{
		{Name: "account", Count: perMinute, Window: time.Minute},
		{Name: "tickets-update", PerEndpoint: true, Count: updates, Window: time.Minute},
	}
}

// replicas returns n shared budgets on one Redis, each with its own client,
// as n processes would have.
func replicas(t *testing.T, addr string, n int, limits []budget.Limit, opts ...budget.Option) []*budget.Shared {
	t.Helper()
	prefix := redistest.KeyPrefix(t)
	out := make([]*budget.Shared, n)
	for i := range out {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		t.Cleanup(func() { _ = c.Close() })
		b, err := redisbudget.New(context.Background(), c, "acme", limits,
			append([]budget.Option{budget.WithKeyPrefix(prefix), budget.WithReplicas(n)}, opts...)...)
		require.NoError(t, err)
		out[i] = b
	}
	return out
}

// try makes one call that does not wait for the budget (it may queue
// briefly behind other callers in its process) and reports whether it was
// admitted.
func try(t *testing.T, b transport.Budget, c transport.Call) bool {
	t.Helper()
	return tryWithin(t, b, c, 10*time.Millisecond)
}

func tryWithin(t *testing.T, b transport.Budget, c transport.Call, maxWait time.Duration) bool {
	t.Helper()
	c.MaxWait = maxWait
	err := b.Wait(context.Background(), c)
	if err == nil {
		return true
	}
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	return false
}

func TestSharedReplicasShareOneBudgetExactly(t *testing.T) {
	addr := redistest.Addr(t)
	// One token per 6 minutes: no refill during the test, so exactly the
	// burst is admitted, whichever replica asks. Callers accept a minute's
	// wait, so none gives up while queued behind the others.
	rs := replicas(t, addr, 4, []budget.Limit{{Count: 20, Window: time.Hour, Burst: 10}})
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for _, b := range rs {
		for range 25 {
			wg.Go(func() {
				if tryWithin(t, b, normal, time.Minute) {
					admitted.Add(1)
				}
			})
		}
	}
	wg.Wait()
	// Normal calls leave the 20 % reserve: 8 of 10.
	require.EqualValues(t, 8, admitted.Load())
	for _, b := range rs {
		for range 10 {
			wg.Go(func() {
				if tryWithin(t, b, critical, time.Minute) {
					admitted.Add(1)
				}
			})
		}
	}
	wg.Wait()
	require.EqualValues(t, 10, admitted.Load())
	for _, b := range rs {
		require.False(t, b.Degraded())
	}
}

func TestSharedRefusalCarriesWait(t *testing.T) {
	rs := replicas(t, redistest.Addr(t), 2, []budget.Limit{{Count: 12, Window: time.Hour, Burst: 2}}, budget.WithReserve(0))
	require.True(t, try(t, rs[0], normal))
	require.True(t, try(t, rs[1], normal))
	c := normal
	c.MaxWait = time.Second
	err := rs[1].Wait(context.Background(), c)
	var we *budget.WaitError
	require.ErrorAs(t, err, &we)
	require.InDelta(t, 6*60, we.Wait.Seconds(), 1) // (12-2)/h: 6 min a token
}

func TestShared429PauseIsSharedAndProbed(t *testing.T) {
	short := func(status int, h http.Header, now time.Time) budget.Feedback {
		fb := budget.RetryAfterHeaders(status, h, now)
		if v := h.Get("X-Test-Pause"); v != "" {
			d, _ := time.ParseDuration(v)
			fb.RetryAfter = d
		}
		return fb
	}
	rs := replicas(t, redistest.Addr(t), 3, []budget.Limit{{Count: 60000, Window: time.Minute}},
		budget.WithHeaders(short), budget.WithProbeTimeout(time.Hour))

	// A long pause seen by one replica holds the others.
	rs[0].Observe(normal, http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}})
	c := critical
	c.MaxWait = time.Second
	var we *budget.WaitError
	require.ErrorAs(t, rs[2].Wait(context.Background(), c), &we)
	require.True(t, we.Paused)
	require.InDelta(t, 3600, we.Wait.Seconds(), 2)

	// Pauses only grow, so a short one needs fresh keys.
	rs = replicas(t, redistest.Addr(t), 3, []budget.Limit{{Count: 60000, Window: time.Minute}},
		budget.WithHeaders(short), budget.WithProbeTimeout(time.Hour))
	rs[0].Observe(normal, http.StatusTooManyRequests, http.Header{"X-Test-Pause": {"50ms"}})
	require.NoError(t, rs[1].Wait(context.Background(), normal)) // the probe, after the pause
	// While the probe is out nobody else goes.
	for _, b := range rs {
		require.False(t, try(t, b, critical))
	}
	// The probe's success (reported by its replica) releases everyone.
	rs[1].Observe(normal, http.StatusOK, http.Header{})
	for _, b := range rs {
		require.True(t, try(t, b, normal))
	}
}

func TestSharedSlowDownIsShared(t *testing.T) {
	rs := replicas(t, redistest.Addr(t), 2, accountAndEndpoint(700, 100),
		budget.WithHeaders(budget.IETFHeaders), budget.WithReserve(0))
	// 3 left in the next 30 s: one call per 10 s for every replica together.
	rs[0].Observe(normal, http.StatusOK, http.Header{"Ratelimit-Remaining": {"3"}, "Ratelimit-Reset": {"30"}})
	n := 0
	for n < 100 && try(t, rs[1], normal) {
		n++
	}
	c := normal
	c.MaxWait = 2 * time.Second
	var we *budget.WaitError
	require.ErrorAs(t, rs[1].Wait(context.Background(), c), &we)
	require.Greater(t, we.Wait, 5*time.Second)
	require.Less(t, n, 20) // the burst drains, then the pace is 10 s
}

type countingHandler struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	inner slog.Handler
}

func newCountingLogger() (*slog.Logger, *countingHandler) {
	h := &countingHandler{}
	h.inner = slog.NewTextHandler(&h.buf, nil)
	return slog.New(h), h
}

func (h *countingHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inner.Handle(ctx, r)
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }
func (h *countingHandler) count(substr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Count(h.buf.String(), substr)
}

func TestSharedFallsBackToShareAndReturns(t *testing.T) {
	srv := redistest.Start(t)
	logger, logs := newCountingLogger()
	rs := replicas(t, srv.Addr(), 2, []budget.Limit{{Count: 100, Window: time.Hour, Burst: 10}},
		budget.WithLogger(logger), budget.WithReconnectInterval(20*time.Millisecond), budget.WithReserve(0))
	b := rs[0]
	require.True(t, try(t, b, normal))
	srv.Stop()

	start := time.Now()
	c := normal
	c.MaxWait = time.Second
	err := b.Wait(context.Background(), c)
	require.Less(t, time.Since(start), time.Second, "fallback must take under a second")
	require.True(t, b.Degraded())
	// The fallback starts empty and refills at half of (100-10)/h:
	// one call per 80 s ((50-5)/h).
	var we *budget.WaitError
	require.ErrorAs(t, err, &we)
	require.InDelta(t, 80, we.Wait.Seconds(), 1)
	for range 5 {
		require.False(t, try(t, b, normal))
	}
	require.Equal(t, 1, logs.count("shared store unreachable"))

	srv.Restart()
	require.Eventually(t, func() bool {
		try(t, b, normal)
		return !b.Degraded()
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 1, logs.count("shared store reachable again"))
	// Back on Redis, which lost its data: the bucket restarts empty rather
	// than with a fresh burst on top of what the fallback sent.
	require.False(t, try(t, b, critical))
}

func TestSharedUnreachableAtConstruction(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer c.Close()
	_, err := redisbudget.New(context.Background(), c, "acme", []budget.Limit{{Count: 10, Window: time.Minute}})
	require.Error(t, err)
	require.Contains(t, err.Error(), "Redis unreachable")

	_, err = redisbudget.New(context.Background(), nil, "acme", []budget.Limit{{Count: 10, Window: time.Minute}})
	require.ErrorIs(t, err, budget.ErrInvalidConfig)
	_, err = redisbudget.New(context.Background(), c, "a{b}", []budget.Limit{{Count: 10, Window: time.Minute}})
	require.ErrorIs(t, err, budget.ErrInvalidConfig)
}

func TestSharedSeveralLimitsAtOnce(t *testing.T) {
	rs := replicas(t, redistest.Addr(t), 2, []budget.Limit{
		{Name: "burst", Count: 3, Window: time.Second, Burst: 1},
		{Name: "steady", Count: 60, Window: time.Minute},
	}, budget.WithReserve(0))
	require.True(t, try(t, rs[0], critical))
	// The 1 s window (burst 1, 2 per second) is what holds the next call.
	var we *budget.WaitError
	c := critical
	c.MaxWait = 100 * time.Millisecond
	require.ErrorAs(t, rs[1].Wait(context.Background(), c), &we)
	require.Equal(t, "burst", we.Limit)
	require.InDelta(t, 0.5, we.Wait.Seconds(), 0.05)

	// A Zendesk ticket update draws on the account and the endpoint limit;
	// a plain call only on the account limit.
	zs := replicas(t, redistest.Addr(t), 2, []budget.Limit{
		{Name: "account", Count: 700, Window: time.Hour, Burst: 5},
		{Name: "tickets-update", PerEndpoint: true, Count: 100, Window: time.Hour, Burst: 2},
	}, budget.WithReserve(0))
	upd := critical
	upd.Limits = []string{"tickets-update"}
	require.True(t, try(t, zs[0], upd))
	require.True(t, try(t, zs[1], upd))
	require.False(t, try(t, zs[0], upd))
	err := zs[1].Wait(context.Background(), transport.Call{Priority: transport.PriorityCritical, Limits: upd.Limits, MaxWait: time.Millisecond})
	require.ErrorAs(t, err, &we)
	require.Equal(t, "tickets-update", we.Limit)
	// Three account tokens are left, and a failed update took none.
	for range 3 {
		require.True(t, try(t, zs[1], critical))
	}
	require.False(t, try(t, zs[0], critical))
}

// A shared budget learns the account's limit like a local one: every
// replica sees the vendor's headers, so every replica resizes.
func TestSharedLearnsTheAccountLimit(t *testing.T) {
	rs := replicas(t, redistest.Addr(t), 2, []budget.Limit{{Name: "account", Count: 60, Window: time.Hour, Burst: 2, Share: 1}},
		budget.WithHeaders(budget.IETFHeaders), budget.WithReserve(0))
	require.True(t, try(t, rs[0], critical))
	require.True(t, try(t, rs[1], critical))
	require.False(t, try(t, rs[0], critical), "the burst is spent, and a token takes a minute")
	for _, b := range rs {
		b.Observe(critical, http.StatusOK, http.Header{"Ratelimit-Limit": {"360000"}, "Ratelimit-Remaining": {"350000"}, "Ratelimit-Reset": {"3000"}})
		require.Equal(t, 360000, b.Limits()[0].Count)
	}
	// 360000/h is a token every 10 ms.
	require.True(t, tryWithin(t, rs[0], critical, time.Second))
	require.True(t, tryWithin(t, rs[1], critical, time.Second))
}
