package redisqueue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
)

// storedTexts returns the texts of the events in the queue's shard
// streams, per conversation, in stream order.
func storedTexts(t *testing.T, c redis.UniversalClient, prefix string, shards int) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for s := range shards {
		msgs, err := c.XRange(context.Background(), fmt.Sprintf("%ss:%d", prefix, s), "-", "+").Result()
		require.NoError(t, err)
		for _, m := range msgs {
			var ev helpdesk.Event
			require.NoError(t, json.Unmarshal([]byte(m.Values["event"].(string)), &ev))
			out[ev.Conversation.ID] = append(out[ev.Conversation.ID], ev.Message.Text)
		}
	}
	return out
}

// Concurrent deliveries, written together in batches, are all stored,
// each conversation's in the order its deliveries were acknowledged.
func TestEnqueueConcurrentDeliveriesStoredInOrder(t *testing.T) {
	c, prefix := redistest.Client(t), redistest.KeyPrefix(t)
	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Shards: 4})
	require.NoError(t, err)
	const senders, each = 50, 40
	var wg sync.WaitGroup
	want := map[string][]string{}
	for s := range senders {
		conv := fmt.Sprint(s % 10) // five senders per conversation
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ev := event(s, i)
				ev.Conversation.ID = conv
				ev.Message.Text = fmt.Sprintf("%d-%d", s, i)
				evs := []helpdesk.Event{ev}
				if i%4 == 0 { // two events in one delivery
					two := event(s, i)
					two.Conversation.ID = conv
					two.Message.Text = fmt.Sprintf("%d-%d+", s, i)
					evs = append(evs, two)
				}
				if err := q.Enqueue(context.Background(), evs); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for s := range senders {
		for i := range each {
			want[fmt.Sprint(s)] = append(want[fmt.Sprint(s)], fmt.Sprintf("%d-%d", s, i))
			if i%4 == 0 {
				want[fmt.Sprint(s)] = append(want[fmt.Sprint(s)], fmt.Sprintf("%d-%d+", s, i))
			}
		}
	}
	wg.Wait()
	// Each sender's texts, picked out of its conversation, in its order.
	got := map[string][]string{}
	for _, texts := range storedTexts(t, c, prefix, 4) {
		for _, text := range texts {
			var s, i int
			_, err := fmt.Sscanf(text, "%d-%d", &s, &i)
			require.NoError(t, err)
			got[fmt.Sprint(s)] = append(got[fmt.Sprint(s)], text)
		}
	}
	require.Empty(t, cmp.Diff(want, got))
}

// A delivery is stored whole or refused whole: a full stream refuses it
// with ErrFull and none of its events is stored, so the redelivery the
// refusal asks for cannot store one twice.
func TestEnqueueFullStoresNothingOfTheDelivery(t *testing.T) {
	c, prefix := redistest.Client(t), redistest.KeyPrefix(t)
	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Shards: 1, MaxLen: 3})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, q.Enqueue(ctx, []helpdesk.Event{event(1, 1), event(2, 1)}))
	require.ErrorIs(t, q.Enqueue(ctx, []helpdesk.Event{event(1, 2), event(2, 2)}), redisqueue.ErrFull)
	require.Equal(t, map[string][]string{"1": {"1"}, "2": {"1"}}, storedTexts(t, c, prefix, 1))
	require.NoError(t, q.Enqueue(ctx, []helpdesk.Event{event(1, 3)}))
	require.ErrorIs(t, q.Enqueue(ctx, []helpdesk.Event{event(1, 4)}), redisqueue.ErrFull)
	require.Equal(t, map[string][]string{"1": {"1", "3"}, "2": {"1"}}, storedTexts(t, c, prefix, 1))
	require.NoError(t, q.Enqueue(ctx, nil), "nothing to store")
}
