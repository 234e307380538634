package driver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Reconciliation of writes that may have landed.
//
// Most helpdesk writes that post a message take no idempotency key the
// vendor checks. When such a write fails ambiguously (a timeout or reset
// after the request was written, a 5xx), it may or may not have posted
// the message, and neither resending it blindly (a duplicate the customer
// sees) nor reporting failure (a host retry makes the same duplicate) is
// right. A driver settles it with Reconcile: it sends the write with
// transport.Request.Reconciled (so the transport never resends it by
// itself), and after an ambiguous failure reads the conversation back
// (Write.Find) for its own message, posted since the first attempt. Found,
// the write succeeded; not found, it is sent once more, at most MaxSends
// times in all. A failure that could not be settled is remembered under
// the host's idempotency key (Write.Key), so that the host's retry of the
// same message (helpdesk.Reply does that) reads the conversation back
// first instead of posting again. A retry in another process (another
// replica, or after a restart) cannot see that memory: there the host's
// helpdesk.Message.EarlierAttempt (which Reply sets from its shared
// progress store) makes Reconcile read back first all the same.
//
// A write that succeeded is remembered under the host's key too, with the
// result Reconcile returned: when the host could not record that success
// (its progress store was down) and retries the same message in the same
// process, telling of the earlier attempt (EarlierAttempt, which Reply
// sets for a part it attempted before), Reconcile returns that result
// again without sending or reading back. Reading back would not do: Find
// skips the ids this client posted, so the message would be posted a
// second time. A message sent again under the same key without an earlier
// attempt is sent (a vendor honouring the key answers with the first).
//
// Find must skip messages the driver already accounted for: ids it
// posted or found before (Reconciler.Posted, Reconciler.Claim), so that
// two identical answers in a row are two messages, not one found twice.

// Defaults of Reconciler.
const (
	// DefaultMaxSends bounds the attempts of one reconciled write.
	DefaultMaxSends = 3
	// ReconcileSkew is how much earlier than the first attempt a found
	// message may be dated, for the clocks of the vendor and the host.
	ReconcileSkew = 2 * time.Minute
	// reconcileMemory bounds the unsettled writes, the results and the
	// ids remembered.
	reconcileMemory = 4096
)

// Reconciler holds what reconciliation remembers for one client: writes
// it could not settle and the results of those that succeeded, by host
// key, and the ids of messages the client posted or found. The zero value
// is ready; it is safe for concurrent use.
type Reconciler struct {
	// MaxSends bounds the attempts of one write (0: DefaultMaxSends).
	MaxSends int

	mu        sync.Mutex
	unsettled map[string]time.Time // host key -> first attempt
	results   map[string]any       // host key -> result of a write that succeeded
	settled   []string             // results' keys, oldest first
	known     map[string]struct{}  // ids posted or found
	order     []string             // known, oldest first
}

// Write is one reconciled write, of a message whose receipt is T.
type Write[T any] struct {
	// Key is the host's idempotency key of the message, scoped by the
	// driver to the conversation ("" when the host gave none: neither an
	// unsettled failure nor a success is then remembered). A key names
	// one message: a write retried under the key of one that succeeded,
	// with an earlier attempt, returns that success, unsent.
	Key string
	// Send makes one attempt, with transport.Request.Reconciled set.
	Send func(ctx context.Context) (T, error)
	// Find reads the conversation back and reports the message if it
	// was posted at or after since (the first attempt less
	// ReconcileSkew) and Claim accepts its id.
	Find func(ctx context.Context, since time.Time) (T, bool, error)
}

// earlierAttemptKey carries helpdesk.Message.EarlierAttempt from the
// Portable's SendMessage to Reconcile.
type earlierAttemptKey struct{}

// Reconcile runs w as the comment above says. The error is the last
// attempt's; a read-back that fails ends the attempts (the write is then
// remembered as unsettled under w.Key).
func Reconcile[T any](ctx context.Context, r *Reconciler, w Write[T]) (res T, err error) {
	var zero T
	earlier, retried := ctx.Value(earlierAttemptKey{}).(time.Time)
	if retried {
		if res, ok := recall[T](r, w.Key); ok {
			return res, nil
		}
	}
	defer func() {
		if err == nil {
			r.remember(w.Key, res)
		}
	}()
	start := time.Now()
	since, ok := r.take(w.Key)
	if !ok {
		// The host knows of an earlier attempt this client did not make
		// (helpdesk.Message.EarlierAttempt, passed on by the Portable):
		// a retry on another replica, or after a restart.
		since, ok = earlier, retried
	}
	if ok {
		res, found, err := w.Find(ctx, since.Add(-ReconcileSkew))
		if err != nil {
			r.put(w.Key, since)
			return zero, err
		}
		if found {
			return res, nil
		}
		start = since
	}
	max := r.MaxSends
	if max <= 0 {
		max = DefaultMaxSends
	}
	var lastErr error
	for range max {
		res, err := w.Send(ctx)
		if err == nil {
			return res, nil
		}
		lastErr = err
		if !Ambiguous(err) || ctx.Err() != nil {
			break
		}
		res, found, ferr := w.Find(ctx, start.Add(-ReconcileSkew))
		if ferr != nil {
			break
		}
		if found {
			return res, nil
		}
	}
	if Ambiguous(lastErr) {
		r.put(w.Key, start)
	}
	return zero, lastErr
}

// Ambiguous reports whether a failed write may have reached the vendor: a
// 5xx or 408 answer, or a transport failure after a request was written
// whole (a timeout or reset awaiting the answer). A request never written
// (a refused dial, a cancelled wait for the budget: RequestError.Written
// is false) did not reach the vendor and is not ambiguous.
func Ambiguous(err error) bool {
	if err == nil {
		return false
	}
	var ae *helpdesk.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500 || ae.StatusCode == http.StatusRequestTimeout
	}
	var re *transport.RequestError
	return errors.As(err, &re) && re.Written
}

// recall returns the result remembered for key.
func recall[T any](r *Reconciler, key string) (T, bool) {
	var zero T
	if key == "" {
		return zero, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	res, ok := r.results[key].(T)
	if !ok {
		return zero, false
	}
	return res, true
}

// remember keeps res as the result of the write under key (bounded: the
// oldest is forgotten first).
func (r *Reconciler) remember(key string, res any) {
	if key == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.results == nil {
		r.results = map[string]any{}
	}
	if _, ok := r.results[key]; !ok {
		if len(r.settled) >= reconcileMemory {
			delete(r.results, r.settled[0])
			r.settled = r.settled[1:]
		}
		r.settled = append(r.settled, key)
	}
	r.results[key] = res
}

func (r *Reconciler) take(key string) (time.Time, bool) {
	if key == "" {
		return time.Time{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.unsettled[key]
	delete(r.unsettled, key)
	return t, ok
}

func (r *Reconciler) put(key string, since time.Time) {
	if key == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unsettled == nil {
		r.unsettled = map[string]time.Time{}
	}
	if len(r.unsettled) >= reconcileMemory {
		for k := range r.unsettled { // forget one: a bound, not an order
			delete(r.unsettled, k)
			break
		}
	}
	r.unsettled[key] = since
}

// Posted records the id of a message the client posted (bounded: the
// oldest is forgotten first). An empty id is ignored.
func (r *Reconciler) Posted(id string) { r.Claim(id) }

// IsPosted reports whether id was recorded by Posted or Claim.
func (r *Reconciler) IsPosted(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.known[id]
	return ok
}

// Claim records id and reports whether it was new: Find accepts a
// candidate message only when Claim returns true.
func (r *Reconciler) Claim(id string) bool {
	if id == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known == nil {
		r.known = map[string]struct{}{}
	}
	if _, ok := r.known[id]; ok {
		return false
	}
	if len(r.order) >= reconcileMemory {
		delete(r.known, r.order[0])
		r.order = r.order[1:]
	}
	r.known[id] = struct{}{}
	r.order = append(r.order, id)
	return true
}
