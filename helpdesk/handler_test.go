package helpdesk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

func customerEvent(f *helpdesktest.Fake, convID, text string) helpdesk.Event {
	return f.CustomerWrites(helpdesk.Conversation{Vendor: helpdesktest.FakeVendor, ID: convID}, text)
}

func TestHandlerSyncDispatchAndDedupe(t *testing.T) {
	f := helpdesktest.NewFake()
	var got []string
	var mu sync.Mutex
	h, err := helpdesk.NewWebhookHandler(f, func(_ context.Context, e helpdesk.Event) error {
		mu.Lock()
		got = append(got, e.Message.Text)
		mu.Unlock()
		return nil
	}, nil)
	require.NoError(t, err)
	ev := customerEvent(f, "1", "hi")
	for i := 0; i < 2; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, f.Delivery(ev))
		require.Equal(t, 200, rec.Code)
	}
	require.Equal(t, []string{"hi"}, got)
}

func TestHandlerSyncErrorGives5xxAndAllowsRedelivery(t *testing.T) {
	f := helpdesktest.NewFake()
	var calls atomic.Int32
	h, _ := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error {
		if calls.Add(1) == 1 {
			return errors.New("model timed out")
		}
		return nil
	}, nil)
	ev := customerEvent(f, "1", "hi")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, f.Delivery(ev))
	require.Equal(t, 500, rec.Code)
	require.NotContains(t, rec.Body.String(), "model timed out", "host errors are not echoed to the vendor")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, f.Delivery(ev))
	require.Equal(t, 200, rec.Code)
	require.Equal(t, int32(2), calls.Load(), "a failed event is processed again on redelivery")
}

func TestHandlerRejectsBadInputWith4xx(t *testing.T) {
	f := helpdesktest.NewFake()
	h, _ := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error { return nil }, &helpdesk.WebhookOptions{MaxBodyBytes: 1024})
	good := f.Delivery(customerEvent(f, "1", "hi"))
	cases := map[string]struct {
		req  *http.Request
		want int
	}{
		"GET":             {httptest.NewRequest("GET", "/", nil), 405},
		"empty body":      {f.SignedRequest(nil), 400},
		"oversized":       {f.SignedRequest(bytes.Repeat([]byte("a"), 2048)), 413},
		"malformed JSON":  {f.SignedRequest([]byte(`{"events":[`)), 400},
		"unsigned":        {httptest.NewRequest("POST", "/", strings.NewReader(`{"events":[]}`)), 401},
		"wrong signature": {withHeader(f.SignedRequest([]byte(`{"events":[]}`)), helpdesktest.FakeSignatureHeader, "00ff"), 401},
		"not JSON": {func() *http.Request {
			r := f.SignedRequest([]byte(`a=b`))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), 415},
		"good": {good, 200},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req)
			require.Equal(t, tc.want, rec.Code, rec.Body.String())
		})
	}
}

func withHeader(r *http.Request, k, v string) *http.Request {
	r.Header.Set(k, v)
	return r
}

type panicParser struct{}

func (panicParser) ParseWebhook(context.Context, *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	panic("index out of range")
}

func TestHandlerParserPanicIs4xx(t *testing.T) {
	h, _ := helpdesk.NewWebhookHandler(panicParser{}, func(context.Context, helpdesk.Event) error { return nil }, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader("{}")))
	require.Equal(t, 400, rec.Code)
}

func TestHandlerQueuedOrderPerConversation(t *testing.T) {
	f := helpdesktest.NewFake()
	var mu sync.Mutex
	seen := map[string][]int{}
	active := map[string]int{}
	var overlap atomic.Bool
	h, err := helpdesk.NewWebhookHandler(f, func(_ context.Context, e helpdesk.Event) error {
		id := e.Conversation.ID
		mu.Lock()
		active[id]++
		if active[id] > 1 {
			overlap.Store(true)
		}
		mu.Unlock()
		time.Sleep(time.Millisecond)
		var n int
		fmt.Sscanf(e.Message.Text, "msg %d", &n)
		mu.Lock()
		seen[id] = append(seen[id], n)
		active[id]--
		mu.Unlock()
		return nil
	}, &helpdesk.WebhookOptions{QueueSize: 1000, Workers: 4})
	require.NoError(t, err)
	for i := 0; i < 20; i++ {
		for _, c := range []string{"a", "b", "c"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, f.Delivery(customerEvent(f, c, fmt.Sprintf("msg %d", i))))
			require.Equal(t, http.StatusOK, rec.Code)
			require.Contains(t, rec.Body.String(), `"status":"queued"`)
		}
	}
	require.NoError(t, h.Shutdown(context.Background()))
	require.False(t, overlap.Load(), "events of one conversation must not run concurrently")
	for _, c := range []string{"a", "b", "c"} {
		require.Len(t, seen[c], 20)
		for i, n := range seen[c] {
			require.Equal(t, i, n, "conversation %s out of order", c)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, f.Delivery(customerEvent(f, "a", "late")))
	require.Equal(t, 503, rec.Code, "after shutdown deliveries are refused so the vendor redelivers")
}

func TestHandlerQueueFullGives503(t *testing.T) {
	f := helpdesktest.NewFake()
	block := make(chan struct{})
	h, _ := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error { <-block; return nil },
		&helpdesk.WebhookOptions{QueueSize: 2, Workers: 1})
	codes := []int{}
	for i := 0; i < 4; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, f.Delivery(customerEvent(f, "x", fmt.Sprint(i))))
		codes = append(codes, rec.Code)
	}
	require.Equal(t, 503, codes[3], "codes %v", codes)
	close(block)
	require.NoError(t, h.Shutdown(context.Background()))
	// The refused delivery was released from dedupe: a redelivery is accepted.
	h2, _ := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error { return nil }, nil)
	rec := httptest.NewRecorder()
	h2.ServeHTTP(rec, f.Delivery(customerEvent(f, "x", "again")))
	require.Equal(t, 200, rec.Code)
}

func TestHandlerShutdownTimeout(t *testing.T) {
	f := helpdesktest.NewFake()
	h, _ := helpdesk.NewWebhookHandler(f, func(ctx context.Context, _ helpdesk.Event) error { <-ctx.Done(); return ctx.Err() },
		&helpdesk.WebhookOptions{QueueSize: 10, Workers: 1})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, f.Delivery(customerEvent(f, "x", "hi")))
	require.Equal(t, 200, rec.Code)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, h.Shutdown(ctx), context.DeadlineExceeded)
}

func TestMemoryDedupeTTL(t *testing.T) {
	d := helpdesk.NewMemoryDedupe()
	ok, _ := d.Claim(context.Background(), "k", time.Nanosecond)
	require.True(t, ok)
	time.Sleep(time.Millisecond)
	ok, _ = d.Claim(context.Background(), "k", time.Hour)
	require.True(t, ok, "an expired key is claimable again")
	ok, _ = d.Claim(context.Background(), "k", time.Hour)
	require.False(t, ok)
	require.NoError(t, d.Release(context.Background(), "k"))
	ok, _ = d.Claim(context.Background(), "k", time.Hour)
	require.True(t, ok)
}

func FuzzWebhookHandler(f *testing.F) {
	fake := helpdesktest.NewFake()
	good, _ := readAll(fake.Delivery(customerEvent(fake, "1", "hello")))
	f.Add(good, true)
	f.Add([]byte(`{"events":[{"type":"message.created","conversation":{"id":"1"}}]}`), true)
	f.Add([]byte(`{"events":null}`), true)
	f.Add([]byte(``), false)
	f.Add([]byte("\xff\xfe"), true)
	h, _ := helpdesk.NewWebhookHandler(fake, func(context.Context, helpdesk.Event) error { return nil }, &helpdesk.WebhookOptions{MaxBodyBytes: 4096})
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		var r *http.Request
		if sign {
			r = fake.SignedRequest(body)
		} else {
			r = httptest.NewRequest("POST", "/", bytes.NewReader(body))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("bad input answered %d: %s", rec.Code, rec.Body.String())
		}
	})
}

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}

func BenchmarkWebhookHandler(b *testing.B) {
	f := helpdesktest.NewFake()
	bodies := make([][]byte, 1024)
	for i := range bodies {
		bodies[i], _ = readAll(f.Delivery(customerEvent(f, fmt.Sprint(i%64), fmt.Sprintf("message %d", i))))
	}
	for _, mode := range []struct {
		name string
		opts helpdesk.WebhookOptions
	}{{"sync", helpdesk.WebhookOptions{}}, {"queued", helpdesk.WebhookOptions{QueueSize: 1 << 16, Workers: 8}}} {
		b.Run(mode.name, func(b *testing.B) {
			var handled atomic.Int64
			opts := mode.opts
			opts.Dedupe = noDedupe{}
			h, _ := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error { handled.Add(1); return nil }, &opts)
			b.ReportAllocs()
			start := time.Now()
			i := 0
			for b.Loop() {
				r := f.SignedRequest(bodies[i%len(bodies)])
				i++
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code >= 300 {
					b.Fatalf("status %d", rec.Code)
				}
			}
			_ = h.Shutdown(context.Background())
			b.ReportMetric(float64(handled.Load())/time.Since(start).Seconds(), "events/s")
		})
	}
}

type noDedupe struct{}

func (noDedupe) Claim(context.Context, string, time.Duration) (bool, error) { return true, nil }
func (noDedupe) Release(context.Context, string) error                      { return nil }
