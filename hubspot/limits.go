package hubspot

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// HubSpot's published limits for private apps: a burst limit per 10
// seconds per app and a daily limit per account, by plan. OAuth apps have
// 100 per 10 seconds and no daily limit.
const (
	Window            = 10 * time.Second
	BurstFree         = 100
	BurstPaid         = 190
	DailyFree         = 250_000
	DailyProfessional = 625_000
	DailyEnterprise   = 1_000_000
	// LimitDaily names the daily limit in budgets and quotas.
	LimitDaily = "daily"
	// ConversationWrites is how many writes (messages, comments, closes,
	// handovers) the bot makes into one thread per ConversationWindow by
	// default (Options.ConversationLimit): HubSpot publishes no
	// per-thread limit, so this only stops a runaway loop.
	ConversationWrites = 30
	// ConversationWindow is the window of ConversationWrites.
	ConversationWindow = 10 * time.Minute
)

// Limit presets (Options.Limits). LimitsFree is the default, the safe
// choice when the plan is unknown: the headers then tell the budget more.
//
// Every preset learns the account's real limits from
// X-HubSpot-RateLimit-Max and X-HubSpot-RateLimit-Daily
// (budget.Limit.Share): the preset is the safe start, and a paid account
// on the default LimitsFree rises to its own limits after one response.
var (
	LimitsFree         = []budget.Limit{{Count: BurstFree, Window: Window, Share: 1}, {Name: LimitDaily, Count: DailyFree, Window: 24 * time.Hour, Share: 1}}
	LimitsProfessional = []budget.Limit{{Count: BurstPaid, Window: Window, Share: 1}, {Name: LimitDaily, Count: DailyProfessional, Window: 24 * time.Hour, Share: 1}}
	LimitsEnterprise   = []budget.Limit{{Count: BurstPaid, Window: Window, Share: 1}, {Name: LimitDaily, Count: DailyEnterprise, Window: 24 * time.Hour, Share: 1}}
	LimitsOAuth        = []budget.Limit{{Count: BurstFree, Window: Window, Share: 1}}
)

// Rate-limit and request-id headers.
const (
	HeaderMax            = "X-HubSpot-RateLimit-Max"
	HeaderRemaining      = "X-HubSpot-RateLimit-Remaining"
	HeaderInterval       = "X-HubSpot-RateLimit-Interval-Milliseconds"
	HeaderDaily          = "X-HubSpot-RateLimit-Daily"
	HeaderDailyRemaining = "X-HubSpot-RateLimit-Daily-Remaining"
	RequestIDHeader      = "X-HubSpot-Correlation-Id"
)

// 429 policies, in the body's policyName.
const (
	PolicyTenSecondly = "TEN_SECONDLY_ROLLING"
	PolicyDaily       = "DAILY"
)

var headerSpec = budget.Headers(budget.HeaderSpec{
	Quotas: []budget.QuotaHeaders{
		{Total: HeaderMax, Remaining: HeaderRemaining, Window: Window, WindowHeader: HeaderInterval, WindowUnit: time.Millisecond},
		{Limit: LimitDaily, Total: HeaderDaily, Remaining: HeaderDailyRemaining, Window: 24 * time.Hour},
	},
	FixedWindow: Window,
})

// NewHeaderReader returns the reader of HubSpot's X-HubSpot-RateLimit-*
// headers for an account in tz (nil: UTC): a 429 with the daily quota
// spent pauses until the account's midnight, other 429s until the
// 10-second window ends.
func NewHeaderReader(tz *time.Location) budget.HeaderReader {
	return func(status int, h http.Header, now time.Time) budget.Feedback {
		fb := headerSpec(status, h, now)
		for i, q := range fb.Quotas {
			if q.Limit == LimitDaily {
				fb.Quotas[i].Reset = untilMidnight(now, tz)
				if status == http.StatusTooManyRequests && q.Remaining == 0 {
					fb.RetryAfter = fb.Quotas[i].Reset
				}
			}
		}
		return fb
	}
}

// HeaderReader reads the headers of an account in UTC.
var HeaderReader = NewHeaderReader(nil)

func untilMidnight(now time.Time, tz *time.Location) time.Duration {
	if tz == nil {
		tz = time.UTC
	}
	n := now.In(tz)
	next := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, tz)
	return next.Sub(now)
}

// retryAfter reads how long a 429 asks to wait: Retry-After when sent;
// else until the account's midnight when the daily quota is spent (never
// retried in a loop: that is beyond any MaxRetryWait); else until the
// 10-second window ends.
func retryAfter(tz *time.Location) func(resp *http.Response, now time.Time) (time.Duration, bool) {
	return func(resp *http.Response, now time.Time) (time.Duration, bool) {
		if d, ok := transport.ParseRetryAfter(resp, now); ok {
			return d, true
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			return 0, false
		}
		if strings.TrimSpace(resp.Header.Get(HeaderDailyRemaining)) == "0" {
			return untilMidnight(now, tz), true
		}
		if ms, err := strconv.Atoi(resp.Header.Get(HeaderInterval)); err == nil && ms > 0 {
			iv := time.Duration(ms) * time.Millisecond
			return now.Truncate(iv).Add(iv).Sub(now), true
		}
		return Window, true
	}
}

// ErrorBody is HubSpot's error answer.
type ErrorBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	Category      string `json:"category"`
	ErrorType     string `json:"errorType"`
	PolicyName    string `json:"policyName"`
}

// decodeError reads {"status","message","correlationId","category" or
// "errorType","policyName"}; the code is the policy for 429s, else the
// category.
func decodeError(status int, body []byte) transport.ErrorInfo {
	var eb ErrorBody
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &eb) != nil {
		return transport.DecodeErrorBody(status, body)
	}
	code := eb.Category
	if code == "" {
		code = eb.ErrorType
	}
	if eb.PolicyName != "" {
		code = eb.PolicyName
	}
	return transport.ErrorInfo{Code: code, Message: eb.Message, RequestID: eb.CorrelationID}
}

// classify makes a daily 429 wait until the account's midnight even when
// the headers were missing.
func classify(tz *time.Location) func(e *helpdesk.APIError) {
	return func(e *helpdesk.APIError) {
		if e.StatusCode == http.StatusTooManyRequests && e.Code == PolicyDaily {
			e.RetryAfter = untilMidnight(time.Now(), tz)
		}
	}
}
