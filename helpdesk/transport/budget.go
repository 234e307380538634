package transport

import (
	"context"
	"net/http"
	"time"
)

// Priority ranks requests when a budget is short. Critical requests (resolve,
// reassign) may use capacity that normal requests (message parts) may not.
type Priority int

const (
	// PriorityNormal is for message sends and reads.
	PriorityNormal Priority = iota
	// PriorityCritical is for hand-overs and resolves: the calls that must
	// keep flowing when message traffic is heavy.
	PriorityCritical
)

func (p Priority) String() string {
	switch p {
	case PriorityNormal:
		return "normal"
	case PriorityCritical:
		return "critical"
	}
	return "unknown"
}

// Call describes one outgoing request to a Budget.
type Call struct {
	// Method and Path (without query) of the request.
	Method string
	Path   string
	// Priority of the request.
	Priority Priority
	// Limits names the vendor limits this request draws on beyond the
	// account-wide one, e.g. "tickets-update" for Zendesk ticket updates.
	// A budget ignores names it has no limit for.
	Limits []string
	// MaxWait, when positive, is the longest the caller accepts to wait;
	// a budget that would need longer returns an error matching
	// helpdesk.ErrRateLimited without waiting.
	MaxWait time.Duration
}

// Budget paces requests so that a vendor's rate limit is never exhausted.
// helpdesk/budget provides in-process and Redis-shared implementations.
//
// The transport calls Wait before every attempt (retries included) and
// Observe after every response, so the budget sees 429s, Retry-After and
// remaining-quota headers.
type Budget interface {
	// Wait blocks until the call may be sent, the context ends, or the
	// call's MaxWait would be exceeded.
	Wait(ctx context.Context, c Call) error
	// Observe reports the response to a call: its status and headers.
	Observe(c Call, status int, h http.Header)
}
