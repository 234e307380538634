package intercom

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Intercom's published limits for private apps (the kind an access token
// from the Developer Hub belongs to). Intercom spreads each per-minute
// limit over 10-second windows: 10,000 a minute is enforced as 1,667 per
// 10 s, and X-RateLimit-Limit reports the per-window figure.
const (
	// AppPerMinute is the limit of one app.
	AppPerMinute = 10000
	// WorkspacePerMinute is shared by every private app of a workspace.
	WorkspacePerMinute = 25000
	// Window is the window the limits are enforced in.
	Window = 10 * time.Second
)

// Limit names in DefaultLimits.
const (
	LimitApp       = "app"
	LimitWorkspace = "workspace"
)

// DefaultConversationLimit is the per-conversation guard: writes a minute
// the bot may make into one conversation before the driver holds further
// ones (Intercom publishes no per-conversation limit; a bot writing more
// than this is looping). ConversationBurst of them may go at once, so a
// multi-part answer and a hand-over are never slowed.
const (
	DefaultConversationLimit = 30
	ConversationBurst        = 10
)

// conversationLimit is the guard's budget.Limit for n writes a minute.
func conversationLimit(n int) budget.Limit {
	return budget.Limit{Count: n, Window: time.Minute, Burst: max(1, min(ConversationBurst, n/3))}
}

// DefaultLimits returns Intercom's limits as 10-second windows: the app's
// 10,000 a minute and the workspace's 25,000 a minute shared by all its
// private apps. The workspace window only binds when several apps share a
// workspace; hosts that run other apps there pass a smaller share.
func DefaultLimits() []budget.Limit {
	return []budget.Limit{
		// X-RateLimit-Limit reports the app's limit: the budget learns it
		// (a workspace on an older, lower limit is paced to it at once).
		{Name: LimitApp, Count: per10s(AppPerMinute), Window: Window, Share: 1},
		{Name: LimitWorkspace, Count: per10s(WorkspacePerMinute), Window: Window},
	}
}

// Limits returns the limits the driver's budget paces to: DefaultLimits.
// Every driver's Config has Limits, BudgetKey and a Headers reader, the
// three pieces of a budget of your own (a shared one on Redis, say).
func (c Config) Limits() []budget.Limit { return DefaultLimits() }

// BudgetKey labels the budget: Intercom counts an app's requests across
// every replica, so replicas of one bot share the key.
func (c Config) BudgetKey() string { return Vendor + ":" + c.baseURL() }

// per10s is a per-minute limit's share of one 10-second window, rounded
// the way Intercom reports it (1000/min → 167).
func per10s(perMinute int) int { return (perMinute + 5) / 6 }

// Headers reads Intercom's rate-limit headers for the budget:
// X-RateLimit-Limit and X-RateLimit-Remaining describe the current
// 10-second window, X-RateLimit-Reset is the Unix time it ends. Intercom
// sends no Retry-After, so a 429 pauses the budget until the reset (or,
// without one, until the next 10-second boundary).
func Headers(status int, h http.Header, now time.Time) budget.Feedback {
	fb := budget.Feedback{}
	if d, ok := retryAfterHeader(h, now); ok {
		fb.RetryAfter = d
	}
	q := budget.Quota{Total: intHeader(h, "X-RateLimit-Limit"), Remaining: intHeader(h, "X-RateLimit-Remaining"), Window: Window}
	if reset, ok := resetAt(h); ok {
		if d := reset.Sub(now); d > 0 {
			q.Reset = d
		}
	}
	if q.Remaining >= 0 {
		fb.Quotas = []budget.Quota{q}
	}
	if status == http.StatusTooManyRequests && fb.RetryAfter == 0 {
		fb.RetryAfter = q.Reset
		if fb.RetryAfter == 0 {
			fb.RetryAfter = untilWindowEnd(now)
		}
	}
	return fb
}

// RetryAfter is the transport's hook for how long a 429 asks to wait: a
// Retry-After if a proxy added one, else until X-RateLimit-Reset, else
// until the next 10-second boundary.
func RetryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if d, ok := retryAfterHeader(resp.Header, now); ok {
		return d, true
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if reset, ok := resetAt(resp.Header); ok {
		d := reset.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return untilWindowEnd(now), true
}

// retryAfterHeader reads a Retry-After (Intercom sends none; a proxy in
// front may) with the transport's one parser, and nothing else.
func retryAfterHeader(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Values("Retry-After")
	if len(v) == 0 {
		return 0, false
	}
	return transport.ParseRetryAfter(&http.Response{Header: http.Header{"Retry-After": v}}, now)
}

func untilWindowEnd(now time.Time) time.Duration {
	return now.Truncate(Window).Add(Window).Sub(now)
}

func resetAt(h http.Header) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

func intHeader(h http.Header, name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(name)))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// RequestIDHeader is the response header carrying Intercom's request id
// (also in the error body's request_id).
const RequestIDHeader = "X-Request-Id"

// errorList is Intercom's error body:
// {"type":"error.list","request_id":"…","errors":[{"code":"…","message":"…"}]}.
type errorList struct {
	Type      string `json:"type"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"errors"`
}

// DecodeError reads Intercom's error.list body; the first error's code and
// message are kept, the others' messages appended.
func DecodeError(status int, body []byte) transport.ErrorInfo {
	var el errorList
	if json.Unmarshal(body, &el) != nil || len(el.Errors) == 0 {
		return transport.DecodeErrorBody(status, body)
	}
	info := transport.ErrorInfo{Code: el.Errors[0].Code, Message: el.Errors[0].Message, RequestID: el.RequestID}
	for _, e := range el.Errors[1:] {
		if e.Message != "" {
			info.Message += "; " + e.Message
		}
	}
	return info
}

// classify maps Intercom's error codes onto the portable sentinels where
// the status alone does not say.
func classify(e *helpdesk.APIError) {
	switch e.Code {
	case "rate_limit_exceeded":
		e.Kind = helpdesk.ErrRateLimited
	case "unauthorized", "token_unauthorized", "token_not_found", "token_revoked", "api_plan_restricted", "intercom_version_invalid":
		if e.Code == "intercom_version_invalid" {
			e.Kind = helpdesk.ErrInvalidRequest
			return
		}
		e.Kind = helpdesk.ErrUnauthorized
	case "not_found", "conversation_not_found", "admin_not_found", "team_not_found":
		e.Kind = helpdesk.ErrNotFound
	}
}
