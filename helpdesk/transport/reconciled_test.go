package transport_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

func TestReconciledWritesAreResentOnlyWhenNotProcessed(t *testing.T) {
	for _, tc := range []struct {
		status   int
		attempts int32
	}{
		{http.StatusTooManyRequests, 4},
		{http.StatusServiceUnavailable, 1},
		{http.StatusInternalServerError, 1},
		{http.StatusBadGateway, 1},
		{http.StatusGatewayTimeout, 1},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			var n atomic.Int32
			var key atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				key.Store(r.Header.Get("Idempotency-Key"))
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			c := newClient(t, srv.URL)
			_, err := c.Do(context.Background(), &transport.Request{Method: "PUT", Path: "/x", Body: map[string]int{},
				IdempotencyKey: "k1", Reconciled: true}, nil)
			var ae *helpdesk.APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.status, ae.StatusCode)
			require.Equal(t, tc.attempts, n.Load())
			require.Equal(t, "k1", key.Load(), "the key still reaches the vendor")
		})
	}
}

// RequestError.Written tells a write that reached the connection (the
// vendor may have acted on it) from one that never left (a refused dial,
// a context ended before sending): only the first needs a read-back.
func TestRequestErrorWritten(t *testing.T) {
	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		require.NoError(t, err)
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	}))
	defer reset.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	refused := closed.URL
	closed.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	for _, tc := range []struct {
		name    string
		url     string
		ctx     context.Context
		written bool
	}{
		{"reset after the request was read", reset.URL, context.Background(), true},
		{"connection refused", refused, context.Background(), false},
		{"context ended before sending", reset.URL, cancelled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.url, func(o *transport.Options) { o.MaxRetries = -1 })
			_, err := c.Do(tc.ctx, &transport.Request{Method: "POST", Path: "/messages", Body: map[string]string{"text": "hi"}, Reconciled: true}, nil)
			if tc.ctx.Err() != nil {
				// Refused before any request: a plain context error or
				// a RequestError, never a written one.
				var re *transport.RequestError
				require.False(t, errors.As(err, &re) && re.Written)
				return
			}
			var re *transport.RequestError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.written, re.Written, "%v", err)
		})
	}
}
