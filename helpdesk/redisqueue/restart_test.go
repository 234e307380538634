package redisqueue_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
)

// Redis itself is killed (SIGKILL) mid-run and restarted from its
// append-only file while two replicas run: Enqueue fails while it is down,
// the replicas resume on their own, and nothing acknowledged is lost —
// neither a stored event nor a committed completion — or applied twice.
func TestRedisKilledAndRestarted(t *testing.T) {
	srv := redistest.StartAppendOnly(t)
	prefix := redistest.KeyPrefix(t)
	convs, perConv := 100, 20
	total := convs * perConv
	const shards = 8
	lease := time.Second
	ctx := context.Background()

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var running sync.WaitGroup
	for i := range 2 {
		name := fmt.Sprint("r", i)
		c := newClient(t, srv.Addr())
		q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Lease: lease, Shards: shards, Consumer: name})
		require.NoError(t, err)
		running.Add(1)
		go func() {
			defer running.Done()
			_ = q.Run(rctx, recorder(c, prefix, name))
		}()
	}

	c := newClient(t, srv.Addr())
	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Lease: lease, Shards: shards})
	require.NoError(t, err)
	round := func(s int) []helpdesk.Event {
		batch := make([]helpdesk.Event, 0, convs)
		for cv := range convs {
			batch = append(batch, event(cv, s))
		}
		return batch
	}
	handled := func() int64 { n, _ := c.HLen(ctx, prefix+"done").Result(); return n }

	for s := range perConv / 2 {
		require.NoError(t, q.Enqueue(ctx, round(s)))
	}
	require.Eventually(t, func() bool { return handled() >= int64(total/5) }, 30*time.Second, 2*time.Millisecond)

	srv.Stop() // kill -9
	ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
	down := q.Enqueue(ectx, round(perConv/2))
	cancel()
	require.Error(t, down, "Enqueue while Redis is down")
	require.NotErrorIs(t, down, redisqueue.ErrFull)
	require.NotErrorIs(t, down, context.DeadlineExceeded, "fails at once, not when the vendor gave up")

	srv.Restart()
	up := time.Now()
	for s := perConv / 2; s < perConv; s++ { // the vendor redelivers
		require.NoError(t, q.Enqueue(ctx, round(s)))
	}
	require.Eventually(t, func() bool { return handled() == int64(total) }, 60*time.Second, 10*time.Millisecond, "every event handled")
	allDone := time.Since(up)
	stop()
	running.Wait()

	o := readOutcome(t, c, prefix, convs, perConv)
	require.Zero(t, o.lost, "events lost")
	require.Zero(t, o.twice, "events committed twice")
	require.Empty(t, o.outOfOrder, "conversations out of order")

	// When the replicas resumed: the first commit after the restart.
	at, err := c.HGetAll(ctx, prefix+"at").Result()
	require.NoError(t, err)
	var resumed time.Duration
	for _, v := range at {
		f := strings.Fields(v)
		require.Len(t, f, 2)
		ns, err := strconv.ParseInt(f[1], 10, 64)
		require.NoError(t, err)
		if d := time.Unix(0, ns).Sub(up); d > 0 && (resumed == 0 || d < resumed) {
			resumed = d
		}
	}
	t.Logf("%d events, 2 replicas, Redis (appendfsync always) killed once %d were handled, then restarted: %d lost, %d committed twice, %d conversations out of order; "+
		"Enqueue failed while down (%v); first commit %s after the restart, all handled %s after it; the event function was called again for %d events",
		total, total/5, o.lost, o.twice, len(o.outOfOrder), down, resumed.Round(time.Millisecond), allDone.Round(time.Millisecond), o.calledAgain)
}
