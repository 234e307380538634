package budget_test

import (
	"context"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

// A limit far above what a benchmark can reach, so Wait never sleeps and the
// benchmark measures the cost of a decision.
var unbounded = []budget.Limit{{Count: 1 << 40, Window: time.Minute}}

func reportRate(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "waits/s")
}

func BenchmarkLocalWait(b *testing.B) {
	lb, err := budget.NewLocal("bench", unbounded)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	for b.Loop() {
		if err := lb.Wait(ctx, normal); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, start)
}

func BenchmarkLocalWaitParallel(b *testing.B) {
	lb, err := budget.NewLocal("bench", unbounded)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := lb.Wait(ctx, critical); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, start)
}
