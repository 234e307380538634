package redisrr_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/escalation/redisrr"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

func TestRoundRobinConcurrentRedis(t *testing.T) {
	addr := redistest.Addr(t)
	prefix := redistest.KeyPrefix(t)
	// Three replicas, each with its own client, share one rotation: every
	// online agent gets exactly its share.
	var pickers []*escalation.RoundRobin
	for range 3 {
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { _ = c.Close() })
		pickers = append(pickers, escalation.NewRoundRobin(redisrr.NewCursor(c, prefix, 0), 0))
	}
	agents := []escalation.Agent{{ID: "a", Online: true}, {ID: "b", Online: true}, {ID: "c", Online: true}, {ID: "d"}}
	const perGoroutine = 60
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for g := range 3 * len(pickers) {
		rr := pickers[g%len(pickers)]
		wg.Go(func() {
			for range perGoroutine {
				a, err := rr.Pick(context.Background(), "n2", agents)
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

func TestCursor(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	ctx := context.Background()
	cur := redisrr.NewCursor(c, prefix, time.Minute)
	for want := uint64(1); want <= 3; want++ {
		n, err := cur.Next(ctx, "team-1")
		require.NoError(t, err)
		require.Equal(t, want, n)
	}
	ttl, err := c.PTTL(ctx, prefix+"team-1").Result()
	require.NoError(t, err)
	require.Greater(t, ttl, 50*time.Second)

	n, err := redisrr.NewCursor(c, prefix, 0).Next(ctx, "team-2")
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	ttl, err = c.PTTL(ctx, prefix+"team-2").Result()
	require.NoError(t, err)
	require.Equal(t, time.Duration(-1), ttl, "no expiry without ttl")

	// The default prefix is used when none is given.
	_, err = redisrr.NewCursor(c, "", 0).Next(ctx, prefix+"x")
	require.NoError(t, err)
	require.EqualValues(t, 1, c.Exists(ctx, "agentdesk:escalation:rr:"+prefix+"x").Val())
}

func TestCursorServerDown(t *testing.T) {
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	srv.Stop()
	rr := escalation.NewRoundRobin(redisrr.NewCursor(c, "", 0), 0)
	_, err := rr.Pick(context.Background(), "n2", []escalation.Agent{{ID: "a", Online: true}})
	require.Error(t, err)
	require.NotErrorIs(t, err, escalation.ErrNoAgentAvailable)
}
