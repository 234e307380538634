package redistest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/internal/redistest"
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
