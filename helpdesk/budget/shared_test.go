package budget_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

// memStore is a Store in memory that admits everything until told to fail,
// recording what the budget asked of it.
type memStore struct {
	down   atomic.Bool
	mu     sync.Mutex
	admits []budget.Admission
	pauses [][]int
}

var errDown = errors.New("store down")

func (s *memStore) Ping(context.Context) error {
	if s.down.Load() {
		return errDown
	}
	return nil
}

func (s *memStore) Admit(_ context.Context, a budget.Admission) (budget.StoreDecision, error) {
	if s.down.Load() {
		return budget.StoreDecision{}, errDown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.admits = append(s.admits, a)
	return budget.StoreDecision{Admitted: true}, nil
}

func (s *memStore) Pause(_ context.Context, limits []int, d, keep time.Duration) error {
	if s.down.Load() {
		return errDown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pauses = append(s.pauses, limits)
	return nil
}

func (s *memStore) ClearPause(context.Context, []int) error                       { return s.Ping(nil) }
func (s *memStore) Slow(context.Context, int, time.Duration, time.Duration) error { return s.Ping(nil) }

func TestNewSharedOnPassesConfigAndBuckets(t *testing.T) {
	st := &memStore{}
	var got budget.SharedConfig
	limits := accountAndEndpoint(600, 100)
	b, err := budget.NewSharedOn(t.Context(), "acme", limits, func(_ context.Context, cfg budget.SharedConfig) (budget.Store, error) {
		got = cfg
		return st, nil
	}, budget.WithKeyPrefix("p:"), budget.WithStoreTimeout(200*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, budget.SharedConfig{Account: "acme", Limits: limits, KeyPrefix: "p:", Timeout: 200 * time.Millisecond}, got)

	upd := critical
	upd.Limits = []string{"tickets-update"}
	require.NoError(t, b.Wait(t.Context(), upd))
	require.NoError(t, b.Wait(t.Context(), normal))
	require.Len(t, st.admits, 2)
	// A critical update draws on both limits and needs one token; a normal
	// call only on the account limit and leaves the 20 % reserve.
	require.Equal(t, []int{0, 1}, []int{st.admits[0].Buckets[0].Limit, st.admits[0].Buckets[1].Limit})
	require.Equal(t, 1.0, st.admits[0].Buckets[0].Need)
	require.Len(t, st.admits[1].Buckets, 1)
	require.InDelta(t, 1+0.2*12, st.admits[1].Buckets[0].Need, 1e-9) // burst 12 (2 % of 600)
	require.Equal(t, 12, st.admits[1].Buckets[0].Burst)
	require.False(t, st.admits[0].Cold)

	_, err = budget.NewSharedOn(t.Context(), "acme", limits, nil)
	require.ErrorIs(t, err, budget.ErrInvalidConfig)
	_, err = budget.NewSharedOn(t.Context(), "", limits, func(context.Context, budget.SharedConfig) (budget.Store, error) { return st, nil })
	require.ErrorIs(t, err, budget.ErrInvalidConfig)
	_, err = budget.NewSharedOn(t.Context(), "acme", limits, func(context.Context, budget.SharedConfig) (budget.Store, error) { return nil, errDown })
	require.ErrorIs(t, err, errDown)
}

func TestSharedStoreFailureFallsBackAndReturnsCold(t *testing.T) {
	st := &memStore{}
	b, err := budget.NewSharedOn(t.Context(), "acme", []budget.Limit{{Count: 100, Window: time.Hour, Burst: 10}},
		func(context.Context, budget.SharedConfig) (budget.Store, error) { return st, nil },
		budget.WithReplicas(2), budget.WithReserve(0), budget.WithReconnectInterval(time.Millisecond))
	require.NoError(t, err)
	require.NoError(t, b.Wait(t.Context(), normal))
	require.False(t, b.Degraded())

	st.down.Store(true)
	c := normal
	c.MaxWait = time.Millisecond
	// The fallback starts empty: the shared budget may have spent the burst.
	var we *budget.WaitError
	require.ErrorAs(t, b.Wait(t.Context(), c), &we)
	require.True(t, b.Degraded())

	st.mu.Lock()
	before := len(st.admits)
	st.mu.Unlock()
	st.down.Store(false)
	require.Eventually(t, func() bool {
		_ = b.Wait(t.Context(), c)
		return !b.Degraded()
	}, 5*time.Second, time.Millisecond)
	// The loop may end on a wait served by the fallback (the reconnect
	// check runs in the background): two more reach the store.
	require.NoError(t, b.Wait(t.Context(), normal))
	require.NoError(t, b.Wait(t.Context(), normal))
	st.mu.Lock()
	defer st.mu.Unlock()
	// Back on the store, the first admission treats missing buckets as
	// empty; the next ones no longer do.
	require.Greater(t, len(st.admits), before+1)
	require.True(t, st.admits[before].Cold)
	require.False(t, st.admits[len(st.admits)-1].Cold)
}
