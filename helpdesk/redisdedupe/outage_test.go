package redisdedupe_test

import (
	"context"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/redisdedupe"
)

// hungRedis accepts connections and never answers, as a Redis stopped
// with SIGSTOP does.
func hungRedis(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// within fails the test if f does not return within d: a guard against a
// hang, not a speed target.
func within(t testing.TB, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("did not return within %s", d)
	}
}

// deliver sends the same delivery twice through a handler on store and
// returns the two statuses and how often the bot was called.
func deliver(t *testing.T, store helpdesk.DedupeStore) (first, second int, handled int32) {
	fake := helpdesktest.NewFake()
	conv := fake.Open("1", helpdesk.ChannelWebChat)
	var n atomic.Int32
	h, err := helpdesk.NewWebhookHandler(fake, func(context.Context, helpdesk.Event) error { n.Add(1); return nil }, &helpdesk.WebhookOptions{Dedupe: store})
	require.NoError(t, err)
	ev := fake.CustomerWrites(conv, "hello")
	codes := [2]int{}
	for i := range codes {
		rec := httptest.NewRecorder()
		within(t, 5*time.Second, func() { h.ServeHTTP(rec, fake.Delivery(ev)) })
		codes[i] = rec.Code
	}
	return codes[0], codes[1], n.Load()
}

// A killed Redis: deliveries are still answered 200 and handled once, on
// in-process dedupe.
func TestKilledRedisFailsOpen(t *testing.T) {
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisdedupe.New(c, redistest.KeyPrefix(t))
	require.NoError(t, err)
	srv.Stop()
	first, second, handled := deliver(t, s)
	require.Equal(t, 200, first)
	require.Equal(t, 200, second)
	require.EqualValues(t, 1, handled)
}

// A hung Redis: the store's timeout answers, whatever the client's own
// (here: none).
func TestHungRedisTimesOutAndFailsOpen(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: hungRedis(t), MaxRetries: -1, ReadTimeout: -1, WriteTimeout: -1})
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisdedupe.New(c, "", redisdedupe.WithTimeout(50*time.Millisecond))
	require.NoError(t, err)
	first, second, handled := deliver(t, s)
	require.Equal(t, 200, first)
	require.Equal(t, 200, second)
	require.EqualValues(t, 1, handled)
}

func TestFailClosed(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: hungRedis(t), MaxRetries: -1, ReadTimeout: -1, WriteTimeout: -1})
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisdedupe.New(c, "", redisdedupe.WithTimeout(50*time.Millisecond), redisdedupe.WithFailClosed())
	require.NoError(t, err)
	var claimErr error
	within(t, 5*time.Second, func() { _, claimErr = s.Claim(context.Background(), "k", time.Minute) })
	require.ErrorIs(t, claimErr, redisdedupe.ErrUnavailable)
}

// The fail-open window is bounded: after it the store fails closed, and
// it reopens when Redis answers.
func TestFailOpenWindowIsBounded(t *testing.T) {
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	s, err := redisdedupe.New(c, redistest.KeyPrefix(t), redisdedupe.WithFailOpenFor(time.Minute), redisdedupe.WithClock(clock))
	require.NoError(t, err)
	ctx := context.Background()
	srv.Stop()
	ok, err := s.Claim(ctx, "a", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	now.Add(int64(59 * time.Second))
	ok, err = s.Claim(ctx, "a", time.Hour)
	require.NoError(t, err)
	require.False(t, ok, "a redelivery during the outage is dropped")
	now.Add(int64(2 * time.Second))
	_, err = s.Claim(ctx, "b", time.Hour)
	require.ErrorIs(t, err, redisdedupe.ErrUnavailable)

	// Redis is back, empty: ids claimed in memory during the outage still
	// count as seen.
	srv.Restart()
	require.Eventually(t, func() bool {
		now.Add(int64(time.Second)) // the store asks Redis again once a second
		ok, err = s.Claim(ctx, "a", time.Hour)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	require.False(t, ok)
	ok, err = s.Claim(ctx, "c", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestOptionErrors(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, o := range []redisdedupe.Option{redisdedupe.WithTimeout(0), redisdedupe.WithFailOpenFor(-time.Second)} {
		_, err := redisdedupe.New(c, "", o)
		require.Error(t, err)
	}
}

// BenchmarkOutageAnswer reports how long a Claim takes when Redis is
// killed or hung.
func BenchmarkOutageAnswer(b *testing.B) {
	for _, tc := range []struct {
		name string
		addr func(b *testing.B) string
	}{
		{"killed", func(b *testing.B) string { srv := redistest.Start(b); addr := srv.Addr(); srv.Stop(); return addr }},
		{"hung", func(b *testing.B) string { return hungRedis(b) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := redis.NewClient(&redis.Options{Addr: tc.addr(b), MaxRetries: -1})
			b.Cleanup(func() { _ = c.Close() })
			s, err := redisdedupe.New(c, "")
			require.NoError(b, err)
			i := 0
			start := time.Now()
			for b.Loop() {
				i++
				if _, err := s.Claim(context.Background(), "k"+string(rune('a'+i%26)), time.Minute); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/claim")
		})
	}
}
