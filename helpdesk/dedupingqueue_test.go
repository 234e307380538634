package helpdesk_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// dedupingQueue is a DedupingQueue in memory: what it was given, and the
// keys it recorded.
type dedupingQueue struct {
	mu   sync.Mutex
	seen map[string]bool
	got  []helpdesk.Event
	ttls []time.Duration
	fail error
}

func (q *dedupingQueue) Enqueue(ctx context.Context, events []helpdesk.Event) error {
	_, err := q.EnqueueNew(ctx, events, nil, 0)
	return err
}

func (q *dedupingQueue) EnqueueNew(_ context.Context, events []helpdesk.Event, keys []string, ttl time.Duration) ([]bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return nil, q.fail
	}
	q.ttls = append(q.ttls, ttl)
	dup := make([]bool, len(events))
	for i, ev := range events {
		if keys != nil && keys[i] != "" {
			if q.seen[keys[i]] {
				dup[i] = true
				continue
			}
			q.seen[keys[i]] = true
		}
		q.got = append(q.got, ev)
	}
	return dup, nil
}

func (q *dedupingQueue) Run(ctx context.Context, _ helpdesk.EventFunc) error {
	<-ctx.Done()
	return nil
}

type refusingDedupe struct{ t *testing.T }

func (d refusingDedupe) Claim(context.Context, string, time.Duration) (bool, error) {
	d.t.Error("DedupeStore used although the Queue dedupes")
	return false, errors.New("not to be used")
}
func (refusingDedupe) Release(context.Context, string) error { return nil }

// With a DedupingQueue the handler leaves dedupe to the queue, in the step
// that stores the events: it passes each event's key and the DedupeTTL,
// reports the duplicates, answers a delivery made only of duplicates "ok",
// and a refusal 500 with Retry-After, the DedupeStore never consulted.
func TestHandlerLeavesDedupeToADedupingQueue(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	q := &dedupingQueue{seen: map[string]bool{}}
	h, err := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error { return nil },
		&helpdesk.WebhookOptions{Queue: q, Dedupe: refusingDedupe{t}, DedupeTTL: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	d := f.CustomerWrites(conv, "hello")

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, f.Delivery(d))
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"status":"queued","events":1}`, rec.Body.String())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, f.Delivery(d))
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"status":"ok","duplicates":1}`, rec.Body.String())
	require.Len(t, q.got, 1)
	require.Equal(t, []time.Duration{time.Hour, time.Hour}, q.ttls)

	q.fail = errors.New("redis down")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, f.Delivery(f.CustomerWrites(conv, "again")))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Equal(t, "5", rec.Header().Get("Retry-After"))
	require.NotContains(t, rec.Body.String(), "redis down", "the store's error stays in the log")
}
