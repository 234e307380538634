package zendesk

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// This file holds what the driver knows about Zendesk's limits: the plans'
// request rates, the Update Ticket endpoint limit, the per-ticket limit,
// how the rate-limit headers read, how error bodies look, and where the
// request id is. The budget and transport packages hold the mechanics.

// Plan is the Zendesk plan, which sets the account-wide API limit.
type Plan string

// Plans and their Support API limits (requests per minute).
const (
	PlanTeam           Plan = "team"            // 200/min
	PlanGrowth         Plan = "growth"          // 400/min
	PlanProfessional   Plan = "professional"    // 400/min
	PlanEnterprise     Plan = "enterprise"      // 700/min
	PlanEnterprisePlus Plan = "enterprise_plus" // 2500/min
	// PlanHighVolume is any plan with the High Volume API add-on, which
	// raises the limit to 2500/min (and Update Ticket to 300/min).
	PlanHighVolume Plan = "high_volume"
)

// Zendesk's published limits.
const (
	// TeamRequestsPerMinute .. EnterprisePlusRequestsPerMinute are the
	// plans' Support API limits per account (EnterprisePlus is also what
	// the High Volume add-on raises Growth and above to).
	TeamRequestsPerMinute           = 200
	GrowthRequestsPerMinute         = 400
	ProfessionalRequestsPerMinute   = 400
	EnterpriseRequestsPerMinute     = 700
	EnterprisePlusRequestsPerMinute = 2500
	// TicketUpdatesPerMinute is the Update Ticket limit per account (300
	// with High Volume), shared with human agents' edits in the UI.
	TicketUpdatesPerMinute           = 100
	HighVolumeTicketUpdatesPerMinute = 300
	// DefaultConversationLimit is Zendesk's limit of updates by one user
	// on one ticket per ConversationWindow; Options.ConversationLimit
	// defaults to it.
	DefaultConversationLimit = 30
	// ConversationWindow is the window of the per-ticket limit.
	ConversationWindow = 10 * time.Minute
)

// DefaultTicketUpdateShare is Config.TicketUpdateShare's default: the
// whole Update Ticket limit, as Zendesk's headers report what agents'
// edits leave of it (see Config.TicketUpdateShare).
const DefaultTicketUpdateShare = 1.0

// LimitTicketsUpdate names Zendesk's Update Ticket limit (100/min per
// account, shared with human agents) in transport.Request.Limits and in
// the Zendesk-RateLimit-tickets-update header.
const LimitTicketsUpdate = "tickets-update"

// requestIDHeaders are the response headers carrying Zendesk's request id,
// in order of preference.
var requestIDHeaders = []string{"X-Zendesk-Request-Id", "X-Request-Id"}

// RequestsPerMinute returns the plan's account-wide Support API limit
// (Team when the plan is empty or unknown: the safe choice).
func (p Plan) RequestsPerMinute() int {
	switch p {
	case PlanGrowth:
		return GrowthRequestsPerMinute
	case PlanProfessional:
		return ProfessionalRequestsPerMinute
	case PlanEnterprise:
		return EnterpriseRequestsPerMinute
	case PlanEnterprisePlus, PlanHighVolume:
		return EnterprisePlusRequestsPerMinute
	}
	return TeamRequestsPerMinute
}

// TicketUpdatesPerMinute returns the account's Update Ticket limit: 100 per
// minute, 300 with High Volume. Human agents' edits in the Zendesk UI count
// against it too.
func (p Plan) TicketUpdatesPerMinute() int {
	if p == PlanHighVolume {
		return HighVolumeTicketUpdatesPerMinute
	}
	return TicketUpdatesPerMinute
}

func (p Plan) valid() bool {
	switch p {
	case "", PlanTeam, PlanGrowth, PlanProfessional, PlanEnterprise, PlanEnterprisePlus, PlanHighVolume:
		return true
	}
	return false
}

// PlanLimits returns the account limit (planRPM per minute) and the Update
// Ticket endpoint limit (ticketUpdates per minute), for a budget read with
// Headers.
func PlanLimits(planRPM, ticketUpdates int) []budget.Limit {
	return []budget.Limit{
		{Name: "account", Count: planRPM, Window: time.Minute},
		{Name: LimitTicketsUpdate, PerEndpoint: true, Count: ticketUpdates, Window: time.Minute},
	}
}

// Limits returns the Support API limits the bot may use: the plan's
// account-wide requests per minute, and its share (TicketUpdateShare) of
// the Update Ticket limit, which human agents' edits draw on too.
//
// Both learn the account's real limits from Zendesk's headers
// (budget.Limit.Share): the plan (Team, 200/min, when Config.Plan is
// empty) is only the safe start, paced evenly with a burst of 2, and the
// first response's X-Rate-Limit (or ratelimit-limit) and
// Zendesk-RateLimit-tickets-update total raise or lower them, so the
// default budget uses the account's actual plan without the user naming
// it, and logs what it learned once. As those headers also give what is
// left of Zendesk's fixed one-minute windows and when they reset, the
// budget then spends what is left (less what TicketUpdateShare leaves to
// agents) as calls come, and waits for the reset once it is spent,
// instead of spreading the limit evenly: under load it completes as many
// tickets as a client that sends until it gets 429s, with none.
func (c Config) Limits() []budget.Limit {
	c = c.Normalize()
	share := int(math.Floor(c.TicketUpdateShare * float64(c.Plan.TicketUpdatesPerMinute())))
	if share < 2 {
		share = 2
	}
	limits := PlanLimits(c.Plan.RequestsPerMinute(), share)
	limits[0].Share = 1
	limits[1].Share = c.TicketUpdateShare
	return limits
}

// NewBudget returns an in-process budget for the account (Limits, paced by
// Zendesk's headers, see Headers). It is the default Options.Budget. For
// several replicas, build a shared budget on Redis
// (helpdesk/budget/redisbudget) with the same Limits and
// budget.WithHeaders(Headers), and pass it in Options.Budget.
func NewBudget(cfg Config, opts ...budget.Option) (*budget.Local, error) {
	cfg = cfg.Normalize()
	opts = append([]budget.Option{budget.WithHeaders(Headers)}, opts...)
	return budget.NewLocal(cfg.BudgetKey(), cfg.Limits(), opts...)
}

// BudgetKey labels the budget of the account: Zendesk counts requests per
// account (subdomain), whatever the number of replicas. Every driver's
// Config has Limits, BudgetKey and a Headers reader, the three pieces of a
// budget of your own (a shared one on Redis, say).
func (c Config) BudgetKey() string { return Vendor + ":" + c.Normalize().Subdomain }

// conversationLimit is the per-ticket guard for Options.ConversationLimit
// n (0: DefaultConversationLimit; negative: none), with half of it
// available at once.
func conversationLimit(n int) budget.Limit {
	if n < 0 {
		return budget.Limit{}
	}
	if n == 0 {
		n = DefaultConversationLimit
	}
	return budget.Limit{Name: "ticket", Count: n, Window: ConversationWindow, Burst: max(1, n/2)}
}

// Headers reads Zendesk Support's rate-limit headers: Retry-After
// (seconds, on 429 and 503); X-Rate-Limit / X-Rate-Limit-Remaining and
// ratelimit-limit / ratelimit-remaining / ratelimit-reset (seconds) for
// the account limit, ratelimit-* preferred; and endpoint headers such as
// "Zendesk-RateLimit-tickets-update: total=100; remaining=99; resets=42",
// reported as budget.Quota{Limit: "tickets-update"}.
func Headers(status int, h http.Header, now time.Time) budget.Feedback {
	fb := budget.Feedback{RetryAfter: retryAfter(h, now)}
	acct := budget.Quota{Total: intHeader(h, "Ratelimit-Limit"), Remaining: intHeader(h, "Ratelimit-Remaining"), Reset: secondsHeader(h, "Ratelimit-Reset")}
	if acct.Remaining < 0 {
		acct.Total, acct.Remaining = intHeader(h, "X-Rate-Limit"), intHeader(h, "X-Rate-Limit-Remaining")
	}
	fb.Quotas = quotaIfAny(acct)
	const prefix = "zendesk-ratelimit-"
	for k, vs := range h {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, prefix) || len(vs) == 0 {
			continue
		}
		q := budget.Quota{Limit: lk[len(prefix):], Total: -1, Remaining: -1}
		for _, part := range strings.Split(vs[0], ";") {
			name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil || n < 0 {
				continue
			}
			switch strings.ToLower(name) {
			case "total":
				q.Total = n
			case "remaining":
				q.Remaining = n
			case "resets":
				q.Reset = time.Duration(n) * time.Second
			}
		}
		fb.Quotas = append(fb.Quotas, quotaIfAny(q)...)
	}
	return fb
}

// SunshineHeaders reads Sunshine Conversations responses: Sunshine
// publishes no rate-limit headers, so only a Retry-After if one is sent.
func SunshineHeaders(status int, h http.Header, now time.Time) budget.Feedback {
	return budget.Feedback{RetryAfter: retryAfter(h, now)}
}

func retryAfter(h http.Header, now time.Time) time.Duration {
	d, _ := transport.RetryAfterValue(h.Get("Retry-After"), now)
	return d
}

// intHeader returns the first integer in the header value, or -1.
func intHeader(h http.Header, name string) int {
	v := strings.TrimSpace(h.Get(name))
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(v[:end])
	if err != nil {
		return -1
	}
	return n
}

func secondsHeader(h http.Header, name string) time.Duration {
	n := intHeader(h, name)
	if n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

func quotaIfAny(q budget.Quota) []budget.Quota {
	if q.Remaining < 0 {
		return nil
	}
	return []budget.Quota{q}
}

// --- error bodies ----------------------------------------------------------

// fieldProblem is one entry of a Zendesk RecordInvalid "details" object.
type fieldProblem struct {
	Field       string
	Description string
}

// errorBody is the union of Zendesk's error shapes:
//
//	Support   {"error":"RecordInvalid","description":"Record validation errors",
//	           "details":{"status":[{"description":"Status: closed prevents ticket update"}]}}
//	          {"error":{"title":"Forbidden","message":"You do not have access"}}
//	Sunshine  {"errors":[{"code":"conversation_not_found","title":"Conversation not found"}]}
type errorBody struct {
	Error       json.RawMessage                           `json:"error"`
	Description string                                    `json:"description"`
	Details     map[string][]struct{ Description string } `json:"details"`
	Errors      []struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	} `json:"errors"`
}

func parseSupportError(body []byte) (code, desc string, fields []fieldProblem, ok bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return "", "", nil, false
	}
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		return "", "", nil, false
	}
	if len(b.Error) > 0 {
		var s string
		if json.Unmarshal(b.Error, &s) == nil {
			code = s
		} else {
			var obj struct{ Title, Message string }
			if json.Unmarshal(b.Error, &obj) == nil {
				code, desc = obj.Title, obj.Message
			}
		}
	}
	if b.Description != "" {
		desc = b.Description
	}
	if code == "" && desc == "" && len(b.Errors) > 0 {
		code, desc = b.Errors[0].Code, b.Errors[0].Title
	}
	keys := make([]string, 0, len(b.Details))
	for k := range b.Details {
		keys = append(keys, k)
	}
	// "base" problems are not about one field: list them last.
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == "base") != (keys[j] == "base") {
			return keys[j] == "base"
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		for _, d := range b.Details[k] {
			fields = append(fields, fieldProblem{Field: k, Description: d.Description})
		}
	}
	return code, desc, fields, true
}

// decodeError feeds transport's APIError with Zendesk's error code,
// description and field details (the details carry the interesting part,
// e.g. "Status: closed prevents ticket update"), or Sunshine's first
// error code and title. A body in neither shape gives its first line.
func decodeError(status int, body []byte) transport.ErrorInfo {
	code, desc, fields, ok := parseSupportError(body)
	if !ok {
		return transport.ErrorInfo{Message: firstLine(body)}
	}
	msg := desc
	if len(fields) > 0 {
		parts := make([]string, 0, len(fields))
		for _, f := range fields {
			parts = append(parts, f.Field+": "+f.Description)
		}
		if msg != "" {
			msg += " "
		}
		msg += "(" + strings.Join(parts, "; ") + ")"
	}
	return transport.ErrorInfo{Code: code, Message: msg}
}

// firstLine is the first line of a body that is not JSON (an HTML error
// page from a proxy), at most 200 bytes.
func firstLine(body []byte) string {
	line := string(bytes.TrimSpace(body))
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if len(line) > 200 {
		line = line[:200]
	}
	return strings.TrimSpace(line)
}

// transportOptions are the vendor settings both the Support and the
// Sunshine clients share.
func transportOptions(o Options, base string) transport.Options {
	return transport.Options{
		Vendor:           Vendor,
		BaseURL:          base,
		HTTPClient:       o.HTTPClient,
		Logger:           o.Logger,
		MaxRetries:       o.MaxRetries,
		MaxRetryWait:     o.MaxRetryWait,
		DecodeError:      decodeError,
		RequestIDHeaders: requestIDHeaders,
	}
}
