package escalation

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func pickN(t *testing.T, rr *RoundRobin, team string, agents []Agent, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		a, err := rr.Pick(context.Background(), team, agents)
		require.NoError(t, err)
		ids = append(ids, a.ID)
	}
	return ids
}

func TestRoundRobinPick(t *testing.T) {
	tests := []struct {
		name   string
		limit  int
		agents []Agent
		want   []string
	}{
		{"in turn, ordered by id", 0,
			[]Agent{{ID: "c", Online: true}, {ID: "a", Online: true}, {ID: "b", Online: true}},
			[]string{"a", "b", "c", "a", "b", "c"}},
		{"offline agents skipped, others share evenly", 0,
			[]Agent{{ID: "a", Online: true}, {ID: "b"}, {ID: "c", Online: true}},
			[]string{"a", "c", "a", "c"}},
		{"agent at own limit skipped", 0,
			[]Agent{{ID: "a", Online: true, Open: 3, Limit: 3}, {ID: "b", Online: true, Open: 9}, {ID: "c", Online: true, Limit: 1}},
			[]string{"b", "c", "b", "c"}},
		{"team default limit", 5,
			[]Agent{{ID: "a", Online: true, Open: 5}, {ID: "b", Online: true, Open: 4}, {ID: "c", Online: true, Open: 50, Limit: -1}},
			[]string{"b", "c", "b", "c"}},
		{"agents without id skipped", 0,
			[]Agent{{Online: true}, {ID: "x", Online: true}},
			[]string{"x", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := NewRoundRobin(nil, tt.limit)
			require.Equal(t, tt.want, pickN(t, rr, "n2", tt.agents, len(tt.want)))
		})
	}
}

func TestRoundRobinTeamsRotateSeparately(t *testing.T) {
	rr := NewRoundRobin(new(MemoryCursor), 0)
	agents := []Agent{{ID: "a", Online: true}, {ID: "b", Online: true}}
	require.Equal(t, []string{"a", "b"}, pickN(t, rr, "t1", agents, 2))
	require.Equal(t, []string{"a"}, pickN(t, rr, "t2", agents, 1))
	require.Equal(t, []string{"a"}, pickN(t, rr, "t1", agents, 1))
}

func TestRoundRobinNoneAvailable(t *testing.T) {
	rr := NewRoundRobin(nil, 2)
	for _, agents := range [][]Agent{nil, {{ID: "a"}}, {{ID: "a", Online: true, Open: 2}}} {
		_, err := rr.Pick(context.Background(), "n2", agents)
		require.ErrorIs(t, err, ErrNoAgentAvailable)
	}
}

type failingCursor struct{}

func (failingCursor) Next(context.Context, string) (uint64, error) { return 0, errors.New("down") }

func TestRoundRobinCursorError(t *testing.T) {
	_, err := NewRoundRobin(failingCursor{}, 0).Pick(context.Background(), "n2", []Agent{{ID: "a", Online: true}})
	require.EqualError(t, err, `escalation: round robin cursor for team "n2": down`)
}

// checkConcurrentFairness picks from several goroutines (as several
// replicas would) and checks every agent got exactly its share.
func checkConcurrentFairness(t *testing.T, pickers []*RoundRobin, team string) {
	agents := []Agent{{ID: "a", Online: true}, {ID: "b", Online: true}, {ID: "c", Online: true}, {ID: "d"}}
	const perGoroutine = 60
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for g := range 3 * len(pickers) {
		rr := pickers[g%len(pickers)]
		wg.Go(func() {
			for range perGoroutine {
				a, err := rr.Pick(context.Background(), team, agents)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				counts[a.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := 3 * len(pickers) * perGoroutine
	require.Equal(t, map[string]int{"a": total / 3, "b": total / 3, "c": total / 3}, counts)
}

func TestRoundRobinConcurrentMemory(t *testing.T) {
	cursor := new(MemoryCursor)
	checkConcurrentFairness(t, []*RoundRobin{NewRoundRobin(cursor, 0), NewRoundRobin(cursor, 0)}, "n2")
}
