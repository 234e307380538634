package helpdesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// WebhookParser is the part of Helpdesk the webhook handler needs.
type WebhookParser interface {
	ParseWebhook(ctx context.Context, req *WebhookRequest) ([]Event, error)
}

// EventFunc handles one event. In synchronous mode its error makes the
// handler answer 500, the status every vendor redelivers on (see
// WebhookStatus), whatever the error.
type EventFunc func(ctx context.Context, e Event) error

// DefaultDedupeTTL covers the longest vendor redelivery window in common use
// (HubSpot workflow webhooks retry for up to 3 days).
const DefaultDedupeTTL = 72 * time.Hour

// WebhookOptions configures a WebhookHandler. The zero value is usable.
type WebhookOptions struct {
	// MaxBodyBytes caps request bodies (default DefaultMaxWebhookBytes).
	MaxBodyBytes int64
	// Dedupe drops redeliveries (default: a new MemoryDedupe).
	Dedupe DedupeStore
	// DedupeTTL is how long a delivery id is remembered (default
	// DefaultDedupeTTL).
	DedupeTTL time.Duration
	// QueueSize selects queued mode when positive: the handler acknowledges
	// with 200 (body {"status":"queued"}) once events are on a bounded queue
	// of this many events, and answers 503 when it is full. The
	// acknowledgement is a 200, not a 202, because some vendors (Intercom)
	// resend anything but a 200. Zero selects synchronous mode: the handler
	// acknowledges after fn returns. Vendors that hand a conversation to
	// humans when the bot is slow (Chatwoot: 5 s) call for queued mode.
	//
	// The queue absorbs a burst of QueueSize events beyond what Workers
	// handle meanwhile, in process memory: events acknowledged but not yet
	// handled are lost if the process dies. With an event function taking
	// d, the workers handle at most Workers/d events a second (8,000 with
	// the default 8 workers and 1 ms), and far fewer while acknowledging
	// a flood takes the CPU, so a burst of B deliveries over T seconds
	// fits only when B - Workers*T/d < QueueSize. As measured on 2 cores
	// (BenchmarkFlood in helpdesk/redisqueue): 25,000 deliveries from 500
	// clients, each sending as soon as answered, into QueueSize 10,000
	// with the default 8 workers and a 1 ms event function, got 503 for
	// 30 to 33 % of them: the queue took 10,000 and the workers handled
	// about 7,000 during the flood. Size QueueSize for the largest burst
	// expected (a vendor's redelivery after an outage is the usual one);
	// vendors redeliver a 503, but Chatwoot's agent bots do not (see
	// WebhookStatus). Queue (helpdesk/redisqueue) is durable and absorbs
	// floods up to its cap in Redis.
	QueueSize int
	// Workers is the number of goroutines handling queued events (default
	// 8). Events of one conversation are always handled in order, one at a
	// time; different conversations concurrently.
	Workers int
	// HandleTimeout bounds each queued event's handling (default 2 min).
	HandleTimeout time.Duration
	// ExternalURL, when set, gives the URL the vendor called (for vendors
	// that sign it, behind proxies that rewrite it).
	ExternalURL *url.URL
	// Logger receives one line per rejected delivery and handling failure
	// (default: silent).
	Logger *slog.Logger
	// OnAbandoned, in queued mode, receives each queued event that was
	// never handed to the event function because Shutdown's deadline
	// passed first, so the host can persist it (the vendor will not
	// redeliver an acknowledged delivery). Its dedupe claim is released
	// before the call. Shutdown's *ShutdownError counts them too.
	OnAbandoned func(Event)
	// Queue, when set, selects durable queued mode: the handler
	// acknowledges with 200 once Queue.Enqueue stored a delivery's events
	// (500 with Retry-After when it fails, so that the vendor redelivers)
	// and runs Queue.Run, which hands them to the event function here or
	// on another replica (helpdesk/redisqueue). QueueSize, Workers,
	// HandleTimeout and OnAbandoned are then the Queue's business; so is
	// Dedupe when the Queue is a DedupingQueue (redisqueue is), which drops
	// redeliveries in the step that stores events.
	Queue Queue
}

// WebhookHandler is an http.Handler for vendor webhooks: it caps the body,
// verifies and parses it with the driver, drops redeliveries, and dispatches
// events to the host's function in per-conversation order. Forged or
// malformed requests get a 4xx, never a 5xx or a panic.
//
// Serve it with an http.Server whose timeouts are set: vendors give up on
// a delivery within seconds (Intercom and Chatwoot's agent bots after 5 s,
// Zendesk after 12 s) and redeliver, so a client slower than that is not a
// vendor, and without timeouts each one holds a goroutine and a socket for
// as long as it likes. ReadHeaderTimeout 5 s and ReadTimeout 10 s bound the
// request (headers and the capped body), WriteTimeout 15 s covers the
// answer (queued mode answers at once), IdleTimeout 60 s drops idle
// keep-alive connections; on shutdown call http.Server.Shutdown, then
// Shutdown here, both under one deadline (examples/faqbot does all this).
type WebhookHandler struct {
	parser WebhookParser
	fn     EventFunc
	opts   WebhookOptions
	log    *slog.Logger

	// per-conversation locks for synchronous mode
	locks keyedLocks

	// gate guards closed for enter, which every delivery passes: read
	// locks do not queue deliveries behind one another.
	gate sync.RWMutex

	// queued mode
	mu       sync.Mutex
	queues   map[string]*convQueue
	queued   int
	ready    chan string
	closed   bool // written under gate and mu, read under either
	wg       sync.WaitGroup
	baseCtx  context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup
	// abandon is set when Shutdown's deadline passed: queued events are
	// no longer handed to the event function.
	abandon   bool
	abandoned int
	// committed counts queued events a worker took while abandon was
	// false and has not yet handed over; Shutdown waits for it to drop to
	// zero, so no hand-over decided before it returns happens after.
	committed int
	running   int
	handedOff *sync.Cond
}

type convQueue struct {
	events []queuedEvent
	// first holds the first event, so that a conversation's queue and
	// its usual single event are one allocation.
	first [1]queuedEvent
}

type queuedEvent struct {
	ev  Event
	key string
}

// NewWebhookHandler returns a handler that passes parsed events to fn.
// In queued mode it starts its workers; call Shutdown to drain them.
func NewWebhookHandler(p WebhookParser, fn EventFunc, opts *WebhookOptions) (*WebhookHandler, error) {
	if p == nil {
		return nil, errors.New("helpdesk: NewWebhookHandler: nil parser")
	}
	if fn == nil {
		return nil, errors.New("helpdesk: NewWebhookHandler: nil event func")
	}
	h := &WebhookHandler{parser: p, fn: fn}
	if opts != nil {
		h.opts = *opts
	}
	o := &h.opts
	if o.MaxBodyBytes < 0 || o.QueueSize < 0 || o.Workers < 0 || o.DedupeTTL < 0 || o.HandleTimeout < 0 {
		return nil, errors.New("helpdesk: NewWebhookHandler: negative option")
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxWebhookBytes
	}
	if o.Dedupe == nil {
		o.Dedupe = NewMemoryDedupe()
	}
	if o.DedupeTTL == 0 {
		o.DedupeTTL = DefaultDedupeTTL
	}
	if o.Workers == 0 {
		o.Workers = 8
	}
	if o.HandleTimeout == 0 {
		o.HandleTimeout = 2 * time.Minute
	}
	h.log = o.Logger
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.locks.m = make(map[string]*keyLock)
	h.handedOff = sync.NewCond(&h.mu)
	if o.Queue != nil {
		h.baseCtx, h.cancel = context.WithCancel(context.Background())
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			if err := o.Queue.Run(h.baseCtx, fn); err != nil && h.baseCtx.Err() == nil {
				h.log.Error("webhook queue stopped", "error", err.Error())
			}
		}()
	} else if o.QueueSize > 0 {
		h.queues = make(map[string]*convQueue)
		h.ready = make(chan string, o.QueueSize)
		h.baseCtx, h.cancel = context.WithCancel(context.Background())
		for i := 0; i < o.Workers; i++ {
			h.wg.Add(1)
			go h.worker()
		}
	}
	return h, nil
}

type webhookReply struct {
	Status     string `json:"status"`
	Events     int    `json:"events,omitempty"`
	Duplicates int    `json:"duplicates,omitempty"`
	Error      string `json:"error,omitempty"`
}

// jsonContentType is the Content-Type value of every reply. The server
// copies the handler's header map, values included, when it writes the
// header, and nothing writes into a value slice in place, so every reply
// can share this one instead of allocating it (the full slice expression
// makes an append copy it).
var jsonContentType = []string{"application/json"}[:1:1]

func writeReply(w http.ResponseWriter, status int, r webhookReply) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	if b := cachedReply(r); b != nil {
		_, _ = w.Write(b)
		return
	}
	_, _ = w.Write(r.appendJSON(make([]byte, 0, 96)))
}

// Replies of the shapes almost every delivery gets (acknowledged or
// handled, a few events, a few duplicates) are written once, here, for
// all: an io.Writer must neither modify nor retain what it is given.
const (
	cachedEvents = 8
	cachedDups   = 2
)

var cachedReplies = func() (c [2][cachedEvents + 1][cachedDups + 1][]byte) {
	for s, status := range []string{"ok", "queued"} {
		for e := 0; e <= cachedEvents; e++ {
			for d := 0; d <= cachedDups; d++ {
				c[s][e][d] = webhookReply{Status: status, Events: e, Duplicates: d}.appendJSON(nil)
			}
		}
	}
	return c
}()

// cachedReply returns r's encoding from cachedReplies, or nil.
func cachedReply(r webhookReply) []byte {
	if r.Error != "" || r.Events < 0 || r.Events > cachedEvents || r.Duplicates < 0 || r.Duplicates > cachedDups {
		return nil
	}
	switch r.Status {
	case "ok":
		return cachedReplies[0][r.Events][r.Duplicates]
	case "queued":
		return cachedReplies[1][r.Events][r.Duplicates]
	}
	return nil
}

// appendJSON appends r as json.Encoder writes it, without its reflection
// and allocations: every acknowledgement writes one.
func (r webhookReply) appendJSON(b []byte) []byte {
	b = append(b, `{"status":`...)
	b = appendJSONString(b, r.Status)
	if r.Events != 0 {
		b = append(b, `,"events":`...)
		b = strconv.AppendInt(b, int64(r.Events), 10)
	}
	if r.Duplicates != 0 {
		b = append(b, `,"duplicates":`...)
		b = strconv.AppendInt(b, int64(r.Duplicates), 10)
	}
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, r.Error)
	}
	return append(b, "}\n"...)
}

// appendJSONString appends s quoted as encoding/json quotes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func (h *WebhookHandler) reject(w http.ResponseWriter, r *http.Request, err error) {
	status := WebhookStatus(err)
	h.log.Warn("webhook rejected", "status", status, "path", r.URL.Path, "error", err.Error())
	writeReply(w, status, webhookReply{Status: "rejected", Error: err.Error()})
}

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		h.reject(w, r, &WebhookError{Kind: ErrInvalidPayload, Reason: "method " + r.Method + " not allowed", Status: http.StatusMethodNotAllowed})
		return
	}
	// Register before anything else, under the same lock Shutdown takes
	// to close, so that no request it did not wait for reaches the event
	// function after it returned.
	if !h.enter() {
		writeReply(w, http.StatusServiceUnavailable, webhookReply{Status: "shutting down"})
		return
	}
	defer h.inflight.Done()
	req, err := readWebhookRequest(w, r, h.opts.MaxBodyBytes)
	if err != nil {
		h.reject(w, r, err)
		return
	}
	if h.opts.ExternalURL != nil {
		// req.URL is req's own copy.
		*req.URL = *h.opts.ExternalURL
		req.URL.RawQuery = r.URL.RawQuery
	}
	events, err := h.parse(r.Context(), req)
	if err != nil {
		h.reject(w, r, err)
		return
	}
	if dq, ok := h.opts.Queue.(DedupingQueue); ok {
		h.enqueueNew(w, r, dq, events)
		return
	}
	var keyBuf [4]string
	fresh, keys, dups, err := h.claim(r.Context(), events, keyBuf[:0])
	if err != nil {
		// 500, like a failed event function (see WebhookStatus): the
		// status every vendor redelivers on, where a 503 would lose the
		// message with Chatwoot's agent bots.
		h.log.Error("webhook dedupe store failed", "error", err.Error())
		w.Header().Set("Retry-After", "5")
		writeReply(w, http.StatusInternalServerError, webhookReply{Status: "error", Error: "dedupe store unavailable"})
		return
	}
	if len(fresh) == 0 {
		writeReply(w, http.StatusOK, webhookReply{Status: "ok", Duplicates: dups})
		return
	}
	if h.opts.Queue != nil {
		if err := h.opts.Queue.Enqueue(r.Context(), fresh); err != nil {
			h.release(keys)
			h.log.Error("webhook queue refused a delivery", "error", err.Error())
			w.Header().Set("Retry-After", "5")
			writeReply(w, http.StatusInternalServerError, webhookReply{Status: "busy", Error: "queue unavailable"})
			return
		}
		writeReply(w, http.StatusOK, webhookReply{Status: "queued", Events: len(fresh), Duplicates: dups})
		return
	}
	if h.opts.QueueSize > 0 {
		if err := h.enqueue(fresh, keys); err != nil {
			h.release(keys)
			writeReply(w, http.StatusServiceUnavailable, webhookReply{Status: "busy", Error: err.Error()})
			return
		}
		writeReply(w, http.StatusOK, webhookReply{Status: "queued", Events: len(fresh), Duplicates: dups})
		return
	}
	for i, ev := range fresh {
		if err := h.handleOrdered(r.Context(), ev); err != nil {
			// Forget this and the following events so the vendor's
			// redelivery is processed; earlier ones were handled.
			h.release(keys[i:])
			h.log.Error("webhook event handling failed", "type", string(ev.Type), "conversation", ev.Conversation.Key(), "error", err.Error())
			writeReply(w, http.StatusInternalServerError, webhookReply{Status: "error", Events: i, Error: "event handling failed"})
			return
		}
	}
	writeReply(w, http.StatusOK, webhookReply{Status: "ok", Events: len(fresh), Duplicates: dups})
}

// enqueueNew hands a delivery's events to a queue that drops redeliveries
// itself, in the step that stores them (DedupingQueue).
func (h *WebhookHandler) enqueueNew(w http.ResponseWriter, r *http.Request, q DedupingQueue, events []Event) {
	var keyBuf [4]string
	keys := keyBuf[:0]
	for i := range events {
		keys = append(keys, dedupeKey(&events[i]))
	}
	dup, err := q.EnqueueNew(r.Context(), events, keys, h.opts.DedupeTTL)
	if err == nil && len(dup) != len(events) {
		err = fmt.Errorf("helpdesk: queue answered %d of %d events", len(dup), len(events))
	}
	if err != nil {
		h.log.Error("webhook queue refused a delivery", "error", err.Error())
		w.Header().Set("Retry-After", "5")
		writeReply(w, http.StatusInternalServerError, webhookReply{Status: "busy", Error: "queue unavailable"})
		return
	}
	dups := 0
	for _, d := range dup {
		if d {
			dups++
		}
	}
	if dups == len(events) {
		writeReply(w, http.StatusOK, webhookReply{Status: "ok", Duplicates: dups})
		return
	}
	writeReply(w, http.StatusOK, webhookReply{Status: "queued", Events: len(events) - dups, Duplicates: dups})
}

// dedupeKey is the dedupe key of ev: its vendor and delivery id ("" when
// it has no delivery id).
func dedupeKey(ev *Event) string {
	if ev.DeliveryID == "" {
		return ""
	}
	return ev.Conversation.Vendor + ":" + ev.DeliveryID
}

func (h *WebhookHandler) parse(ctx context.Context, req *WebhookRequest) (events []Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			events, err = nil, invalidPayload("parser failed on this payload: %v", p)
		}
	}()
	return h.parser.ParseWebhook(ctx, req)
}

// claim records the events' delivery ids, returning the events not seen
// before and their dedupe keys ("" for events without an id), appended to
// keys. While no event is a duplicate, fresh is events itself: only a
// duplicate costs a copy.
func (h *WebhookHandler) claim(ctx context.Context, events []Event, keys []string) ([]Event, []string, int, error) {
	var fresh []Event // nil while every event so far is fresh
	dups := 0
	for i := range events {
		ev := &events[i]
		key := dedupeKey(ev)
		if key != "" {
			ok, err := h.opts.Dedupe.Claim(ctx, key, h.opts.DedupeTTL)
			if err != nil {
				h.release(keys)
				return nil, nil, 0, err
			}
			if !ok {
				if fresh == nil {
					fresh = append(make([]Event, 0, len(events)-1), events[:i]...)
				}
				dups++
				continue
			}
		}
		if fresh != nil {
			fresh = append(fresh, *ev)
		}
		keys = append(keys, key)
	}
	if fresh == nil {
		fresh = events
	}
	return fresh, keys, dups, nil
}

func (h *WebhookHandler) release(keys []string) {
	for _, k := range keys {
		if k != "" {
			_ = h.opts.Dedupe.Release(context.Background(), k)
		}
	}
}

func (h *WebhookHandler) handleOrdered(ctx context.Context, ev Event) error {
	key := ev.Conversation.Key()
	l := h.locks.lock(key)
	defer h.locks.unlock(key, l)
	return h.call(ctx, ev)
}

func (h *WebhookHandler) call(ctx context.Context, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("helpdesk: event func panicked: %v", p)
		}
	}()
	return h.fn(ctx, ev)
}

// enter registers a request as in flight unless the handler is closed.
func (h *WebhookHandler) enter() bool {
	h.gate.RLock()
	defer h.gate.RUnlock()
	if h.closed {
		return false
	}
	h.inflight.Add(1)
	return true
}

// ErrQueueFull is returned (and answered with 503) when the queued-mode
// handler has no room for a delivery's events.
var ErrQueueFull = errors.New("helpdesk: webhook queue full")

func (h *WebhookHandler) enqueue(events []Event, keys []string) error {
	// The conversation keys are built before taking the lock every
	// delivery and worker shares.
	var buf [4]string
	convs := buf[:0]
	for _, ev := range events {
		convs = append(convs, ev.Conversation.Key())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("helpdesk: webhook handler shutting down")
	}
	if h.queued+len(events) > h.opts.QueueSize {
		return ErrQueueFull
	}
	for i, ev := range events {
		k := convs[i]
		q := h.queues[k]
		if q == nil {
			q = &convQueue{}
			q.events = q.first[:0]
			h.queues[k] = q
			// A conversation is on the ready channel at most once; the
			// channel's capacity (QueueSize) therefore never blocks here.
			h.ready <- k
		}
		q.events = append(q.events, queuedEvent{ev: ev, key: keys[i]})
		h.queued++
	}
	return nil
}

func (h *WebhookHandler) worker() {
	defer h.wg.Done()
	for k := range h.ready {
		for {
			h.mu.Lock()
			q := h.queues[k]
			if q == nil || len(q.events) == 0 {
				delete(h.queues, k)
				h.mu.Unlock()
				break
			}
			qe := q.events[0]
			q.events[0] = queuedEvent{}
			q.events = q.events[1:]
			if h.abandon {
				h.queued--
				h.abandoned++
				h.mu.Unlock()
				h.release([]string{qe.key})
				if h.opts.OnAbandoned != nil {
					h.opts.OnAbandoned(qe.ev)
				}
				continue
			}
			h.committed++
			h.mu.Unlock()

			ctx, cancel := context.WithTimeout(h.baseCtx, h.opts.HandleTimeout)
			err := h.callQueued(ctx, qe.ev)
			if err != nil {
				h.log.Error("queued webhook event failed", "type", string(qe.ev.Type), "conversation", k, "error", err.Error())
			}
			cancel()
			h.mu.Lock()
			h.queued--
			h.running--
			h.mu.Unlock()
		}
	}
}

// callQueued hands a committed queued event to the event function.
func (h *WebhookHandler) callQueued(ctx context.Context, ev Event) error {
	h.mu.Lock()
	h.committed--
	h.running++
	h.handedOff.Broadcast()
	h.mu.Unlock()
	return h.call(ctx, ev)
}

// Pending returns the number of queued events not yet handled.
func (h *WebhookHandler) Pending() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.queued
}

// ShutdownError is returned by Shutdown when its context ended before
// every event was handled. Abandoned counts the queued events never handed
// to the event function (each was passed to WebhookOptions.OnAbandoned);
// events already being handled go on with a cancelled context.
type ShutdownError struct {
	Abandoned int
	Err       error
}

func (e *ShutdownError) Error() string {
	return fmt.Sprintf("helpdesk: webhook handler shut down with %d queued events not handled: %v", e.Abandoned, e.Err)
}

// Unwrap returns the context's error.
func (e *ShutdownError) Unwrap() error { return e.Err }

// Shutdown stops accepting deliveries (they get 503, so vendors redeliver
// elsewhere or later), waits for queued and in-flight events to be handled,
// and returns nil. If ctx ends first, the contexts of events being handled
// are cancelled, queued events not yet started are never handed to the
// event function (see WebhookOptions.OnAbandoned), and a *ShutdownError
// matching ctx's error is returned. Once Shutdown has returned, the event
// function is not called again.
func (h *WebhookHandler) Shutdown(ctx context.Context) error {
	h.gate.Lock()
	h.mu.Lock()
	already := h.closed
	h.closed = true
	if !already && h.ready != nil {
		close(h.ready)
	}
	h.mu.Unlock()
	h.gate.Unlock()
	if h.opts.Queue != nil {
		// Stored events stay in the queue for the next run or another
		// replica: stop taking them; Run returns once those in hand are
		// handled.
		h.cancel()
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		h.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		if h.cancel != nil {
			h.cancel()
		}
		return nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	h.abandon = true
	for h.committed > 0 {
		h.handedOff.Wait()
	}
	h.mu.Unlock()
	if h.cancel != nil {
		h.cancel()
	}
	if h.queues != nil {
		// Idle workers drain what is left into OnAbandoned; wait for that
		// briefly so the count is complete when nothing is stuck.
		select {
		case <-done:
		case <-time.After(50 * time.Millisecond):
		}
	}
	h.mu.Lock()
	n := h.abandoned + h.queued - h.running
	h.mu.Unlock()
	return &ShutdownError{Abandoned: n, Err: ctx.Err()}
}

// keyedLocks serialises work per key without holding a lock per key forever.
type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
	// free holds unused keyLocks for the next keys, up to maxFreeKeyLocks.
	free []*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

const maxFreeKeyLocks = 64

// lock locks key's lock and returns it, for unlock.
func (k *keyedLocks) lock(key string) *keyLock {
	k.mu.Lock()
	l := k.m[key]
	if l == nil {
		if n := len(k.free); n > 0 {
			l = k.free[n-1]
			k.free[n-1] = nil
			k.free = k.free[:n-1]
		} else {
			l = &keyLock{}
		}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return l
}

// unlock unlocks l, which lock(key) returned.
func (k *keyedLocks) unlock(key string, l *keyLock) {
	l.mu.Unlock()
	k.mu.Lock()
	l.refs--
	if l.refs == 0 {
		delete(k.m, key)
		if len(k.free) < maxFreeKeyLocks {
			k.free = append(k.free, l)
		}
	}
	k.mu.Unlock()
}
