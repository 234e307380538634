package helpdesk

import "context"

// Queue is a durable queue for the webhook handler's queued mode
// (WebhookOptions.Queue): the handler acknowledges a delivery only once
// Enqueue has stored its events, and Run hands stored events to the event
// function, possibly on another replica. helpdesk/redisqueue implements it
// on Redis Streams. Without a Queue, queued mode (WebhookOptions.QueueSize)
// keeps events in process memory: faster, but an acknowledged event is
// lost if the process dies before handling it.
type Queue interface {
	// Enqueue stores events durably, in order. An error makes the handler
	// answer 500 with Retry-After (and forget the deliveries' dedupe
	// claims) so the vendor redelivers.
	Enqueue(ctx context.Context, events []Event) error
	// Run hands stored events to fn until ctx ends: the events of one
	// conversation in order, one at a time, across every replica running
	// the same queue. It returns after the events in hand are handled.
	Run(ctx context.Context, fn EventFunc) error
}
