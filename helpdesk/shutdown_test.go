package helpdesk_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// In synchronous mode a request that was not yet in flight when Shutdown
// closed the handler gets a 503 and never reaches the event function, so
// nothing runs after Shutdown returned.
func TestSyncShutdownNeverCallsAfterReturn(t *testing.T) {
	f := helpdesktest.NewFake()
	var returned atomic.Bool
	var late atomic.Int32
	h, err := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error {
		if returned.Load() {
			late.Add(1)
		}
		return nil
	}, nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var n atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := n.Add(1)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, f.Delivery(customerEvent(f, "c"+time.Duration(id).String(), "hi")))
			}
		}(w)
	}
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, h.Shutdown(context.Background()))
	returned.Store(true)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	require.Zero(t, late.Load(), "the event function ran after Shutdown returned")
}

// When the deadline passes, queued events that were not started are never
// handed to the event function: they go to OnAbandoned, are counted in the
// *ShutdownError, and their dedupe claims are released.
func TestQueuedShutdownDeadlineAbandonsQueuedEvents(t *testing.T) {
	f := helpdesktest.NewFake()
	dedupe := helpdesk.NewMemoryDedupe()
	var calls atomic.Int32
	started := make(chan struct{}, 1)
	var mu sync.Mutex
	var abandoned []string
	h, err := helpdesk.NewWebhookHandler(f, func(ctx context.Context, _ helpdesk.Event) error {
		calls.Add(1)
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}, &helpdesk.WebhookOptions{QueueSize: 10, Workers: 1, Dedupe: dedupe, OnAbandoned: func(e helpdesk.Event) {
		mu.Lock()
		abandoned = append(abandoned, e.Message.Text)
		mu.Unlock()
	}})
	require.NoError(t, err)
	for _, text := range []string{"one", "two", "three"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, f.Delivery(customerEvent(f, "same", text)))
		require.Equal(t, 200, rec.Code)
		require.Contains(t, rec.Body.String(), `"status":"queued"`)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err = h.Shutdown(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var se *helpdesk.ShutdownError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 2, se.Abandoned)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(abandoned) == 2
	}, time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"two", "three"}, abandoned)
	require.Equal(t, int32(1), calls.Load(), "abandoned events never reach the event function")
	require.Equal(t, 1, dedupe.Len(), "abandoned events give up their dedupe claims; only the started one keeps its claim")
}

// failingDedupe is a store that cannot answer, as Redis down in
// fail-closed mode.
type failingDedupe struct{}

func (failingDedupe) Claim(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("store down")
}
func (failingDedupe) Release(context.Context, string) error { return nil }

// A dedupe store that cannot answer gets the vendor a 500 with
// Retry-After, the status every vendor redelivers on (Chatwoot's agent
// bots do not retry a 503), and the event function is not called.
func TestDedupeStoreFailureIsRetried(t *testing.T) {
	f := helpdesktest.NewFake()
	var calls atomic.Int32
	h, err := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error {
		calls.Add(1)
		return nil
	}, &helpdesk.WebhookOptions{Dedupe: failingDedupe{}})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, f.Delivery(customerEvent(f, "1", "hi")))
	require.Equal(t, 500, rec.Code)
	require.Equal(t, "5", rec.Header().Get("Retry-After"))
	require.NotContains(t, rec.Body.String(), "store down", "internal errors are not echoed to the vendor")
	require.Zero(t, calls.Load())
}
