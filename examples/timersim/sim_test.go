package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

// A small run checks the mechanics: every timer fires, the killed
// replica's included, and none twice except in the kill's at-least-once
// window (timers the killed replica fired but had not finished). Lateness is only logged: a loaded machine can
// stall the process; the command's runs are the measurement.
func TestRunFiresEveryTimerOnceDespiteAKill(t *testing.T) {
	res, err := Run(context.Background(), Config{
		RedisAddr: redistest.Addr(t), Replicas: 3, Timers: 3000,
		Spread: 2 * time.Second, Lead: 2 * time.Second, Kill: time.Second, Lease: time.Second, Seed: 3,
	})
	require.NoError(t, err)
	t.Log(res.Line())
	require.Equal(t, 3000, res.Fired)
	require.Zero(t, res.Lost)
	require.Zero(t, res.Doubles, "a timer fired twice outside the kill's window")
	require.LessOrEqual(t, res.KillWindow, res.Timers/100, "the kill's window is at most a batch in hand")
	require.Positive(t, res.RedisBytesPerTimer)
	require.Positive(t, res.GoBytesPerTimer)
}
