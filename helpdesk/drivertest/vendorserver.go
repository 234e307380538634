package drivertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// VendorServer is the shared base of the fake vendor servers in each
// driver's <vendor>test package: an httptest server that answers only the
// routes registered on it (any other request fails the test with its method
// and path), checks credentials, counts requests, enforces a fixed-window
// rate limit the way the vendor does, and can be told to fail or stall, or
// to inject faults before and after processing a request (InjectFaults).
//
// Vendor fakes register their documented endpoints with Handle and supply
// the vendor's error shapes through the VendorServerOptions hooks.
type VendorServer struct {
	*httptest.Server
	t    testing.TB
	opts VendorServerOptions
	mux  *http.ServeMux

	requests atomic.Int64
	mu       sync.Mutex
	failNext []int
	stall    time.Duration
	limit    int
	window   time.Duration
	winStart time.Time
	winCount int
	paths    map[string]int
	faults   *faultState // InjectFaults
	ignore   []string    // IgnoreHeader
}

// VendorServerOptions configures a VendorServer.
type VendorServerOptions struct {
	// Authorize reports whether a request carries valid credentials. Nil
	// accepts everything.
	Authorize func(r *http.Request) bool
	// WriteError writes the vendor's error answer for status (401, 404,
	// 429, 500, ...). For 429 it must also write the vendor's rate-limit
	// headers; retryAfter is the wait the fake wants to announce. Nil
	// writes a plain JSON {"error": "..."}.
	WriteError func(w http.ResponseWriter, status int, retryAfter time.Duration)
	// Now is the clock for the rate-limit window (default time.Now).
	Now func() time.Time
}

// NewVendorServer starts a fake vendor server; it is closed when the test
// ends.
func NewVendorServer(t testing.TB, opts VendorServerOptions) *VendorServer {
	t.Helper()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WriteError == nil {
		opts.WriteError = func(w http.ResponseWriter, status int, retryAfter time.Duration) {
			if retryAfter > 0 {
				w.Header().Set("Retry-After", fmt.Sprint(int(retryAfter.Seconds()+0.999)))
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":%q}`, http.StatusText(status))
		}
	}
	s := &VendorServer{t: t, opts: opts, mux: http.NewServeMux(), paths: map[string]int{}}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake vendor: unexpected request %s %s (not a documented endpoint this driver should call)", r.Method, r.URL.Path)
		http.Error(w, "unexpected endpoint", http.StatusNotImplemented)
	})
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Server.Close)
	return s
}

// Handle registers a documented endpoint. pattern uses net/http's syntax
// with a method, e.g. "PUT /api/v2/tickets/{id}".
func (s *VendorServer) Handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
}

// Fail answers the request with the vendor's error for status.
func (s *VendorServer) Fail(w http.ResponseWriter, status int) {
	var ra time.Duration
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		ra = time.Hour
	}
	s.opts.WriteError(w, status, ra)
}

// FailNext makes the next request (after auth) answer with status. Several
// calls queue several failures. A 429 announces a one-hour wait, beyond any
// retry budget, so the client gives up at once.
func (s *VendorServer) FailNext(status int) {
	s.mu.Lock()
	s.failNext = append(s.failNext, status)
	s.mu.Unlock()
}

// Stall holds every request for d before answering (or until the client
// gives up).
func (s *VendorServer) Stall(d time.Duration) {
	s.mu.Lock()
	s.stall = d
	s.mu.Unlock()
}

// RateLimit enforces at most n requests per fixed window; the excess gets
// the vendor's 429 with the wait until the window ends. n <= 0 disables.
func (s *VendorServer) RateLimit(n int, window time.Duration) {
	s.mu.Lock()
	s.limit, s.window = n, window
	s.winStart, s.winCount = time.Time{}, 0
	s.mu.Unlock()
}

// Requests returns how many requests reached the server (including refused
// ones).
func (s *VendorServer) Requests() int { return int(s.requests.Load()) }

// RequestsTo returns how many requests matched "METHOD /path" exactly.
func (s *VendorServer) RequestsTo(methodPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[methodPath]
}

func (s *VendorServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	s.paths[r.Method+" "+r.URL.Path]++
	stall := s.stall
	s.mu.Unlock()
	if stall > 0 {
		// Read the body first: the server notices a client that hung up
		// (and cancels r.Context) only once the body has been consumed.
		if body, err := io.ReadAll(r.Body); err == nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		select {
		case <-time.After(stall):
		case <-r.Context().Done():
			return
		}
	}
	if s.opts.Authorize != nil && !s.opts.Authorize(r) {
		s.opts.WriteError(w, http.StatusUnauthorized, 0)
		return
	}
	s.mu.Lock()
	var fail int
	if len(s.failNext) > 0 {
		fail = s.failNext[0]
		s.failNext = s.failNext[1:]
	}
	var fault Fault
	var plan FaultPlan
	if fail == 0 {
		fault = s.drawFault(r)
		if fault != FaultNone {
			plan = s.faults.plan
		}
	}
	for _, h := range s.ignore {
		r.Header.Del(h)
	}
	var limited time.Duration
	if fail == 0 && fault == FaultNone && s.limit > 0 {
		now := s.opts.Now()
		if s.winStart.IsZero() || now.Sub(s.winStart) >= s.window {
			s.winStart = now.Truncate(s.window)
			s.winCount = 0
		}
		s.winCount++
		if s.winCount > s.limit {
			limited = s.winStart.Add(s.window).Sub(now)
		}
	}
	s.mu.Unlock()
	switch {
	case fail != 0:
		s.Fail(w, fail)
	case fault != FaultNone:
		s.inject(w, r, fault, plan)
	case limited > 0:
		s.opts.WriteError(w, http.StatusTooManyRequests, limited)
	default:
		s.mux.ServeHTTP(w, r)
	}
}

// BasicAuth returns an Authorize func accepting one user and password.
func BasicAuth(user, pass string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == user && p == pass
	}
}

// HeaderAuth returns an Authorize func accepting header name == value
// (e.g. "Authorization", "Bearer tok").
func HeaderAuth(name, value string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get(name) == value }
}

// SignedRequest builds a webhook POST to path with body and headers, for
// signers in <vendor>test packages.
func SignedRequest(ctx context.Context, path string, body []byte, header http.Header) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://localhost"+path, strings.NewReader(string(body)))
	for k, v := range header {
		r.Header[k] = v
	}
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}
