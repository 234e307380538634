package escalation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrNoAgentAvailable is returned by RoundRobin.Pick when every agent of
// the team is offline or at their limit. Like Cloud Chat's auto-assignment,
// the host leaves the conversation with the team, unassigned, and tries
// again later.
var ErrNoAgentAvailable = errors.New("escalation: no agent available")

// Agent is one human agent of a team as the host sees it now.
type Agent struct {
	// ID is the vendor's agent id.
	ID string
	// Online is set when the agent can receive conversations now.
	Online bool
	// Open is how many open conversations the agent has.
	Open int
	// Limit is the agent's maximum of open conversations; 0 uses the
	// RoundRobin's default limit, a negative value means no limit.
	Limit int
}

// Cursor is the shared rotation state of RoundRobin: Next returns a number
// that grows by one at each call for key, atomically across every process
// sharing the cursor.
type Cursor interface {
	Next(ctx context.Context, key string) (uint64, error)
}

// MemoryCursor is a Cursor for one process. The zero value is ready.
type MemoryCursor struct {
	m sync.Map // key → *atomic.Uint64
}

// Next implements Cursor.
func (c *MemoryCursor) Next(_ context.Context, key string) (uint64, error) {
	v, ok := c.m.Load(key)
	if !ok {
		v, _ = c.m.LoadOrStore(key, new(atomic.Uint64))
	}
	return v.(*atomic.Uint64).Add(1), nil
}

// RoundRobin distributes conversations among a team's agents in turn,
// skipping agents who are offline or at their limit of open conversations
// (Zendesk's L2 round robin, Cloud Chat's per-agent limits). It is safe for
// concurrent use; with a shared Cursor (escalation/redisrr) several replicas
// rotate through one list.
type RoundRobin struct {
	cursor       Cursor
	defaultLimit int
}

// NewRoundRobin returns a RoundRobin using cursor (a new MemoryCursor when
// nil). defaultLimit applies to agents with Limit 0; 0 means no limit.
func NewRoundRobin(cursor Cursor, defaultLimit int) *RoundRobin {
	if cursor == nil {
		cursor = new(MemoryCursor)
	}
	return &RoundRobin{cursor: cursor, defaultLimit: max(defaultLimit, 0)}
}

// Pick returns the next agent of team among agents. Eligible agents (online,
// below their limit) are ordered by ID, so every replica sees the same list
// whatever order its vendor API returned, and the cursor for team selects
// one in turn: with agents A, B and C eligible, successive picks give A, B,
// C, A... An agent who goes offline or reaches the limit is left out until
// they can take more, and the others share the load.
func (rr *RoundRobin) Pick(ctx context.Context, team string, agents []Agent) (Agent, error) {
	var buf [64]int // teams are small: no allocation
	eligible := buf[:0]
	for i, a := range agents {
		if a.ID == "" || !a.Online {
			continue
		}
		limit := a.Limit
		if limit == 0 {
			limit = rr.defaultLimit
		}
		if limit > 0 && a.Open >= limit {
			continue
		}
		eligible = append(eligible, i)
	}
	if len(eligible) == 0 {
		return Agent{}, fmt.Errorf("%w in team %q", ErrNoAgentAvailable, team)
	}
	slices.SortFunc(eligible, func(a, b int) int { return strings.Compare(agents[a].ID, agents[b].ID) })
	n, err := rr.cursor.Next(ctx, team)
	if err != nil {
		return Agent{}, fmt.Errorf("escalation: round robin cursor for team %q: %w", team, err)
	}
	return agents[eligible[(n-1)%uint64(len(eligible))]], nil
}
