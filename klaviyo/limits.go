package klaviyo

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Tier is one of Klaviyo's rate-limit tiers. Each endpoint's reference
// names its tier; every request the driver makes names its own.
type Tier string

// Klaviyo's tiers.
const (
	TierXS Tier = "xs" // webhooks, webhook topics
	TierS  Tier = "s"  // conversations, conversation messages
	TierM  Tier = "m"  // bulk event creation
	TierL  Tier = "l"  // profile import
	TierXL Tier = "xl" // single event creation
)

// TierLimit is a tier's two fixed windows, both enforced per account:
// Burst requests per second and Steady requests per minute.
type TierLimit struct {
	Burst, Steady int
}

// Tiers are Klaviyo's published limits per tier.
var Tiers = map[Tier]TierLimit{
	TierXS: {Burst: 1, Steady: 15},
	TierS:  {Burst: 3, Steady: 60},
	TierM:  {Burst: 10, Steady: 150},
	TierL:  {Burst: 75, Steady: 700},
	TierXL: {Burst: 350, Steady: 3500},
}

var tierOrder = []Tier{TierXS, TierS, TierM, TierL, TierXL}

// Windows of every tier.
const (
	BurstWindow  = time.Second
	SteadyWindow = time.Minute
)

// BurstLimit and SteadyLimit name the tier's limits in a budget
// ("s-burst", "s-steady").
func (t Tier) BurstLimit() string  { return string(t) + "-burst" }
func (t Tier) SteadyLimit() string { return string(t) + "-steady" }

// limits are the budget limit names a call in tier t draws on.
func (t Tier) limits() []string { return []string{t.BurstLimit(), t.SteadyLimit()} }

// Limits returns one endpoint limit per tier and window: a call draws on
// its tier's burst and steady limits only, as Klaviyo counts them.
func Limits() []budget.Limit {
	out := make([]budget.Limit, 0, 2*len(tierOrder))
	for _, t := range tierOrder {
		tl := Tiers[t]
		out = append(out,
			budget.Limit{Name: t.BurstLimit(), PerEndpoint: true, Count: tl.Burst, Window: BurstWindow},
			budget.Limit{Name: t.SteadyLimit(), PerEndpoint: true, Count: tl.Steady, Window: SteadyWindow})
	}
	return out
}

// Rate-limit headers. Klaviyo reports the steady window on every answer
// but a 429, which carries only Retry-After.
const (
	HeaderLimit     = "RateLimit-Limit"
	HeaderRemaining = "RateLimit-Remaining"
	HeaderReset     = "RateLimit-Reset"
)

var steadyHeaders = budget.Headers(budget.HeaderSpec{
	Quotas: []budget.QuotaHeaders{{
		Total: HeaderLimit, Remaining: HeaderRemaining,
		Reset: HeaderReset, ResetFormat: budget.ResetSeconds, Window: SteadyWindow,
	}},
	// A 429 without Retry-After (a proxy's) waits for the next burst
	// window: the budget's own pacing keeps the steady one.
	FixedWindow: BurstWindow,
})

// Headers reads Klaviyo's rate-limit headers for the budget.
// RateLimit-Limit/-Remaining/-Reset describe the steady (one-minute)
// window of the endpoint's tier, which the reader recognises by the
// window's size (RateLimit-Limit: 60 is tier S); a 429's Retry-After
// pauses the tier the call drew on.
func Headers(status int, h http.Header, now time.Time) budget.Feedback {
	fb := steadyHeaders(status, h, now)
	for i, q := range fb.Quotas {
		for _, t := range tierOrder {
			if Tiers[t].Steady == q.Total {
				fb.Quotas[i].Limit = t.SteadyLimit()
			}
		}
		if fb.Quotas[i].Limit == "" {
			// A size that names no tier cannot be placed: ignore it
			// rather than slow every tier.
			fb.Quotas[i].Remaining = -1
		}
	}
	return fb
}

// RequestIDHeader is not documented by Klaviyo; its error objects carry
// an id, which the error decoder reports as the request id.
const RequestIDHeader = "X-Request-Id"

// Error codes Klaviyo writes in errors[].code.
const (
	CodeThrottled        = "throttled"
	CodeNotFound         = "not_found"
	CodeNotAuthenticated = "not_authenticated"
	CodePermissionDenied = "permission_denied"
	CodeInvalid          = "invalid"
)

// ErrorObject is one entry of Klaviyo's JSON:API error answer
// {"errors":[{"id","status","code","title","detail","source"}]}.
type ErrorObject struct {
	ID     string `json:"id"`
	Status any    `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Source struct {
		Pointer   string `json:"pointer"`
		Parameter string `json:"parameter"`
	} `json:"source"`
}

// decodeError reads the first JSON:API error object: its code, its detail
// (or title) as the message and its id as the request id.
func decodeError(status int, body []byte) transport.ErrorInfo {
	var eb struct {
		Errors []ErrorObject `json:"errors"`
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &eb) != nil || len(eb.Errors) == 0 {
		return transport.DecodeErrorBody(status, body)
	}
	e := eb.Errors[0]
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if p := e.Source.Pointer; p != "" {
		msg += " (" + p + ")"
	}
	return transport.ErrorInfo{Code: e.Code, Message: msg, RequestID: e.ID}
}
