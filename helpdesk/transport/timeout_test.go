package transport_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// slowBudget admits every call after a fixed wait, as a budget pacing a
// busy account does.
type slowBudget struct{ wait time.Duration }

func (b slowBudget) Wait(ctx context.Context, c transport.Call) error {
	t := time.NewTimer(b.wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (slowBudget) Observe(transport.Call, int, http.Header) {}

// The HTTP client's timeout bounds each attempt from the moment the budget
// admits it; the budget's wait does not eat into it.
func TestBudgetWaitIsNotPartOfRequestTimeout(t *testing.T) {
	var arrived atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		time.Sleep(100 * time.Millisecond) // the vendor's own time
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	for _, wait := range []time.Duration{150 * time.Millisecond, 600 * time.Millisecond} {
		arrived.Store(0)
		c := newClient(t, srv.URL, func(o *transport.Options) {
			o.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
			o.Budget = slowBudget{wait: wait}
			o.MaxRetries = -1
		})
		var out map[string]bool
		_, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/messages", Body: map[string]string{"text": "hi"}}, &out)
		require.NoError(t, err, "budget wait %s", wait)
		require.True(t, out["ok"])
		require.EqualValues(t, 1, arrived.Load())
	}
}

// The timeout still bounds a vendor that does not answer, and a request
// that timed out after it was sent is not sent again (it is a POST).
func TestRequestTimeoutStillApplies(t *testing.T) {
	var arrived atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		<-release
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, srv.URL, func(o *transport.Options) {
		o.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
		o.Budget = slowBudget{wait: 10 * time.Millisecond}
	})
	_, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/messages", Body: map[string]string{"text": "hi"}}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var re *transport.RequestError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 1, re.Attempts)
	require.EqualValues(t, 1, arrived.Load())
}

// connCounter counts the connections a test server accepts.
func connCounter(h http.Handler) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	return srv, &n
}

func concurrentSends(t testing.TB, c *transport.Client, workers, each int) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/messages", Body: map[string]string{"text": "hi"}}, nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// The default client keeps enough idle connections per host for the
// concurrency a budget lets through, so busy sends reuse connections
// instead of opening (and, against a real vendor, handshaking) new ones.
func TestDefaultClientReusesConnections(t *testing.T) {
	srv, conns := connCounter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	const workers = 16
	c := newClient(t, srv.URL)
	concurrentSends(t, c, workers, 25)
	// Go's transport may dial for a waiting request and then hand it a
	// connection freed meanwhile, keeping the new one idle: a few extra
	// are normal. Two idle connections per host (the old default) opened
	// about 200 here.
	require.LessOrEqual(t, conns.Load(), int64(2*workers), "%d connections for %d concurrent senders", conns.Load(), workers)
}

// A host's own client is used as given.
func TestHostClientIsUsed(t *testing.T) {
	srv, _ := connCounter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) }))
	defer srv.Close()
	var used atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := newClient(t, srv.URL, func(o *transport.Options) { o.HTTPClient = hc })
	_, err := c.Do(context.Background(), &transport.Request{Path: "/x"}, nil)
	require.NoError(t, err)
	require.EqualValues(t, 1, used.Load())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkConnectionReuse reports the share of sends that opened a new
// connection with the default client, 16 senders at once.
func BenchmarkConnectionReuse(b *testing.B) {
	srv, conns := connCounter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, err := transport.New(transport.Options{BaseURL: srv.URL})
	require.NoError(b, err)
	sends := 0
	for b.Loop() {
		concurrentSends(b, c, 16, 10)
		sends += 160
	}
	b.ReportMetric(100*float64(conns.Load())/float64(sends), "%new-conns")
}
