package budget_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// accountAndEndpoint is an account-wide limit of perMinute plus an endpoint
// limit "tickets-update" of updates per minute, the shape of Zendesk's.
func accountAndEndpoint(perMinute, updates int) []budget.Limit {
	return []budget.Limit{
		{Name: "account", Count: perMinute, Window: time.Minute},
		{Name: "tickets-update", PerEndpoint: true, Count: updates, Window: time.Minute},
	}
}

// accountAndEndpointHeaders reads the IETF fields for the account and
// X-Update-* for the endpoint limit.
var accountAndEndpointHeaders = budget.Headers(budget.HeaderSpec{Quotas: []budget.QuotaHeaders{
	{Total: "RateLimit-Limit", Remaining: "RateLimit-Remaining", Reset: "RateLimit-Reset"},
	{Limit: "tickets-update", Total: "X-Update-Limit", Remaining: "X-Update-Remaining", Reset: "X-Update-Reset"},
}})

var (
	normal   = transport.Call{Method: "POST", Path: "/messages", Priority: transport.PriorityNormal}
	critical = transport.Call{Method: "PUT", Path: "/tickets/1", Priority: transport.PriorityCritical}
)

func newLocal(t *testing.T, limits []budget.Limit, opts ...budget.Option) *budget.Local {
	t.Helper()
	b, err := budget.NewLocal("test", limits, opts...)
	require.NoError(t, err)
	return b
}

// maxInWindow returns the most timestamps falling in any fixed window
// [k·w, (k+1)·w) measured from origin, and in any sliding window of length w.
func maxInWindow(ts []time.Time, origin time.Time, w time.Duration) (fixed, sliding int) {
	counts := map[int64]int{}
	for _, t := range ts {
		k := int64(t.Sub(origin) / w)
		counts[k]++
		fixed = max(fixed, counts[k])
	}
	j := 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		sliding = max(sliding, i-j+1)
	}
	return fixed, sliding
}

func TestLocalNeverExceedsLimitAndUsesNearlyAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		limit := budget.Limit{Count: 60, Window: time.Minute, Burst: 3}
		b := newLocal(t, []budget.Limit{limit})
		start := time.Now()
		var ts []time.Time
		for time.Since(start) < 10*time.Minute {
			require.NoError(t, b.Wait(t.Context(), normal))
			ts = append(ts, time.Now())
		}
		fixed, sliding := maxInWindow(ts, start, time.Minute)
		require.LessOrEqual(t, fixed, 60)
		require.LessOrEqual(t, sliding, 60)
		// (Count-Burst)/Count of the limit over the run, plus the burst.
		require.GreaterOrEqual(t, len(ts), 10*57)
	})
}

func TestLocalMaxWaitRefusesWithRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Count: 10, Window: time.Minute, Burst: 2}}, budget.WithReserve(0))
		require.NoError(t, b.Wait(t.Context(), normal))
		require.NoError(t, b.Wait(t.Context(), normal))
		c := normal
		c.MaxWait = time.Second
		start := time.Now()
		err := b.Wait(t.Context(), c)
		require.ErrorIs(t, err, helpdesk.ErrRateLimited)
		var we *budget.WaitError
		require.ErrorAs(t, err, &we)
		// (10-2) per minute: one token per 7.5 s.
		require.InDelta(t, 7.5, we.Wait.Seconds(), 0.01)
		require.False(t, we.Paused)
		require.Zero(t, time.Since(start), "refusal must not wait")
		// A longer MaxWait is honoured.
		c.MaxWait = 8 * time.Second
		require.NoError(t, b.Wait(t.Context(), c))
		require.Equal(t, 7500*time.Millisecond, time.Since(start))
	})
}

func TestLocalWaitHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Count: 2, Window: time.Hour, Burst: 1}})
		require.NoError(t, b.Wait(t.Context(), critical))

		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error)
		go func() { errc <- b.Wait(ctx, critical) }()
		time.Sleep(time.Minute) // fake time inside the bubble
		cancel()
		require.ErrorIs(t, <-errc, context.Canceled)

		// A deadline shorter than the wait fails at once.
		ctx, cancel = context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, b.Wait(ctx, critical), helpdesk.ErrRateLimited)
		require.Zero(t, time.Since(start))

		// Queued callers behind a waiting head also honour cancellation.
		ctx2, cancel2 := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Go(func() { errs[i] = b.Wait(ctx2, critical) })
		}
		synctest.Wait()
		cancel2()
		wg.Wait()
		for _, err := range errs {
			require.ErrorIs(t, err, context.Canceled)
		}
	})
}

func TestLocalCriticalNotStarvedByMessageFlood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 600/min with burst 12: one token per 100 ms.
		b := newLocal(t, []budget.Limit{{Count: 600, Window: time.Minute, Burst: 12}})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var normals sync.WaitGroup
		var sent sync.Mutex
		count := 0
		for range 50 { // a flood far above the rate
			normals.Go(func() {
				for b.Wait(ctx, normal) == nil {
					sent.Lock()
					count++
					sent.Unlock()
				}
			})
		}
		time.Sleep(10 * time.Second)
		var worst time.Duration
		for range 20 {
			start := time.Now()
			require.NoError(t, b.Wait(ctx, critical))
			worst = max(worst, time.Since(start))
			time.Sleep(time.Second)
		}
		cancel()
		normals.Wait()
		// The reserve lets the first critical calls through at once; later
		// ones wait at most one refill because they are served first.
		require.LessOrEqual(t, worst, 100*time.Millisecond)
		// Normal calls still got nearly all the rest of the rate.
		elapsed := 30 * time.Second
		require.Greater(t, count, int(float64(elapsed/(100*time.Millisecond))*0.9)-20)
	})
}

func TestLocalNormalGetsFullRateWithoutCriticalDemand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Count: 600, Window: time.Minute, Burst: 12}})
		start := time.Now()
		n := 0
		for time.Since(start) < time.Minute {
			require.NoError(t, b.Wait(t.Context(), normal))
			n++
		}
		// 588 refilled in a minute, plus the burst minus the reserve.
		require.GreaterOrEqual(t, n, 588)
		require.LessOrEqual(t, n, 600)
	})
}

func TestLocalEndpointLimitAppliesOnlyWhenNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, accountAndEndpoint(700, 100), budget.WithReserve(0))
		update := critical
		update.Limits = []string{"tickets-update", "unknown-limit"}
		start := time.Now()
		for range 200 {
			require.NoError(t, b.Wait(t.Context(), update))
		}
		// 100/min with burst 2: 198 more need 198 × 60/98 s.
		updates := time.Since(start)
		require.InDelta(t, (198 * 60.0 / 98), updates.Seconds(), 0.5)

		// Plain calls are limited by the 700/min account limit only, which
		// the updates above also drew on.
		start = time.Now()
		for range 686 {
			require.NoError(t, b.Wait(t.Context(), critical))
		}
		require.Less(t, time.Since(start), 61*time.Second)
	})
}

func TestLocal429PausesThenSendsOneProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Count: 6000, Window: time.Minute}}, budget.WithHeaders(accountAndEndpointHeaders))
		require.NoError(t, b.Wait(t.Context(), normal))
		b.Observe(normal, http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}})

		start := time.Now()
		var mu sync.Mutex
		var admitted []time.Duration
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				require.NoError(t, b.Wait(t.Context(), normal))
				mu.Lock()
				admitted = append(admitted, time.Since(start))
				mu.Unlock()
			})
		}
		time.Sleep(31 * time.Second)
		synctest.Wait()
		// After the pause exactly one probe went.
		mu.Lock()
		require.Equal(t, []time.Duration{30 * time.Second}, admitted)
		mu.Unlock()
		// The probe succeeds: everyone else follows.
		b.Observe(normal, http.StatusOK, http.Header{})
		wg.Wait()
		require.Len(t, admitted, 10)
		for _, d := range admitted[1:] {
			require.Less(t, d, 32*time.Second)
		}
	})
}

func TestLocalProbeThatNeverAnswersIsReplaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Count: 6000, Window: time.Minute}}, budget.WithProbeTimeout(2*time.Second))
		b.Observe(normal, http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}})
		start := time.Now()
		require.NoError(t, b.Wait(t.Context(), normal)) // the probe
		require.Equal(t, time.Second, time.Since(start))
		require.NoError(t, b.Wait(t.Context(), normal)) // next probe after the timeout
		require.InDelta(t, 3, time.Since(start).Seconds(), 0.06)
	})
}

func TestLocal429WithoutHintBacksOffUpToWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Count: 6000, Window: 10 * time.Second}})
		var waits []time.Duration
		for range 6 {
			b.Observe(normal, http.StatusTooManyRequests, http.Header{})
			start := time.Now()
			require.NoError(t, b.Wait(t.Context(), normal))
			waits = append(waits, time.Since(start).Round(time.Second))
		}
		want := []time.Duration{1, 2, 4, 8, 10, 10}
		for i := range want {
			want[i] *= time.Second
		}
		require.Empty(t, cmp.Diff(want, waits))
		// A success resets the back-off.
		b.Observe(normal, http.StatusOK, nil)
		b.Observe(normal, http.StatusTooManyRequests, nil)
		start := time.Now()
		require.NoError(t, b.Wait(t.Context(), normal))
		require.Equal(t, time.Second, time.Since(start).Round(time.Second))
	})
}

func TestLocalFixedWindow429WaitsForNextMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Name: "ip", Count: 3000, Window: time.Minute}},
			budget.WithHeaders(budget.Headers(budget.HeaderSpec{FixedWindow: time.Minute})))
		// The bubble starts at midnight 2000-01-01 UTC; move 20 s into a minute.
		time.Sleep(20 * time.Second)
		b.Observe(normal, http.StatusTooManyRequests, http.Header{"Content-Type": {"text/plain"}})
		start := time.Now()
		require.NoError(t, b.Wait(t.Context(), normal))
		require.Equal(t, 40*time.Second, time.Since(start))
	})
}

func TestLocalRemainingHeadersSlowDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, accountAndEndpoint(700, 100), budget.WithHeaders(accountAndEndpointHeaders), budget.WithReserve(0))
		// Human agents used most of this minute: 5 left, resets in 10 s.
		b.Observe(normal, http.StatusOK, http.Header{
			"Ratelimit-Limit": {"700"}, "Ratelimit-Remaining": {"5"}, "Ratelimit-Reset": {"10"},
		})
		start := time.Now()
		for range 20 + 4 { // the burst (14), then paced at 2 s
			require.NoError(t, b.Wait(t.Context(), normal))
		}
		require.GreaterOrEqual(t, time.Since(start), 8*time.Second)

		// Remaining 0 on the endpoint limit pauses ticket updates only.
		b.Observe(normal, http.StatusOK, http.Header{"X-Update-Limit": {"100"}, "X-Update-Remaining": {"0"}, "X-Update-Reset": {"30"}})
		upd := critical
		upd.Limits = []string{"tickets-update"}
		upd.MaxWait = time.Second
		err := b.Wait(t.Context(), upd)
		var we *budget.WaitError
		require.ErrorAs(t, err, &we)
		require.True(t, we.Paused)
		require.Equal(t, "tickets-update", we.Limit)
		require.InDelta(t, 30, we.Wait.Seconds(), 0.01)
		require.NoError(t, b.Wait(t.Context(), critical))
	})
}

func TestLocalReplicasTakeTheirShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Count: 600, Window: time.Minute, Burst: 12}}, budget.WithReplicas(4), budget.WithReserve(0))
		start := time.Now()
		n := 0
		for time.Since(start) < 10*time.Minute {
			require.NoError(t, b.Wait(t.Context(), normal))
			n++
		}
		// 150/min each with burst 3: 147/min.
		require.InDelta(t, 1470, n, 5)
	})
}

func TestLocalUnnamedCallsWithOnlyEndpointLimitsPassFreely(t *testing.T) {
	b := newLocal(t, []budget.Limit{{Name: "x", PerEndpoint: true, Count: 1, Window: time.Hour}})
	for range 100 {
		require.NoError(t, b.Wait(context.Background(), normal))
	}
}

func TestConfigErrors(t *testing.T) {
	good := []budget.Limit{{Count: 10, Window: time.Minute}}
	cases := map[string]struct {
		limits []budget.Limit
		opts   []budget.Option
	}{
		"no limits":         {nil, nil},
		"zero count":        {[]budget.Limit{{Count: 0, Window: time.Minute}}, nil},
		"negative count":    {[]budget.Limit{{Count: -5, Window: time.Minute}}, nil},
		"zero window":       {[]budget.Limit{{Count: 10}}, nil},
		"burst over count":  {[]budget.Limit{{Count: 10, Window: time.Minute, Burst: 11}}, nil},
		"burst equal count": {[]budget.Limit{{Count: 10, Window: time.Minute, Burst: 10}}, nil},
		"negative burst":    {[]budget.Limit{{Count: 10, Window: time.Minute, Burst: -1}}, nil},
		"unnamed endpoint":  {[]budget.Limit{{Count: 10, Window: time.Minute, PerEndpoint: true}}, nil},
		"duplicate":         {append(good, good...), nil},
		"bad name":          {[]budget.Limit{{Name: "a:b", Count: 10, Window: time.Minute}}, nil},
		"reserve negative":  {good, []budget.Option{budget.WithReserve(-0.1)}},
		"reserve one":       {good, []budget.Option{budget.WithReserve(1)}},
		"reserve NaN":       {good, []budget.Option{budget.WithReserve(math.NaN())}},
		"replicas zero":     {good, []budget.Option{budget.WithReplicas(0)}},
		"nil headers":       {good, []budget.Option{budget.WithHeaders(nil)}},
		"store timeout 0":   {good, []budget.Option{budget.WithStoreTimeout(0)}},
		"store timeout 2s":  {good, []budget.Option{budget.WithStoreTimeout(2 * time.Second)}},
		"probe timeout 0":   {good, []budget.Option{budget.WithProbeTimeout(0)}},
		"reconnect every 0": {good, []budget.Option{budget.WithReconnectInterval(0)}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := budget.NewLocal("acct", tc.limits, tc.opts...)
			require.ErrorIs(t, err, budget.ErrInvalidConfig)
		})
	}
	_, err := budget.NewLocal("", good)
	require.ErrorIs(t, err, budget.ErrInvalidConfig)
}

func TestUnknownPriority(t *testing.T) {
	b := newLocal(t, []budget.Limit{{Count: 10, Window: time.Minute}})
	err := b.Wait(context.Background(), transport.Call{Priority: transport.Priority(7)})
	require.ErrorIs(t, err, budget.ErrUnknownPriority)
	require.False(t, errors.Is(err, helpdesk.ErrRateLimited))
}

func TestWaitErrorMessage(t *testing.T) {
	err := error(&budget.WaitError{Wait: 1500 * time.Millisecond, Limit: "tickets-update", Paused: true})
	require.Equal(t, "budget: vendor pause tickets-update needs a wait of 1.5s, more than the call allows", err.Error())
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
}

func TestLocalAnyNon429AnswerEndsPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{{Count: 6000, Window: time.Minute}})
		b.Observe(normal, http.StatusTooManyRequests, http.Header{"Retry-After": {"2"}})
		require.NoError(t, b.Wait(t.Context(), normal)) // the probe
		c := normal
		c.MaxWait = time.Second
		require.ErrorIs(t, b.Wait(t.Context(), c), helpdesk.ErrRateLimited) // probe still out
		b.Observe(normal, http.StatusNotFound, http.Header{})
		require.NoError(t, b.Wait(t.Context(), c))
	})
}

func TestLocalOnePerWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Klaviyo's XS tier allows one request per second.
		b := newLocal(t, []budget.Limit{{Count: 1, Window: time.Second, Burst: 1}})
		start := time.Now()
		var ts []time.Time
		for range 5 {
			require.NoError(t, b.Wait(t.Context(), critical))
			ts = append(ts, time.Now())
		}
		fixed, _ := maxInWindow(ts, start, time.Second)
		require.Equal(t, 1, fixed)
		require.Equal(t, 4*time.Second, ts[4].Sub(start))
	})
}

func TestLocalExhaustedQuotaWithoutResetProbesAfterAMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newLocal(t, []budget.Limit{
			{Name: "10s", Count: 100, Window: 10 * time.Second},
			{Name: "daily", Count: 250_000, Window: 24 * time.Hour},
		}, budget.WithHeaders(hubspotHeaders))
		b.Observe(normal, http.StatusOK, http.Header{
			"X-Hubspot-Ratelimit-Daily": {"250000"}, "X-Hubspot-Ratelimit-Daily-Remaining": {"0"},
		})
		c := normal
		var we *budget.WaitError
		c.MaxWait = time.Second
		require.ErrorAs(t, b.Wait(t.Context(), c), &we)
		require.True(t, we.Paused)
		require.Equal(t, "daily", we.Limit)
		require.Equal(t, time.Minute, we.Wait)
	})
}
