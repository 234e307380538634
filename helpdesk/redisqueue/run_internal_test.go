package redisqueue

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

// Acknowledging an entry and counting the next one's attempt in one round
// trip is safe to repeat: a retry after a lost reply acknowledges nothing
// more and does not count the next attempt twice; and it is fenced.
func TestAckBeginRepeatable(t *testing.T) {
	ctx := context.Background()
	c := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	owner, stream, attempts := prefix+"owner:0", prefix+"s:0", prefix+"attempts"
	require.NoError(t, c.XGroupCreateMkStream(ctx, stream, group, "0").Err())
	a := c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: map[string]any{"event": "{}"}}).Val()
	b := c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: map[string]any{"event": "{}"}}).Val()
	require.NoError(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "r1", Streams: []string{stream, ">"}, Count: 2}).Err())
	require.NoError(t, c.Set(ctx, owner, "token-1", 0).Err())
	require.NoError(t, c.HSet(ctx, attempts, stream+"|"+a, 1).Err())
	keys := []string{owner, stream, attempts}

	n, err := ackBeginScript.Run(ctx, c, keys, "token-1", group, a, stream+"|"+a, stream+"|"+b).Int64()
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the next entry's first attempt")
	n, err = ackBeginScript.Run(ctx, c, keys, "token-1", group, a, stream+"|"+a, stream+"|"+b).Int64()
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "a repeat does not count the next attempt again")

	pending := c.XPending(ctx, stream, group).Val()
	require.EqualValues(t, 1, pending.Count, "only the next entry is pending")
	require.Zero(t, c.HExists(ctx, attempts, stream+"|"+a).Val(), "the acknowledged entry's count is gone")
	require.EqualValues(t, 1, c.XLen(ctx, stream).Val(), "the acknowledged entry is deleted")

	_, err = ackBeginScript.Run(ctx, c, keys, "token-2", group, b, stream+"|"+b, "").Int64()
	require.True(t, isLost(err), "a replica that lost the shard is refused: %v", err)
	require.EqualValues(t, 1, c.XPending(ctx, stream, group).Val().Count)
}
