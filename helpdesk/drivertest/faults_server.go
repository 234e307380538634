package drivertest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/fault"
)

// Fault is one way a vendor request can fail (package fault). The "after"
// kinds happen after the fake processed the request (the message is
// posted), so the client sees a failure for a write that took effect: only
// reading the conversation back tells the two apart.
type Fault = fault.Fault

// The faults a VendorServer injects.
const (
	FaultNone = fault.None
	// Fault429 refuses the request with the vendor's 429 (not processed).
	Fault429 = fault.Status429
	// Fault503Before answers 503 without processing.
	Fault503Before = fault.Status503Before
	// Fault500Before answers 500 without processing.
	Fault500Before = fault.Status500Before
	// Fault500After processes the request, then answers 500.
	Fault500After = fault.Status500After
	// Fault503After processes the request, then answers 503.
	Fault503After = fault.Status503After
	// FaultTimeoutBefore holds the request until the client gives up (or
	// FaultPlan.Hold passes, then drops the connection), unprocessed.
	FaultTimeoutBefore = fault.TimeoutBefore
	// FaultTimeoutAfter processes the request, then holds it like
	// FaultTimeoutBefore.
	FaultTimeoutAfter = fault.TimeoutAfter
	// FaultResetBefore resets the connection without processing. On a
	// reused connection Go's net/http resends a request it deems
	// replayable (one with an Idempotency-Key header) by itself.
	FaultResetBefore = fault.ResetBefore
	// FaultResetAfter processes the request, then resets the connection.
	FaultResetAfter = fault.ResetAfter
)

// AllFaults is every Fault kind, the default mix of a FaultPlan.
var AllFaults = fault.All

// FaultPlan says which requests a VendorServer fails, and how.
type FaultPlan struct {
	// Rate is the share of matching requests that fail, 0 to 1.
	Rate float64
	// Kinds are drawn from uniformly (default AllFaults).
	Kinds []Fault
	// Seed makes the draw repeatable.
	Seed uint64
	// Match selects the requests subject to faults (default: writes,
	// every method but GET, HEAD and OPTIONS).
	Match func(*http.Request) bool
	// RetryAfter is the wait announced with 429 and 503 (default none:
	// the vendor's WriteError decides what it sends for zero).
	RetryAfter time.Duration
	// Hold bounds how long a timeout fault holds a request when the
	// client does not give up first (default 2 s); the connection is then
	// dropped without an answer.
	Hold time.Duration
}

// faultState is an active FaultPlan.
type faultState struct {
	plan FaultPlan
	draw *fault.Draw
}

// InjectFaults makes the server fail requests as p says, replacing any
// earlier plan; a zero Rate stops injecting. Counts are kept until the next
// call.
func (s *VendorServer) InjectFaults(p FaultPlan) {
	if len(p.Kinds) == 0 {
		p.Kinds = AllFaults
	}
	if p.Match == nil {
		p.Match = func(r *http.Request) bool {
			return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
		}
	}
	if p.Hold <= 0 {
		p.Hold = 2 * time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Rate <= 0 {
		if s.faults != nil {
			s.faults.draw.Stop()
		}
		return
	}
	s.faults = &faultState{plan: p, draw: fault.NewDraw(p.Rate, p.Seed, p.Kinds)}
}

// InjectedFaults returns how many faults of each kind the current (or
// last) plan injected.
func (s *VendorServer) InjectedFaults() map[Fault]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		return map[Fault]int{}
	}
	return s.faults.draw.Counts()
}

// IgnoreHeader makes the fake drop header name from every request before
// its handlers see it: a vendor that ignores Idempotency-Key on an
// endpoint, for example.
func (s *VendorServer) IgnoreHeader(name string) {
	s.mu.Lock()
	s.ignore = append(s.ignore, http.CanonicalHeaderKey(name))
	s.mu.Unlock()
}

// drawFault picks the fault for r (FaultNone for most requests). Called
// with s.mu held.
func (s *VendorServer) drawFault(r *http.Request) Fault {
	fs := s.faults
	if fs == nil || !fs.plan.Match(r) {
		return FaultNone
	}
	return fs.draw.Next()
}

// inject fails r as f says, processing it first for the "after" kinds.
func (s *VendorServer) inject(w http.ResponseWriter, r *http.Request, f Fault, p FaultPlan) {
	if f.Processed() {
		s.mux.ServeHTTP(httptest.NewRecorder(), r)
	}
	switch f {
	case Fault429:
		s.opts.WriteError(w, http.StatusTooManyRequests, p.RetryAfter)
	case Fault503Before, Fault503After:
		s.opts.WriteError(w, http.StatusServiceUnavailable, p.RetryAfter)
	case Fault500Before, Fault500After:
		s.opts.WriteError(w, http.StatusInternalServerError, 0)
	case FaultTimeoutBefore, FaultTimeoutAfter:
		// With the body read, the server watches the connection and
		// ends r's context when the client gives up.
		_, _ = io.Copy(io.Discard, r.Body)
		t := time.NewTimer(p.Hold)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		resetConn(w)
	case FaultResetBefore, FaultResetAfter:
		resetConn(w)
	}
}

// resetConn closes the connection under w without an answer, with a TCP
// reset where it can.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
