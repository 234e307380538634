package helpdesktest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/fault"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Fault is one way the Fake's vendor side fails a write, the ways helpdesks
// fail under load (package fault, shared with the conformance kit's fake
// vendor servers). A "before" fault refuses the write: nothing is stored.
// An "after" fault (Fault.Processed) stores it, then returns an error all
// the same, so that only reading the conversation back tells the two
// apart: the Fake's own driver does that (driver.Reconcile), as real
// drivers do.
type Fault = fault.Fault

// The faults a Fake injects (InjectFaults), named as in package fault. A
// 429, 503 or 500 comes back as a *helpdesk.APIError (the 429 matching
// helpdesk.ErrRateLimited, with FaultPlan.RetryAfter); a timeout as a
// *transport.RequestError matching context.DeadlineExceeded; a reset as
// one matching syscall.ECONNRESET. The "After" kinds store the write
// first.
const (
	FaultNone          = fault.None
	Fault429           = fault.Status429
	Fault503Before     = fault.Status503Before
	Fault500Before     = fault.Status500Before
	Fault500After      = fault.Status500After
	Fault503After      = fault.Status503After
	FaultTimeoutBefore = fault.TimeoutBefore
	FaultTimeoutAfter  = fault.TimeoutAfter
	FaultResetBefore   = fault.ResetBefore
	FaultResetAfter    = fault.ResetAfter
)

// AllFaults is every Fault kind, the default mix of a FaultPlan.
var AllFaults = fault.All

// FaultPlan says which writes a Fake fails, and how.
type FaultPlan struct {
	// Rate is the share of writes that fail, 0 to 1.
	Rate float64
	// Seed makes the draw repeatable (for calls made one at a time).
	Seed uint64
	// Kinds are drawn from uniformly (default AllFaults).
	Kinds []Fault
	// Ops are the writes subject to faults (default SendMessage, Resolve,
	// Reassign and CreateConversation). Reading a conversation back never
	// fails.
	Ops []Op
	// RetryAfter is the wait announced with 429 and 503 (default none).
	RetryAfter time.Duration
}

// faultState is an active FaultPlan.
type faultState struct {
	plan FaultPlan
	draw *fault.Draw
}

// InjectFaults makes the Fake fail a share of writes as p says, replacing
// any earlier plan; a zero Rate stops injecting. Counts (InjectedFaults)
// are kept until the next call. Errors queued with FailNext come first and
// are returned as they are; injected faults are what the Fake's driver
// reconciles, so a bot under test sees only the failures a real driver
// would let through: a 429, or a write that kept failing.
func (f *Fake) InjectFaults(p FaultPlan) {
	if len(p.Kinds) == 0 {
		p.Kinds = AllFaults
	}
	if len(p.Ops) == 0 {
		p.Ops = []Op{OpSendMessage, OpResolve, OpReassign, OpCreateConversation}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.Rate <= 0 {
		if f.faults != nil {
			f.faults.draw.Stop()
		}
		return
	}
	f.faults = &faultState{plan: p, draw: fault.NewDraw(p.Rate, p.Seed, p.Kinds)}
}

// InjectedFaults returns how many faults of each kind the current (or
// last) plan injected.
func (f *Fake) InjectedFaults() map[Fault]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.faults == nil {
		return map[Fault]int{}
	}
	return f.faults.draw.Counts()
}

// drawFault picks the fault for a write of op (FaultNone for most).
// Called with f.mu held.
func (f *Fake) drawFault(op Op) (Fault, FaultPlan) {
	fs := f.faults
	if fs == nil || !slices.Contains(fs.plan.Ops, op) {
		return FaultNone, FaultPlan{}
	}
	k := fs.draw.Next()
	if k == FaultNone {
		return FaultNone, FaultPlan{}
	}
	return k, fs.plan
}

// Errors of the transport faults. They match what the transport returns
// for a client timeout (context.DeadlineExceeded) and a reset.
var (
	errFaultTimeout = fmt.Errorf("injected fault: client timeout awaiting the answer: %w", context.DeadlineExceeded)
	errFaultReset   = fmt.Errorf("injected fault: read: %w", syscall.ECONNRESET)
)

// faultError is the error a write of op to conv fails with under fault k.
func faultError(k Fault, p FaultPlan, op Op, conv helpdesk.Conversation) error {
	status := 0
	switch k {
	case Fault429:
		status = http.StatusTooManyRequests
	case Fault503Before, Fault503After:
		status = http.StatusServiceUnavailable
	case Fault500Before, Fault500After:
		status = http.StatusInternalServerError
	case FaultTimeoutBefore, FaultTimeoutAfter:
		return &transport.RequestError{Vendor: FakeVendor, Method: string(op), Path: conv.ID, Attempts: 1, Written: true, Err: errFaultTimeout}
	case FaultResetBefore, FaultResetAfter:
		return &transport.RequestError{Vendor: FakeVendor, Method: string(op), Path: conv.ID, Attempts: 1, Written: true, Err: errFaultReset}
	default:
		return nil
	}
	e := StatusError(status)
	e.Method, e.Path = string(op), conv.ID
	e.Message += " (injected fault " + k.String() + ")"
	e.RetryAfter = 0
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = p.RetryAfter
	}
	return e
}

// queued is an error FailNext queued: the call returns it as it is, and
// the Fake's driver never reconciles it (it has no Unwrap, so
// driver.Ambiguous does not see through it).
type queued struct{ err error }

func (q queued) Error() string { return q.err.Error() }

// unqueue returns the error FailNext queued, or err.
func unqueue(err error) error {
	var q queued
	if errors.As(err, &q) {
		return q.err
	}
	return err
}
