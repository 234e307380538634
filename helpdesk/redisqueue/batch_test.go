package redisqueue

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// Items added while writers are busy are written together, in order, at
// most maxWriters batches at once and at most maxBatch in weight each;
// busy is closed once nothing is pending or being written.
func TestCoalescerBatchesAndSignalsIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		var batches [][]int
		inFlight, most := 0, 0
		c := &coalescer[int]{maxWriters: 2, maxBatch: 3, weight: func(int) int { return 1 },
			write: func(b []int) {
				mu.Lock()
				inFlight++
				most = max(most, inFlight)
				batches = append(batches, append([]int(nil), b...))
				mu.Unlock()
				<-release
				mu.Lock()
				inFlight--
				mu.Unlock()
			}}
		require.Nil(t, c.busy(), "idle before anything is added")
		for i := range 8 {
			c.add(i)
		}
		synctest.Wait()
		idle := c.busy()
		require.NotNil(t, idle)
		close(release)
		<-idle
		require.Nil(t, c.busy())
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, 2, most, "two batches in flight at most")
		var all []int
		for _, b := range batches {
			require.LessOrEqual(t, len(b), 3)
			for i := 1; i < len(b); i++ {
				require.Equal(t, b[i-1]+1, b[i], "a batch keeps the order items were added in: %v", b)
			}
			all = append(all, b...)
		}
		require.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, all)
	})
}

// Handling waits while deliveries are being stored, but at most Yield,
// and not at all with a negative Yield.
func TestYieldBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		q := &Queue{o: Options{Yield: 20 * time.Millisecond}}
		q.enqueue = coalescer[*enqueueReq]{maxWriters: 1, maxBatch: 1, weight: func(*enqueueReq) int { return 1 },
			write: func([]*enqueueReq) { <-release }}

		start := time.Now()
		require.False(t, q.yield(context.Background()))
		require.Zero(t, time.Since(start), "nothing being stored: no wait")

		q.enqueue.add(&enqueueReq{})
		start = time.Now()
		require.True(t, q.yield(context.Background()))
		require.Equal(t, 20*time.Millisecond, time.Since(start), "stored for longer than Yield: waits Yield")

		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(3 * time.Millisecond); cancel() }()
		start = time.Now()
		require.True(t, q.yield(ctx))
		require.Equal(t, 3*time.Millisecond, time.Since(start), "stops waiting when the shard is let go")

		go func() { time.Sleep(5 * time.Millisecond); close(release) }()
		start = time.Now()
		require.True(t, q.yield(context.Background()))
		require.Equal(t, 5*time.Millisecond, time.Since(start), "goes on as soon as the deliveries are stored")

		q.o.Yield = -1
		release = make(chan struct{})
		q.enqueue.add(&enqueueReq{})
		start = time.Now()
		require.False(t, q.yield(context.Background()))
		require.Zero(t, time.Since(start), "negative Yield: never waits")
		close(release)
		synctest.Wait()
	})
}
