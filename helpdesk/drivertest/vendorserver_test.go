package drivertest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// recordingTB records Errorf instead of failing, to check that the fake
// server fails the test on an undocumented endpoint.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recordingTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func do(t *testing.T, method, url, user, pass string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(`{}`))
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestVendorServer(t *testing.T) {
	tb := &recordingTB{TB: t}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	srv := drivertest.NewVendorServer(tb, drivertest.VendorServerOptions{
		Authorize: drivertest.BasicAuth("bot", "token"),
		Now: func() time.Time {
			clock.Lock()
			defer clock.Unlock()
			return now
		},
	})
	srv.Handle("POST /api/messages", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	url := srv.URL + "/api/messages"

	require.Equal(t, http.StatusCreated, do(t, "POST", url, "bot", "token").StatusCode)
	require.Equal(t, http.StatusUnauthorized, do(t, "POST", url, "bot", "wrong").StatusCode)

	srv.FailNext(http.StatusNotFound)
	srv.FailNext(http.StatusTooManyRequests)
	require.Equal(t, http.StatusNotFound, do(t, "POST", url, "bot", "token").StatusCode)
	res := do(t, "POST", url, "bot", "token")
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	require.Equal(t, "3600", res.Header.Get("Retry-After"), "a failed 429 announces a wait beyond any retry budget")
	require.Equal(t, http.StatusCreated, do(t, "POST", url, "bot", "token").StatusCode, "failures are used once")

	srv.RateLimit(2, time.Minute)
	require.Equal(t, http.StatusCreated, do(t, "POST", url, "bot", "token").StatusCode)
	require.Equal(t, http.StatusCreated, do(t, "POST", url, "bot", "token").StatusCode)
	res = do(t, "POST", url, "bot", "token")
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	require.Equal(t, "60", res.Header.Get("Retry-After"), "the wait runs to the end of the window")
	clock.Lock()
	now = now.Add(time.Minute)
	clock.Unlock()
	require.Equal(t, http.StatusCreated, do(t, "POST", url, "bot", "token").StatusCode, "a new window admits again")
	srv.RateLimit(0, 0)

	require.Empty(t, tb.errors())
	require.Equal(t, http.StatusNotImplemented, do(t, "DELETE", url, "bot", "token").StatusCode)
	require.Len(t, tb.errors(), 1)
	require.Contains(t, tb.errors()[0], "DELETE /api/messages", "an undocumented call fails the test with its method and path")

	require.Equal(t, 10, srv.Requests())
	require.Equal(t, 9, srv.RequestsTo("POST /api/messages"))
}

func TestVendorServerStallEndsWithTheClient(t *testing.T) {
	srv := drivertest.NewVendorServer(t, drivertest.VendorServerOptions{})
	srv.Handle("GET /slow", func(w http.ResponseWriter, r *http.Request) {})
	srv.Stall(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// Close waits for handlers in flight: the stalled one must have
	// ended with the client's request, not after its minute.
	start := time.Now()
	srv.Close()
	require.Less(t, time.Since(start), 30*time.Second, "a stalled handler must end when the client gives up")
}
