package budget_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

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
		// its share, 3000/min, and says so once.
		for range 3 {
			b.Observe(transport.Call{}, http.StatusOK, http.Header{"Ratelimit-Limit": {"6000"}, "Ratelimit-Remaining": {"5000"}, "Ratelimit-Reset": {"30"}})
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
