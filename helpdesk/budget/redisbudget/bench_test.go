package redisbudget_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

// A limit far above what a benchmark can reach, so Wait never sleeps and the
// benchmark measures the cost of a decision.
var unbounded = []budget.Limit{{Count: 1 << 40, Window: time.Minute}}

func reportRate(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "waits/s")
}

func newBenchShared(b *testing.B) *budget.Shared {
	c := redis.NewClient(&redis.Options{Addr: redistest.Addr(b)})
	b.Cleanup(func() { _ = c.Close() })
	sb, err := redisbudget.New(context.Background(), c, "bench", unbounded, budget.WithKeyPrefix(redistest.KeyPrefix(b)))
	if err != nil {
		b.Fatal(err)
	}
	return sb
}

func BenchmarkSharedWait(b *testing.B) {
	sb := newBenchShared(b)
	ctx := context.Background()
	start := time.Now()
	for b.Loop() {
		if err := sb.Wait(ctx, normal); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, start)
	if sb.Degraded() {
		b.Fatal("fell back to the local budget")
	}
}

// Concurrent callers of one priority queue in-process, so Redis sees one
// round trip at a time per queue; critical and normal use separate queues.
func BenchmarkSharedWaitParallel(b *testing.B) {
	sb := newBenchShared(b)
	ctx := context.Background()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c := normal
			if i%2 == 1 {
				c = critical
			}
			i++
			if err := sb.Wait(ctx, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, start)
}
