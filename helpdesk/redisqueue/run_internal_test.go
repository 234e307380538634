package redisqueue

import (
	"sync"
	"time"

	"context"
	"github.com/agentdesk/agentdesk/helpdesk"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

// Acknowledging entries and counting the next ones' attempts, a batch of
// shards in one round trip, is safe to repeat: a retry after a lost reply
// acknowledges nothing more and does not count a next attempt twice; and
// each entry is fenced on its own, so that one shard taken by another
// replica does not stop the others' acknowledgements.
func TestAcksRepeatableAndFencedPerEntry(t *testing.T) {
	ctx := context.Background()
	c := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	attempts := prefix + "attempts"
	type shard struct{ owner, stream, a, b string }
	var sh [2]shard
	for i := range sh {
		s := &sh[i]
		s.owner, s.stream = prefix+"owner:"+string(rune('0'+i)), prefix+"s:"+string(rune('0'+i))
		require.NoError(t, c.XGroupCreateMkStream(ctx, s.stream, group, "0").Err())
		s.a = c.XAdd(ctx, &redis.XAddArgs{Stream: s.stream, Values: map[string]any{"event": "{}"}}).Val()
		s.b = c.XAdd(ctx, &redis.XAddArgs{Stream: s.stream, Values: map[string]any{"event": "{}"}}).Val()
		require.NoError(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "r1", Streams: []string{s.stream, ">"}, Count: 2}).Err())
		require.NoError(t, c.HSet(ctx, attempts, s.stream+"|"+s.a, 1).Err())
	}
	require.NoError(t, c.Set(ctx, sh[0].owner, "token-1", 0).Err())
	require.NoError(t, c.Set(ctx, sh[1].owner, "token-other", 0).Err())
	keys := []string{attempts, sh[0].owner, sh[0].stream, sh[1].owner, sh[1].stream}
	args := []any{group,
		"token-1", sh[0].a, sh[0].stream + "|" + sh[0].a, sh[0].stream + "|" + sh[0].b,
		"token-1", sh[1].a, sh[1].stream + "|" + sh[1].a, sh[1].stream + "|" + sh[1].b,
	}

	n, err := acksScript.Run(ctx, c, keys, args...).Int64Slice()
	require.NoError(t, err)
	require.Equal(t, []int64{1, -1}, n, "the next entry's first attempt; the shard another replica took is refused")
	n, err = acksScript.Run(ctx, c, keys, args...).Int64Slice()
	require.NoError(t, err)
	require.Equal(t, []int64{1, -1}, n, "a repeat does not count the next attempt again")

	s := sh[0]
	require.EqualValues(t, 1, c.XPending(ctx, s.stream, group).Val().Count, "only the next entry is pending")
	require.Zero(t, c.HExists(ctx, attempts, s.stream+"|"+s.a).Val(), "the acknowledged entry's count is gone")
	require.EqualValues(t, 1, c.XLen(ctx, s.stream).Val(), "the acknowledged entry is deleted")
	s = sh[1]
	require.EqualValues(t, 2, c.XPending(ctx, s.stream, group).Val().Count, "nothing acknowledged on the lost shard")
	require.Equal(t, "1", c.HGet(ctx, attempts, s.stream+"|"+s.a).Val(), "its count kept")
	require.EqualValues(t, 2, c.XLen(ctx, s.stream).Val())

	// The last entry of a batch has no next one: 0, and nothing counted.
	n, err = acksScript.Run(ctx, c, []string{attempts, sh[0].owner, sh[0].stream}, group, "token-1", sh[0].b, sh[0].stream+"|"+sh[0].b, "").Int64Slice()
	require.NoError(t, err)
	require.Equal(t, []int64{0}, n)
	require.Zero(t, c.XPending(ctx, sh[0].stream, group).Val().Count)
	require.Zero(t, c.HLen(ctx, attempts).Val()-1, "only the lost shard's count is left")
}

// A shard that is let go (Run cancelled: a shutdown, or a lost lease)
// while handling waits for deliveries being stored does not start the
// next event, although the acknowledgement before the wait had already
// counted that event's attempt.
func TestNoEventStartedAfterShutdownDuringYield(t *testing.T) {
	c := redistest.Client(t)
	q, err := New(c, &Options{Prefix: redistest.KeyPrefix(t), Shards: 1, Lease: 3 * time.Second, Yield: 2 * time.Second})
	require.NoError(t, err)
	ev := func(id string) helpdesk.Event {
		return helpdesk.Event{Type: helpdesk.EventMessageCreated, DeliveryID: id,
			Conversation: helpdesk.Conversation{Vendor: "fake", ID: "1"}}
	}
	require.NoError(t, q.Enqueue(context.Background(), []helpdesk.Event{ev("d1"), ev("d2")}))
	// From now on a delivery being stored stays so until the test ends.
	block := make(chan struct{})
	defer close(block)
	q.enqueue.write = func(b []*enqueueReq) {
		<-block
		for _, r := range b {
			r.done <- enqueueRes{}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var calls []string
	fn := func(_ context.Context, e helpdesk.Event) error {
		mu.Lock()
		calls = append(calls, e.DeliveryID)
		mu.Unlock()
		if e.DeliveryID == "d1" {
			q.enqueue.add(&enqueueReq{done: make(chan enqueueRes, 1)}) // a webhook delivery arrives
			time.AfterFunc(100*time.Millisecond, cancel)               // shutdown, during the wait
		}
		return nil
	}
	require.NoError(t, q.Run(ctx, fn))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"d1"}, calls, "d2 stays for the next holder")
	pending := c.XPending(context.Background(), q.stream(0), group).Val()
	require.EqualValues(t, 1, pending.Count, "d2 still pending, not lost")
}
