package helpdesk

import (
	"context"
	"time"
)

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

// DedupingQueue is a Queue that drops redeliveries itself, in the same
// atomic step that stores events. With a separate DedupeStore the handler
// claims a delivery id, then stores the event: a replica killed between
// the two leaves the id claimed and nothing stored, and a shared store
// (helpdesk/redisdedupe) then drops the vendor's redelivery as a
// duplicate, so the customer's message is never handled. With a
// DedupingQueue the handler does not use WebhookOptions.Dedupe: the
// queue's record of the ids is the dedupe, shared by every replica using
// the queue. helpdesk/redisqueue implements it.
type DedupingQueue interface {
	Queue
	// EnqueueNew stores the events whose dedupe key (keys[i]; "" for an
	// event without one, always stored) was not recorded within ttl, and
	// records their keys for ttl, all in one step, in order: all or none,
	// as Enqueue. A key repeated within events counts once. It reports,
	// per event, whether it was a duplicate (not stored). An error means
	// nothing was stored nor recorded, or, when the outcome is unknown
	// (the reply was lost), that a redelivery finds what was.
	EnqueueNew(ctx context.Context, events []Event, keys []string, ttl time.Duration) (dup []bool, err error)
}
