package redisqueue_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
)

// A replica that lost its shard while its event function ran (stalled,
// or cut from Redis, for longer than the lease) cannot acknowledge that
// event nor commit its AckWith writes: the shard's next holder handles the
// event again and its completion is committed once.
func TestFencedAfterLosingTheShard(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	ctx := context.Background()
	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Shards: 1, Lease: 600 * time.Millisecond, Consumer: "a"})
	require.NoError(t, err)
	record := recorder(c, prefix, "a")
	inFirst := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = q.Run(rctx, func(ctx context.Context, ev helpdesk.Event) error {
			first := false
			once.Do(func() { first = true })
			if first {
				close(inFirst)
				<-release // stalled while another replica takes the shard
			}
			return record(ctx, ev)
		})
	}()
	require.NoError(t, q.Enqueue(ctx, []helpdesk.Event{event(1, 0), event(1, 1), event(1, 2)}))
	<-inFirst

	// Another replica takes the shard, as after the lease expired.
	lease, owner := prefix+"lease:0", prefix+"owner:0"
	require.NoError(t, c.Set(ctx, lease, "intruder", time.Minute).Err())
	require.NoError(t, c.Set(ctx, owner, "intruder", 0).Err())
	close(release)
	// The stalled call returned; its acknowledgement was refused, and
	// the replica can read nothing while the intruder holds the shard.
	require.Eventually(t, func() bool {
		n, _ := c.HGet(ctx, prefix+"plain", event(1, 0).DeliveryID).Int()
		return n == 1
	}, 10*time.Second, time.Millisecond)
	pending, err := c.XPending(ctx, prefix+"s:0", "handlers").Result()
	require.NoError(t, err)
	require.EqualValues(t, 3, pending.Count, "nothing acknowledged by the fenced replica")
	done, err := c.HLen(ctx, prefix+"done").Result()
	require.NoError(t, err)
	require.Zero(t, done, "nothing committed by the fenced replica")

	// The intruder leaves without handling anything: the replica takes
	// the shard back and handles the three events, the first again.
	require.NoError(t, c.Del(ctx, lease).Err())
	require.Eventually(t, func() bool { n, _ := c.HLen(ctx, prefix+"done").Result(); return n == 3 }, 10*time.Second, time.Millisecond)
	stop()
	<-ran
	for key, want := range map[string]map[string]string{
		"done":  {"d-1-0": "1", "d-1-1": "1", "d-1-2": "1"},
		"calls": {"d-1-0": "2", "d-1-1": "1", "d-1-2": "1"},
	} {
		got, err := c.HGetAll(ctx, prefix+key).Result()
		require.NoError(t, err)
		require.Equal(t, want, got, key)
	}
	log, err := c.LRange(ctx, prefix+"log:1", 0, -1).Result()
	require.NoError(t, err)
	require.Equal(t, []string{"0", "1", "2"}, log)
}

// AckWith outside a queued event says so.
func TestAckWithOutsideRun(t *testing.T) {
	err := redisqueue.AckWith(context.Background(), func(redis.Pipeliner) {})
	require.ErrorIs(t, err, redisqueue.ErrNotQueued)
}

// Each replica start adds a consumer to every shard's group; the holder
// forgets those that hold no entry, so the group does not grow with
// restarts. A consumer still holding entries is kept until they are
// claimed.
func TestForgetsIdleConsumers(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	ctx := context.Background()
	stream := prefix + "s:0"
	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Shards: 1, Lease: 600 * time.Millisecond, Consumer: "live"})
	require.NoError(t, err)
	// A dead replica that had read an event, and one that had not.
	require.NoError(t, q.Enqueue(ctx, []helpdesk.Event{event(1, 0)}))
	require.NoError(t, c.XGroupCreateMkStream(ctx, stream, "handlers", "0").Err())
	require.NoError(t, c.XGroupCreateConsumer(ctx, stream, "handlers", "idle").Err())
	require.NoError(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "handlers", Consumer: "dead", Streams: []string{stream, ">"}, Count: 1}).Err())

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = q.Run(rctx, recorder(c, prefix, "live"))
	}()
	names := func() []string {
		cs, err := c.XInfoConsumers(ctx, stream, "handlers").Result()
		require.NoError(t, err)
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	require.Eventually(t, func() bool { return slices.Equal(names(), []string{"live"}) }, 10*time.Second, time.Millisecond)
	stop()
	<-ran
	done, err := c.HGet(ctx, prefix+"done", event(1, 0).DeliveryID).Result()
	require.NoError(t, err)
	require.Equal(t, "1", done, "the dead consumer's event claimed, then the consumer forgotten")
}
