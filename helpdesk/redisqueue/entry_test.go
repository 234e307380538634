package redisqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
)

// The vendor's payload (Event.Raw) reaches the event function byte for
// byte as received, whitespace included, through a dead letter and its
// replay too; an event without one gets none; and an entry stored with
// the payload inside the event's JSON still decodes.
func TestRawPayloadKeptAsReceived(t *testing.T) {
	c, prefix := redistest.Client(t), redistest.KeyPrefix(t)
	var mu sync.Mutex
	got := map[string]json.RawMessage{}
	failing := map[string]bool{"with-raw-dead": true}
	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Shards: 1, MaxAttempts: 1, Lease: 600 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = q.Run(ctx, func(_ context.Context, ev helpdesk.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if failing[ev.DeliveryID] {
				return errors.New("boom")
			}
			got[ev.DeliveryID] = ev.Raw
			return nil
		})
	}()
	// A payload as a vendor sends it: indented, with a trailing newline
	// and escapes; encoding it inside the event would have compacted it.
	payload := json.RawMessage("{\n  \"id\": 7,\n  \"text\": \"caf\\u00e9 \\\"quoted\\\"\"\n}\n")
	withRaw := event(1, 0)
	withRaw.DeliveryID, withRaw.Raw = "with-raw", payload
	dead := event(1, 1)
	dead.DeliveryID, dead.Raw = "with-raw-dead", payload
	without := event(1, 2)
	without.DeliveryID = "without-raw"
	require.NoError(t, q.Enqueue(context.Background(), []helpdesk.Event{withRaw, dead, without}))

	// An entry written with the payload inside the event's JSON.
	old := event(1, 3)
	old.DeliveryID, old.Raw = "old-format", json.RawMessage(`{"id":8}`)
	enc, err := json.Marshal(old)
	require.NoError(t, err)
	require.NoError(t, c.XAdd(context.Background(), &redis.XAddArgs{Stream: prefix + "s:0", Values: map[string]any{"event": enc}}).Err())

	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 3 }, 10*time.Second, 10*time.Millisecond)
	letters, err := q.ListDeadLetters(context.Background(), 10)
	require.NoError(t, err)
	require.Len(t, letters, 1)
	require.Equal(t, string(payload), string(letters[0].Event.Raw), "the dead letter keeps the payload")
	mu.Lock()
	failing = nil
	mu.Unlock()
	require.NoError(t, q.Replay(context.Background(), letters[0].ID))
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 4 }, 10*time.Second, 10*time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, string(payload), string(got["with-raw"]))
	require.Equal(t, string(payload), string(got["with-raw-dead"]), "replayed with its payload")
	require.Nil(t, got["without-raw"])
	require.JSONEq(t, `{"id":8}`, string(got["old-format"]))
}
