// The Zendesk and Chatwoot limits and header readers below are kept only
// until the zendesk and cloudchat drivers hold their own (limits.go); they
// will then be deleted. Vendor knowledge belongs to each driver.

package budget

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Zendesk plan limits for the Support API, requests per minute.
//
// Deprecated: vendor knowledge lives in its driver (zendesk limits.go).
const (
	ZendeskTeam         = 200
	ZendeskGrowth       = 400
	ZendeskProfessional = 400
	ZendeskEnterprise   = 700
	// ZendeskEnterprisePlus is also what the High Volume API add-on raises
	// Growth and above to.
	ZendeskEnterprisePlus = 2500
	// ZendeskTicketUpdates is the Update Ticket limit per account and
	// minute (300 with High Volume), shared with the human agents' UI.
	ZendeskTicketUpdates = 100
)

// ZendeskTicketsUpdate names the Update Ticket limit; drivers list it in
// transport.Call.Limits for every ticket update.
//
// Deprecated: vendor knowledge lives in its driver (zendesk, cloudchat limits.go).
const ZendeskTicketsUpdate = "tickets-update"

// ZendeskLimits returns the account limit (planRPM per minute) and the
// Update Ticket endpoint limit (ticketUpdates per minute). Use with
// WithHeaders(ZendeskHeaders).
//
// Deprecated: vendor knowledge lives in its driver (zendesk, cloudchat limits.go).
func ZendeskLimits(planRPM, ticketUpdates int) []Limit {
	return []Limit{
		{Name: "account", Count: planRPM, Window: time.Minute},
		{Name: ZendeskTicketsUpdate, PerEndpoint: true, Count: ticketUpdates, Window: time.Minute},
	}
}

// ChatwootDefault is Chatwoot's default rack-attack limit per client IP and
// minute.
//
// Deprecated: vendor knowledge lives in its driver (zendesk, cloudchat limits.go).
const ChatwootDefault = 3000

// ChatwootLimits returns Chatwoot's per-IP limit (fixed one-minute window).
// Replicas behind one NAT address share it. Use with
// WithHeaders(ChatwootHeaders).
//
// Deprecated: vendor knowledge lives in its driver (zendesk, cloudchat limits.go).
func ChatwootLimits(perMinute int) []Limit {
	return []Limit{{Name: "ip", Count: perMinute, Window: time.Minute}}
}

// ZendeskHeaders reads Zendesk Support: Retry-After (seconds);
// X-Rate-Limit / X-Rate-Limit-Remaining and ratelimit-limit /
// ratelimit-remaining / ratelimit-reset (seconds) for the account limit; and
// endpoint headers such as
// "Zendesk-RateLimit-tickets-update: total=100; remaining=99; resets=42",
// reported as Quota{Limit: "tickets-update"}.
//
// Deprecated: vendor knowledge lives in its driver (zendesk, cloudchat limits.go).
func ZendeskHeaders(status int, h http.Header, now time.Time) Feedback {
	fb := Feedback{RetryAfter: retryAfter(h, now)}
	acct := Quota{Total: intHeader(h, "Ratelimit-Limit"), Remaining: intHeader(h, "Ratelimit-Remaining"), Reset: secondsHeader(h, "Ratelimit-Reset")}
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
		q := Quota{Limit: lk[len(prefix):], Total: -1, Remaining: -1}
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

// ChatwootHeaders reads Chatwoot (Cloud Chat), which sends no rate-limit
// headers and answers 429 without Retry-After from a fixed one-minute
// window: a 429 pauses until the next minute boundary.
//
// Deprecated: vendor knowledge lives in its driver (zendesk, cloudchat limits.go).
func ChatwootHeaders(status int, h http.Header, now time.Time) Feedback {
	fb := Feedback{RetryAfter: retryAfter(h, now)}
	if status == http.StatusTooManyRequests && fb.RetryAfter == 0 {
		fb.RetryAfter = now.Truncate(time.Minute).Add(time.Minute).Sub(now)
	}
	return fb
}
