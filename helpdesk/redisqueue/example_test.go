package redisqueue_test

import (
	"context"
	stdlog "log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
)

// A webhook handler whose deliveries are stored on Redis Streams and
// handled by whichever replica holds the conversation's shard. The event
// function records the answered message with AckWith: that write and the
// event's acknowledgement land together or not at all, so a replica killed
// between the two leaves no trace and the event is handled again, once,
// elsewhere.
func ExampleAckWith() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	q, err := redisqueue.New(rdb, nil)
	if err != nil {
		stdlog.Fatal(err)
	}
	desk := helpdesktest.NewFake() // your driver
	answer := func(ctx context.Context, ev helpdesk.Event) error {
		if ev.Message == nil {
			return nil
		}
		// Reply with an IdempotencyKey here: a call killed half-way
		// is made again, and the key keeps the customer from getting
		// the answer twice.
		return redisqueue.AckWith(ctx, func(p redis.Pipeliner) {
			p.HSet(ctx, "answered", ev.DeliveryID, ev.Conversation.Key())
		})
	}
	h, err := helpdesk.NewWebhookHandler(desk, answer, &helpdesk.WebhookOptions{Queue: q})
	if err != nil {
		stdlog.Fatal(err)
	}
	defer h.Shutdown(context.Background())
	stdlog.Fatal(http.ListenAndServe(":8080", h))
}
