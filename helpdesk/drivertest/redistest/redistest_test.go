package redistest_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

func TestClientAnswersAndIsolates(t *testing.T) {
	c := redistest.Client(t)
	ctx := context.Background()
	p1, p2 := redistest.KeyPrefix(t), redistest.KeyPrefix(t)
	require.NotEqual(t, p1, p2)
	require.NoError(t, c.Set(ctx, p1+"k", "v", 0).Err())
	got, err := c.Get(ctx, p1+"k").Result()
	require.NoError(t, err)
	require.Equal(t, "v", got)
}

func TestServerStopRestart(t *testing.T) {
	s := redistest.Start(t)
	ctx := context.Background()
	rc := newClient(s.Addr())
	defer rc.Close()
	require.NoError(t, rc.Ping(ctx).Err())
	s.Stop()
	require.Error(t, rc.Ping(ctx).Err())
	s.Stop() // idempotent
	s.Restart()
	require.NoError(t, rc.Ping(ctx).Err())
}

// fakeTB records how a test would have been stopped.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Cleanup(func()) {}

func run(tb *fakeTB, fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
}

func TestWithoutRedisSkipsVisiblyOrFailsInCI(t *testing.T) {
	t.Setenv(redistest.EnvAddr, "")
	t.Setenv("PATH", t.TempDir())

	t.Setenv("CI", "")
	tb := &fakeTB{TB: t}
	run(tb, func(tb testing.TB) { redistest.Addr(tb) })
	require.Contains(t, tb.skipped, "redis-server not found")
	require.Empty(t, tb.failed)

	t.Setenv("CI", "true")
	tb = &fakeTB{TB: t}
	run(tb, func(tb testing.TB) { redistest.Addr(tb) })
	require.Contains(t, tb.failed, "CI=true")
	require.Empty(t, tb.skipped)
}

func TestAddrPrefersEnvironment(t *testing.T) {
	t.Setenv(redistest.EnvAddr, "127.0.0.1:6390")
	require.Equal(t, "127.0.0.1:6390", redistest.Addr(t))
}

func TestServerAppendOnlyRestartKeepsData(t *testing.T) {
	s := redistest.StartAppendOnly(t)
	ctx := context.Background()
	rc := newClient(s.Addr())
	defer rc.Close()
	require.NoError(t, rc.Set(ctx, "k", "v", 0).Err())
	s.Stop() // SIGKILL: only what was fsynced survives
	s.Restart()
	got, err := rc.Get(ctx, "k").Result()
	require.NoError(t, err)
	require.Equal(t, "v", got)
}
