package budget_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// admittedIn counts the critical calls admitted in d, each caller waiting
// as long as it takes.
func admittedIn(b transport.Budget, d time.Duration) int {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	n := 0
	for b.Wait(ctx, transport.Call{Priority: transport.PriorityCritical}) == nil {
		n++
	}
	return n
}

func TestLearnsTheAccountLimitFromHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		b, err := budget.NewLocal("acme", []budget.Limit{{Name: "account", Count: 60, Window: time.Minute, Share: 0.5}},
			budget.WithHeaders(budget.IETFHeaders), budget.WithReserve(0),
			budget.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		// The safe start: 60/min with a burst of 2, so 2 + 58·10/60 ≈ 11
		// calls in 10 s.
		before := admittedIn(b, 10*time.Second)
		require.InDelta(t, 11, before, 1)

		// The vendor says the account allows 6000/min: the budget rises to
		// its share, 3000/min, and says so once. (Without a reset the
		// vendor's window may be rolling, so the buckets pace; with one,
		// see TestSpendsWhatAFixedWindowHasLeft.)
		for range 3 {
			b.Observe(transport.Call{}, http.StatusOK, http.Header{"Ratelimit-Limit": {"6000"}, "Ratelimit-Remaining": {"5000"}})
		}
		require.Equal(t, 3000, b.Limits()[0].Count)
		after := admittedIn(b, 10*time.Second)
		require.Greater(t, after, 400, "at 3000/min, 10 s admit about 490 calls")
		require.LessOrEqual(t, after, 60+3000/6, "never more than the learned share")
		require.Equal(t, 1, strings.Count(logs.String(), "learned the account's limit"))

		// A lower report lowers the limit too.
		b.Observe(transport.Call{}, http.StatusOK, http.Header{"Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"90"}, "Ratelimit-Reset": {"30"}})
		require.Equal(t, 50, b.Limits()[0].Count)
	})
}

// A limit without Share keeps its configured count whatever the headers
// say, and a report about another window does not resize it.
func TestLearningIsOptIn(t *testing.T) {
	b, err := budget.NewLocal("acme", []budget.Limit{
		{Name: "account", Count: 60, Window: time.Minute},
		{Name: "burst", Count: 10, Window: 10 * time.Second, Share: 1},
	}, budget.WithHeaders(func(int, http.Header, time.Time) budget.Feedback {
		return budget.Feedback{Quotas: []budget.Quota{{Total: 6000, Remaining: 5000, Window: time.Minute}}}
	}))
	require.NoError(t, err)
	b.Observe(transport.Call{}, http.StatusOK, http.Header{})
	require.Equal(t, 60, b.Limits()[0].Count)
	require.Equal(t, 10, b.Limits()[1].Count)

	_, err = budget.NewLocal("acme", []budget.Limit{{Count: 60, Window: time.Minute, Share: 1.5}})
	require.ErrorIs(t, err, budget.ErrInvalidConfig)
}

// A vendor that reports a reset counts in fixed windows and has said how
// many calls it still takes before it: a learning limit spends them as
// fast as they come, minus what its share leaves to others and what is in
// flight, then waits for the reset, and never gets a 429 for it.
func TestSpendsWhatAFixedWindowHasLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		b, err := budget.NewLocal("acme", []budget.Limit{{Name: "account", Count: 60, Window: time.Minute, Share: 0.5}},
			budget.WithHeaders(budget.IETFHeaders), budget.WithReserve(0),
			// The calls admittedIn admits never get an answer: they stop
			// counting as in flight after the probe timeout.
			budget.WithProbeTimeout(time.Millisecond),
			budget.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		ctx := context.Background()
		call := transport.Call{Priority: transport.PriorityCritical}
		start := time.Now()
		// One call in flight when the vendor answers another: 700 left,
		// 500 of them the share leaves to others, one in flight.
		require.NoError(t, b.Wait(ctx, call))
		require.NoError(t, b.Wait(ctx, call))
		b.Observe(call, http.StatusOK, http.Header{"Ratelimit-Limit": {"1000"}, "Ratelimit-Remaining": {"700"}, "Ratelimit-Reset": {"20"}})
		require.Equal(t, 500, b.Limits()[0].Count)
		require.Equal(t, 199, admittedIn(b, 5*time.Second), "what the window has left, at once")
		require.Less(t, time.Since(start), 100*time.Millisecond, "without waiting (but for the answers in flight)")
		var we *budget.WaitError
		require.ErrorAs(t, b.Wait(ctx, transport.Call{Priority: transport.PriorityCritical, MaxWait: 19 * time.Second}), &we)
		require.InDelta(t, 20*time.Second, we.Wait, float64(100*time.Millisecond), "the wait is until the reset")

		// An older answer arriving late does not raise it.
		time.Sleep(5 * time.Second)
		b.Observe(call, http.StatusOK, http.Header{"Ratelimit-Limit": {"1000"}, "Ratelimit-Remaining": {"900"}, "Ratelimit-Reset": {"15"}})
		require.Zero(t, admittedIn(b, 10*time.Second), "nothing more before the reset")

		// After the reset the buckets pace (500/min, a burst of 10) until
		// an answer reports the new window.
		time.Sleep(start.Add(20 * time.Second).Sub(time.Now()))
		wctx, cancel := context.WithTimeout(ctx, 6*time.Second)
		n := 0
		for b.Wait(wctx, call) == nil {
			n++
		}
		cancel()
		require.InDelta(t, 10+490/10, n, 2)
		b.Observe(call, http.StatusOK, http.Header{"Ratelimit-Limit": {"1000"}, "Ratelimit-Remaining": {"940"}, "Ratelimit-Reset": {"54"}})
		require.Equal(t, 440, admittedIn(b, time.Second))

		// A 429 empties the window until its Retry-After.
		b.Observe(call, http.StatusOK, http.Header{"Ratelimit-Limit": {"1000"}, "Ratelimit-Remaining": {"600"}, "Ratelimit-Reset": {"52"}})
		b.Observe(call, http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}})
		require.Zero(t, admittedIn(b, 29*time.Second))
		require.Equal(t, 1, strings.Count(logs.String(), "learned the account's limit"))
	})
}

// Normal calls leave the window's last call to a critical one.
func TestWindowKeepsTheLastCallForCritical(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := budget.NewLocal("acme", []budget.Limit{{Count: 100, Window: time.Minute, Share: 1}},
			budget.WithHeaders(budget.IETFHeaders), budget.WithProbeTimeout(time.Millisecond))
		require.NoError(t, err)
		ctx := context.Background()
		b.Observe(transport.Call{}, http.StatusOK, http.Header{"Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"5"}, "Ratelimit-Reset": {"30"}})
		normal := transport.Call{MaxWait: time.Second}
		for range 4 {
			require.NoError(t, b.Wait(ctx, normal))
		}
		time.Sleep(time.Millisecond)
		require.ErrorIs(t, b.Wait(ctx, normal), helpdesk.ErrRateLimited)
		require.NoError(t, b.Wait(ctx, transport.Call{Priority: transport.PriorityCritical, MaxWait: time.Second}))
		require.ErrorIs(t, b.Wait(ctx, transport.Call{Priority: transport.PriorityCritical, MaxWait: time.Second}), helpdesk.ErrRateLimited)
	})
}

// fixedVendor is a vendor counting calls in fixed windows of size, that
// answers with IETF headers and 429 beyond limit.
type fixedVendor struct {
	mu      sync.Mutex
	limit   int
	size    time.Duration
	start   time.Time
	n       int
	refused int
}

func (v *fixedVendor) call() (int, http.Header) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if now.Sub(v.start) >= v.size {
		v.start, v.n = now.Truncate(v.size), 0
	}
	v.n++
	reset := strconv.Itoa(int((v.start.Add(v.size).Sub(now) + time.Second - 1) / time.Second))
	h := http.Header{"Ratelimit-Limit": {strconv.Itoa(v.limit)}, "Ratelimit-Remaining": {strconv.Itoa(max(v.limit-v.n, 0))}, "Ratelimit-Reset": {reset}}
	if v.n > v.limit {
		v.refused++
		h.Set("Retry-After", reset)
		return http.StatusTooManyRequests, h
	}
	return http.StatusOK, h
}

// When a window has room for fewer calls than wait, conversations in
// progress go first: six conversations of three calls each, waiting for a
// window of nine, finish three, not none.
func TestWindowFinishesConversationsInProgressFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := budget.NewLocal("acme", []budget.Limit{{Count: 9, Window: 10 * time.Second, Share: 1}},
			budget.WithHeaders(budget.IETFHeaders), budget.WithReserve(0))
		require.NoError(t, err)
		start := time.Now()
		v := &fixedVendor{limit: 9, size: 10 * time.Second, start: start}
		// The window is spent when the conversations start.
		v.n = 9
		status, h := v.call()
		b.Observe(transport.Call{}, status, h)
		v.refused = 0

		var finished sync.WaitGroup
		var mu sync.Mutex
		var done []int
		for k := range 6 {
			finished.Add(1)
			go func() {
				defer finished.Done()
				for range 3 {
					call := transport.Call{Method: "PUT", Path: "/tickets/" + strconv.Itoa(k)}
					if b.Wait(context.Background(), call) != nil {
						return
					}
					time.Sleep(5 * time.Millisecond) // the vendor's latency
					status, h := v.call()
					b.Observe(call, status, h)
				}
				mu.Lock()
				done = append(done, k)
				mu.Unlock()
			}()
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(19*time.Second - time.Since(start))
		mu.Lock()
		require.Len(t, done, 3, "three conversations done in the second window")
		mu.Unlock()
		finished.Wait()
		require.Zero(t, v.refused, "no 429")
	})
}

// A Shared budget's replicas cannot see each other's calls in flight:
// every call asks the store, whatever the vendor says is left.
func TestSharedAsksItsStoreDespiteAWindow(t *testing.T) {
	st := &memStore{}
	b, err := budget.NewSharedOn(t.Context(), "acme", []budget.Limit{{Count: 100, Window: time.Minute, Share: 1}},
		func(context.Context, budget.SharedConfig) (budget.Store, error) { return st, nil }, budget.WithHeaders(budget.IETFHeaders))
	require.NoError(t, err)
	b.Observe(transport.Call{}, http.StatusOK, http.Header{"Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"90"}, "Ratelimit-Reset": {"30"}})
	for range 5 {
		require.NoError(t, b.Wait(t.Context(), transport.Call{Path: "/tickets/1"}))
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Len(t, st.admits, 5)
}
