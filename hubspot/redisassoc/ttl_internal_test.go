package redisassoc

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

func TestTTL(t *testing.T) {
	s, err := New(redistest.Client(t), redistest.KeyPrefix(t), time.Hour)
	require.NoError(t, err)
	now := time.Now()
	s.now = func() time.Time { return now }
	ctx := context.Background()
	require.NoError(t, s.Add(ctx, "1", "10"))
	now = now.Add(30 * time.Minute)
	require.NoError(t, s.Add(ctx, "1", "11"))
	now = now.Add(45 * time.Minute)
	got, err := s.Tickets(ctx, "1")
	require.NoError(t, err)
	require.Equal(t, []string{"11"}, got, "the first association expired")
	ttl, err := s.client.PTTL(ctx, s.prefix+"1").Result()
	require.NoError(t, err)
	require.Greater(t, ttl, 50*time.Minute, "the key lives as long as its newest entry")
}
