package redisqueue_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
)

// EnqueueNew drops events whose key was recorded, earlier or within the
// same delivery, stores and records the others in one step, and records
// nothing of a delivery it refuses: its redelivery is stored once there is
// room.
func TestEnqueueNewDropsRedeliveriesAndRecordsOnlyWhatItStores(t *testing.T) {
	c, prefix := redistest.Client(t), redistest.KeyPrefix(t)
	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Shards: 1, MaxLen: 3})
	require.NoError(t, err)
	ctx := context.Background()
	a, b, none := event(1, 1), event(1, 2), event(1, 3)
	none.DeliveryID = ""

	dup, err := q.EnqueueNew(ctx, []helpdesk.Event{a, a, none}, []string{"fake:a", "fake:a", ""}, time.Hour)
	require.NoError(t, err)
	require.Equal(t, []bool{false, true, false}, dup, "a key repeated within the delivery counts once; no key, always stored")
	dup, err = q.EnqueueNew(ctx, []helpdesk.Event{a}, []string{"fake:a"}, time.Hour)
	require.NoError(t, err)
	require.Equal(t, []bool{true}, dup, "a redelivery")
	require.Equal(t, map[string][]string{"1": {"1", "3"}}, storedTexts(t, c, prefix, 1))
	ttl := c.PTTL(ctx, prefix+"seen:fake:a").Val()
	require.Greater(t, ttl, 59*time.Minute)
	require.LessOrEqual(t, ttl, time.Hour)

	// Full: b and another event are refused, and b's key is not recorded.
	filler := event(2, 1)
	require.NoError(t, q.Enqueue(ctx, []helpdesk.Event{filler}))
	_, err = q.EnqueueNew(ctx, []helpdesk.Event{b, event(3, 1)}, []string{"fake:b", "fake:c"}, time.Hour)
	require.ErrorIs(t, err, redisqueue.ErrFull)
	require.Zero(t, c.Exists(ctx, prefix+"seen:fake:b", prefix+"seen:fake:c").Val(), "nothing of a refused delivery is recorded")
	// Room again: the vendor's redelivery is stored, not dropped.
	msgs := c.XRange(ctx, prefix+"s:0", "-", "+").Val()
	require.NoError(t, c.XDel(ctx, prefix+"s:0", msgs[0].ID).Err())
	dup, err = q.EnqueueNew(ctx, []helpdesk.Event{b}, []string{"fake:b"}, time.Hour)
	require.NoError(t, err)
	require.Equal(t, []bool{false}, dup)
	require.Equal(t, map[string][]string{"1": {"3", "2"}, "2": {"1"}}, storedTexts(t, c, prefix, 1))

	_, err = q.EnqueueNew(ctx, []helpdesk.Event{a}, []string{"x", "y"}, time.Hour)
	require.Error(t, err, "keys must match the events")
}

// unusedDedupe fails the test when the handler consults it.
type unusedDedupe struct{ t *testing.T }

func (d unusedDedupe) Claim(context.Context, string, time.Duration) (bool, error) {
	d.t.Error("the handler claimed in its DedupeStore although the queue dedupes")
	return true, nil
}

func (d unusedDedupe) Release(context.Context, string) error { return nil }

// Two replicas' handlers share the queue: a delivery sent to both (a
// vendor redelivery landing on another replica) is stored and handled
// once, and the handlers' own DedupeStore is not used: there is no step
// between recording a delivery and storing its event where a killed
// replica could leave it recorded and lost.
func TestHandlersOfTwoReplicasDedupeThroughTheQueue(t *testing.T) {
	c, prefix := redistest.Client(t), redistest.KeyPrefix(t)
	fake := helpdesktest.NewFake()
	conv := fake.Open("1", helpdesk.ChannelWebChat)
	l := newLog()
	var mu sync.Mutex
	var handlers []*helpdesk.WebhookHandler
	for i := range 2 {
		q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Lease: 600 * time.Millisecond, Consumer: "r" + string(rune('0'+i))})
		require.NoError(t, err)
		h, err := helpdesk.NewWebhookHandler(fake, func(_ context.Context, ev helpdesk.Event) error {
			mu.Lock()
			defer mu.Unlock()
			l.add(ev)
			return nil
		}, &helpdesk.WebhookOptions{Queue: q, Dedupe: unusedDedupe{t}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
		handlers = append(handlers, h)
	}
	for i := range 10 {
		d := fake.CustomerWrites(conv, "message "+string(rune('0'+i)))
		for j, h := range handlers {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, fake.Delivery(d))
			require.Equal(t, 200, rec.Code, rec.Body.String())
			if j == 0 {
				require.Contains(t, rec.Body.String(), `"queued"`)
			} else {
				require.True(t, strings.Contains(rec.Body.String(), `"duplicates":1`), "the other replica drops the copy: %s", rec.Body.String())
			}
		}
	}
	require.Eventually(t, func() bool { return l.count() == 10 }, 10*time.Second, 10*time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	require.Zero(t, l.twice)
	require.Len(t, l.seen["1"], 10)
}
