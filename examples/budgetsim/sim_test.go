package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

// The vendor window is short so that a two-second run crosses window
// boundaries, and the limit low enough (one refill per 56 ms) that
// scheduling delays on a busy machine stay below a refill interval.
// Utilisation is only logged, not asserted: a loaded machine can stall the
// whole process for longer than the run. The 30-second runs of the command
// are the measurement; this test checks the mechanics.
func short(setup Setup, addr string) Config {
	return Config{
		Replicas: 3, Duration: 2 * time.Second, Limit: 20, Window: time.Second,
		Demand: 3, CriticalShare: 0.2, NormalMaxWait: 200 * time.Millisecond,
		Latency: time.Millisecond, Setup: setup, RedisAddr: addr, Seed: 7,
	}
}

func TestRunSharedOnRedisNeverRejected(t *testing.T) {
	res, err := Run(context.Background(), short(Shared, redistest.Addr(t)))
	require.NoError(t, err)
	t.Log(res.Line())
	require.Zero(t, res.Rejected)
	require.Positive(t, res.Accepted)
	require.Positive(t, res.Critical)
	require.Positive(t, res.Deferred)
	require.Regexp(t, regexp.MustCompile(`^utilization=\d+\.\d\d rejected=0 critical_p99=\S+ normal_p99=\S+$`), res.Line())
}

func TestRunSharedInProcess(t *testing.T) {
	res, err := Run(context.Background(), short(Shared, ""))
	require.NoError(t, err)
	t.Log(res.Line())
	require.Zero(t, res.Rejected)
	require.Positive(t, res.Accepted)
}

func TestRunNaiveGetsRejected(t *testing.T) {
	res, err := Run(context.Background(), short(Naive, ""))
	require.NoError(t, err)
	t.Log(res.Line())
	require.Positive(t, res.Rejected)
}

func TestRunRejectsBadConfig(t *testing.T) {
	_, err := Run(context.Background(), Config{})
	require.Error(t, err)
	cfg := short(Naive, "")
	cfg.CriticalShare = 2
	_, err = Run(context.Background(), cfg)
	require.Error(t, err)
}

func TestLineFormat(t *testing.T) {
	r := Result{Utilization: 0.974, CriticalP99: 180 * time.Millisecond, NormalP99: 2140 * time.Millisecond}
	require.Equal(t, "utilization=0.97 rejected=0 critical_p99=180ms normal_p99=2.1s", r.Line())
}
