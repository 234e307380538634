package helpdesk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// A delivery some of whose events were seen before hands on only the
// others, in order, and says how many it dropped.
func TestHandlerDuplicatesWithinADelivery(t *testing.T) {
	for _, opts := range []*helpdesk.WebhookOptions{nil, {QueueSize: 16, Workers: 1}} {
		f := helpdesktest.NewFake()
		var mu sync.Mutex
		var got []string
		h, err := helpdesk.NewWebhookHandler(f, func(_ context.Context, e helpdesk.Event) error {
			mu.Lock()
			got = append(got, e.Message.Text)
			mu.Unlock()
			return nil
		}, opts)
		require.NoError(t, err)
		evs := []helpdesk.Event{customerEvent(f, "1", "a"), customerEvent(f, "1", "b"), customerEvent(f, "1", "c"), customerEvent(f, "1", "d")}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, f.Delivery(evs[1], evs[3]))
		require.Equal(t, http.StatusOK, rec.Code)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, f.Delivery(evs...))
		require.Equal(t, http.StatusOK, rec.Code)
		status := "ok"
		if opts != nil {
			status = "queued"
		}
		require.Equal(t, `{"status":"`+status+`","events":2,"duplicates":2}`+"\n", rec.Body.String())
		require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		require.NoError(t, h.Shutdown(context.Background()))
		require.Equal(t, []string{"b", "d", "a", "c"}, got)
	}
}

type urlParser struct {
	mu   sync.Mutex
	urls []string
}

func (p *urlParser) ParseWebhook(_ context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	p.mu.Lock()
	p.urls = append(p.urls, req.URL.String())
	p.mu.Unlock()
	return nil, nil
}

// ExternalURL replaces the URL each delivery reports, keeping its query,
// and is itself left as configured.
func TestHandlerExternalURL(t *testing.T) {
	ext, err := url.Parse("https://bot.example.com/hooks/helpdesk")
	require.NoError(t, err)
	p := &urlParser{}
	h, err := helpdesk.NewWebhookHandler(p, func(context.Context, helpdesk.Event) error { return nil }, &helpdesk.WebhookOptions{ExternalURL: ext})
	require.NoError(t, err)
	for _, target := range []string{"/internal/hook?token=a", "/internal/hook", "/other?token=b&x=1"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, strings.NewReader("{}")))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	require.Equal(t, []string{
		"https://bot.example.com/hooks/helpdesk?token=a",
		"https://bot.example.com/hooks/helpdesk",
		"https://bot.example.com/hooks/helpdesk?token=b&x=1",
	}, p.urls)
	require.Equal(t, "https://bot.example.com/hooks/helpdesk", ext.String())
}

// ReadWebhookRequest returns the whole body whether its length is
// declared, unknown or declared wrongly, refuses one over the limit, and
// gives the caller headers of its own.
func TestReadWebhookRequest(t *testing.T) {
	const limit = 200 << 10
	body := func(n int) []byte { return bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n] }
	cases := []struct {
		name     string
		n        int
		declared int64 // -2: as httptest.NewRequest sets it
		want     int   // status; 0 for success
	}{
		{"declared", 700, -2, 0},
		{"one byte", 1, -2, 0},
		{"unknown length", 700, -1, 0},
		{"declared short", 700, 100, 0},
		{"declared long", 700, 5000, 0},
		{"over the preallocation", 100 << 10, -2, 0},
		{"unknown and large", 100 << 10, -1, 0},
		{"at the limit", limit, -2, 0},
		{"at the limit, unknown", limit, -1, 0},
		{"over the limit, declared", limit + 1, -2, http.StatusRequestEntityTooLarge},
		{"over the limit, unknown", limit + 1, -1, http.StatusRequestEntityTooLarge},
		{"over the limit, declared short", limit + 1, 10, http.StatusRequestEntityTooLarge},
		{"empty", 0, -2, http.StatusBadRequest},
	}
	for _, tc := range cases {
		for _, withWriter := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/writer=%v", tc.name, withWriter), func(t *testing.T) {
				data := body(tc.n)
				r := httptest.NewRequest(http.MethodPost, "/hook?x=1", bytes.NewReader(data))
				if tc.declared != -2 {
					r.ContentLength = tc.declared
				}
				r.Header.Set("X-Sig", "abc")
				var w http.ResponseWriter
				if withWriter {
					w = httptest.NewRecorder()
				}
				req, err := helpdesk.ReadWebhookRequest(w, r, limit)
				if tc.want != 0 {
					require.Error(t, err)
					require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
					require.Equal(t, tc.want, helpdesk.WebhookStatus(err))
					return
				}
				require.NoError(t, err)
				require.True(t, bytes.Equal(data, req.Body), "body of %d bytes read as %d", len(data), len(req.Body))
				require.Equal(t, "http://example.com/hook?x=1", req.URL.String())
				require.Equal(t, http.MethodPost, req.Method)
				require.False(t, req.ReceivedAt.IsZero())
				req.Header.Set("X-Sig", "changed")
				req.URL.Path = "/changed"
				require.Equal(t, "abc", r.Header.Get("X-Sig"), "the request's headers are not the caller's")
				require.Equal(t, "/hook", r.URL.Path)
			})
		}
	}
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

// BenchmarkWebhookHandlerServe measures the handler alone: deliveries
// signed beforehand, a ResponseWriter that keeps nothing, no dedupe
// store, so that ns/op and allocs/op are the handler's and the Fake
// driver's (BenchmarkWebhookHandler also counts building each request and
// an httptest.ResponseRecorder).
func BenchmarkWebhookHandlerServe(b *testing.B) {
	f := helpdesktest.NewFake()
	reqs := make([]*http.Request, 256)
	bodies := make([]*rewindBody, len(reqs))
	for i := range reqs {
		r := f.Delivery(customerEvent(f, fmt.Sprint(i%64), fmt.Sprintf("message %d", i)))
		data, err := readAll(r)
		require.NoError(b, err)
		bodies[i] = &rewindBody{data: data}
		r.Body = bodies[i]
		reqs[i] = r
	}
	for _, mode := range []struct {
		name string
		opts helpdesk.WebhookOptions
	}{{"sync", helpdesk.WebhookOptions{}}, {"queued", helpdesk.WebhookOptions{QueueSize: 1 << 16, Workers: 8}}} {
		b.Run(mode.name, func(b *testing.B) {
			opts := mode.opts
			opts.Dedupe = noDedupe{}
			h, err := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error { return nil }, &opts)
			require.NoError(b, err)
			w := &discardWriter{h: make(http.Header)}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				bodies[i%len(reqs)].rewind()
				clear(w.h)
				h.ServeHTTP(w, reqs[i%len(reqs)])
				i++
				if w.code >= 300 {
					b.Fatalf("status %d", w.code)
				}
			}
			_ = h.Shutdown(context.Background())
		})
	}
}

// rewindBody is a request body read again from the start after rewind.
type rewindBody struct {
	data []byte
	r    bytes.Reader
}

func (b *rewindBody) rewind()                    { b.r.Reset(b.data) }
func (b *rewindBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *rewindBody) Close() error               { return nil }

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
