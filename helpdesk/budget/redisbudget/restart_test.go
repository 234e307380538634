package redisbudget_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

// restartLimit is 60 calls per 6 s: a token every ~103 ms after a burst of
// 2, short enough that a test run spans whole vendor windows.
var restartLimit = []budget.Limit{{Name: "account", Count: 60, Window: 6 * time.Second}}

// admissions records when calls were admitted, as the vendor would see them.
type admissions struct {
	mu sync.Mutex
	at []time.Time
}

func (a *admissions) add(t time.Time) {
	a.mu.Lock()
	a.at = append(a.at, t)
	a.mu.Unlock()
}

func (a *admissions) between(from, to time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, t := range a.at {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// maxInWindow is the most admissions any window of length w saw: what a
// vendor counting a rolling window would see.
func (a *admissions) maxInWindow(w time.Duration) int {
	a.mu.Lock()
	at := append([]time.Time(nil), a.at...)
	a.mu.Unlock()
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	best, lo := 0, 0
	for hi := range at {
		for at[hi].Sub(at[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// load runs callers on every replica until stop closes, each retrying a
// refused call at once, as a busy bot would.
func load(rs []*budget.Shared, perReplica int, got *admissions, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, b := range rs {
		for range perReplica {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					c := normal
					c.MaxWait = 200 * time.Millisecond
					if b.Wait(context.Background(), c) == nil {
						got.add(time.Now())
					}
				}
			})
		}
	}
	return &wg
}

func restartReplicas(t testing.TB, addr string, n int) []*budget.Shared {
	prefix := redistest.KeyPrefix(t)
	out := make([]*budget.Shared, n)
	for i := range out {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		t.Cleanup(func() { _ = c.Close() })
		b, err := redisbudget.New(context.Background(), c, "acme", restartLimit,
			budget.WithKeyPrefix(prefix), budget.WithReplicas(n), budget.WithReconnectInterval(50*time.Millisecond))
		require.NoError(t, err)
		out[i] = b
	}
	return out
}

// Redis killed and restarted empty under load: the shared budget must come back to
// its full rate within a second of Redis answering, on every replica, and
// no vendor window may see more than the limit across the whole run.
func TestSharedRecoversAfterEmptyRestartUnderLoad(t *testing.T) {
	srv := redistest.Start(t)
	rs := restartReplicas(t, srv.Addr(), 2)
	var got admissions
	stop := make(chan struct{})
	wg := load(rs, 3, &got, stop)

	time.Sleep(1500 * time.Millisecond) // load before the outage
	srv.Stop()
	time.Sleep(time.Second) // the replicas run on their fallback
	srv.Restart()
	back := time.Now() // Restart returns once Redis answers PING
	time.Sleep(4 * time.Second)
	close(stop)
	wg.Wait()

	interval := restartLimit[0].Window / time.Duration(restartLimit[0].Count-budget.DefaultBurst(restartLimit[0].Count))
	due := int((3 * time.Second) / interval) // from 1 s after Redis is back to the end
	after := got.between(back.Add(time.Second), back.Add(4*time.Second))
	t.Logf("admitted %d of %d due in the 3 s from 1 s after Redis answered; most in one %s window: %d",
		after, due, restartLimit[0].Window, got.maxInWindow(restartLimit[0].Window))
	require.GreaterOrEqual(t, after, due*3/4, "the shared budget did not come back to its rate after the restart")
	require.LessOrEqual(t, got.maxInWindow(restartLimit[0].Window), restartLimit[0].Count, "a vendor window saw more than the limit")
	for _, b := range rs {
		require.False(t, b.Degraded())
	}
}

// A restart the replicas never see as an error (between two calls, the
// client reconnecting on its own) must not hand out a fresh burst on top
// of the one just spent.
func TestSharedUnnoticedEmptyRestartStartsEmpty(t *testing.T) {
	srv := redistest.Start(t)
	rs := restartReplicas(t, srv.Addr(), 1)
	b := rs[0]
	for try(t, b, critical) {
	}
	srv.Restart()
	// The client reconnects on the next command; the budget must treat the
	// lost state as spent, not as a full bucket.
	admitted := 0
	for range 5 {
		if try(t, b, critical) {
			admitted++
		}
	}
	require.LessOrEqual(t, admitted, 1)
}

// BenchmarkSharedRecoveryAfterEmptyRestart reports how long after an empty
// Redis answers again the first call is admitted, under load from two
// replicas.
func BenchmarkSharedRecoveryAfterEmptyRestart(b *testing.B) {
	srv := redistest.Start(b)
	rs := restartReplicas(b, srv.Addr(), 2)
	var total time.Duration
	for b.Loop() {
		var got admissions
		stop := make(chan struct{})
		wg := load(rs, 2, &got, stop)
		time.Sleep(300 * time.Millisecond)
		srv.Stop()
		time.Sleep(300 * time.Millisecond)
		srv.Restart()
		back := time.Now()
		deadline := back.Add(5 * time.Second)
		for time.Now().Before(deadline) && got.between(back, deadline) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		first := time.Now().Sub(back)
		close(stop)
		wg.Wait()
		total += first
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-first-admit")
}
