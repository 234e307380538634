package transport_test

import (
	"context"
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
