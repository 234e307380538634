package budget

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Feedback is what a response's headers say about the vendor's limits.
type Feedback struct {
	// RetryAfter is how long to pause after a 429 (or 503): from
	// Retry-After, or derived from a reset header or the vendor's fixed
	// window. Zero when the response gives no hint.
	RetryAfter time.Duration
	// Quotas are the remaining-budget reports found in the headers.
	Quotas []Quota
}

// Quota is one remaining-budget report, e.g. X-Rate-Limit-Remaining.
type Quota struct {
	// Limit names the configured limit the report is about; empty means
	// the account-wide limit (the one whose Window equals Window when
	// that is set, otherwise every account-wide limit).
	Limit string
	// Total and Remaining are the vendor's figures; -1 when not sent.
	Total, Remaining int
	// Reset is the time until the vendor's window resets; zero when not
	// sent.
	Reset time.Duration
	// Window is the vendor's window length when the vendor states it
	// (HubSpot's interval); zero otherwise.
	Window time.Duration
}

// HeaderReader reads a vendor's rate-limit headers. now is the local time
// the response arrived, for headers that carry timestamps. Each driver
// passes its vendor's reader to the budget with WithHeaders; the pacing
// logic lives in the budget.
type HeaderReader func(status int, h http.Header, now time.Time) Feedback

// ParseRetryAfter parses a Retry-After value: delay-seconds or an
// HTTP-date (RFC 9110). It reports false for an empty or invalid value.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func retryAfter(h http.Header, now time.Time) time.Duration {
	d, _ := ParseRetryAfter(h.Get("Retry-After"), now)
	return d
}

// intHeader returns the first integer in the header value (so that
// "100, 100;w=60" reads as 100), or -1.
func intHeader(h http.Header, name string) int {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return -1
	}
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

func quotaIfAny(q Quota) []Quota {
	if q.Remaining < 0 {
		return nil
	}
	return []Quota{q}
}

// RetryAfterHeaders reads only Retry-After. It is the default.
func RetryAfterHeaders(status int, h http.Header, now time.Time) Feedback {
	return Feedback{RetryAfter: retryAfter(h, now)}
}

// SunshineHeaders reads Sunshine Conversations responses: no rate-limit
// headers are published, so only a Retry-After if one is sent.
func SunshineHeaders(status int, h http.Header, now time.Time) Feedback {
	return RetryAfterHeaders(status, h, now)
}

// ZendeskHeaders reads Zendesk Support: Retry-After (seconds);
// X-Rate-Limit / X-Rate-Limit-Remaining and ratelimit-limit /
// ratelimit-remaining / ratelimit-reset (seconds) for the account limit; and
// endpoint headers such as
// "Zendesk-RateLimit-tickets-update: total=100; remaining=99; resets=42",
// reported as Quota{Limit: "tickets-update"}.
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

// IntercomHeaders reads Intercom: X-RateLimit-Limit and
// X-RateLimit-Remaining per 10-second window, X-RateLimit-Reset as a Unix
// timestamp. Intercom sends no Retry-After, so a 429 pauses until the reset.
func IntercomHeaders(status int, h http.Header, now time.Time) Feedback {
	fb := Feedback{RetryAfter: retryAfter(h, now)}
	q := Quota{Total: intHeader(h, "X-RateLimit-Limit"), Remaining: intHeader(h, "X-RateLimit-Remaining"), Window: 10 * time.Second}
	if ts := intHeader(h, "X-RateLimit-Reset"); ts > 0 {
		if d := time.Unix(int64(ts), 0).Sub(now); d > 0 {
			q.Reset = d
		}
	}
	if status == http.StatusTooManyRequests && fb.RetryAfter == 0 && q.Reset > 0 {
		fb.RetryAfter = q.Reset
	}
	fb.Quotas = quotaIfAny(q)
	return fb
}

// HubSpotHeaders reads HubSpot: X-HubSpot-RateLimit-Max / -Remaining over
// -Interval-Milliseconds (a rolling window, so no reset time), the daily
// X-HubSpot-RateLimit-Daily / -Daily-Remaining (reported for the
// account-wide limit whose window is 24 h) and the older -Secondly /
// -Secondly-Remaining.
func HubSpotHeaders(status int, h http.Header, now time.Time) Feedback {
	fb := Feedback{RetryAfter: retryAfter(h, now)}
	win := time.Duration(0)
	if ms := intHeader(h, "X-HubSpot-RateLimit-Interval-Milliseconds"); ms > 0 {
		win = time.Duration(ms) * time.Millisecond
	}
	fb.Quotas = append(fb.Quotas, quotaIfAny(Quota{Total: intHeader(h, "X-HubSpot-RateLimit-Max"), Remaining: intHeader(h, "X-HubSpot-RateLimit-Remaining"), Window: win})...)
	fb.Quotas = append(fb.Quotas, quotaIfAny(Quota{Total: intHeader(h, "X-HubSpot-RateLimit-Daily"), Remaining: intHeader(h, "X-HubSpot-RateLimit-Daily-Remaining"), Window: 24 * time.Hour})...)
	fb.Quotas = append(fb.Quotas, quotaIfAny(Quota{Total: intHeader(h, "X-HubSpot-RateLimit-Secondly"), Remaining: intHeader(h, "X-HubSpot-RateLimit-Secondly-Remaining"), Window: time.Second})...)
	return fb
}

// IETFHeaders reads the IETF draft fields RateLimit-Limit,
// RateLimit-Remaining and RateLimit-Reset (seconds) plus Retry-After.
func IETFHeaders(status int, h http.Header, now time.Time) Feedback {
	fb := Feedback{RetryAfter: retryAfter(h, now)}
	fb.Quotas = quotaIfAny(Quota{Total: intHeader(h, "RateLimit-Limit"), Remaining: intHeader(h, "RateLimit-Remaining"), Reset: secondsHeader(h, "RateLimit-Reset")})
	return fb
}

// KlaviyoHeaders reads Klaviyo: RateLimit-Limit / -Remaining / -Reset
// (seconds) for the steady one-minute window on ordinary responses, and only
// Retry-After (seconds) on a 429.
func KlaviyoHeaders(status int, h http.Header, now time.Time) Feedback {
	fb := IETFHeaders(status, h, now)
	for i := range fb.Quotas {
		fb.Quotas[i].Window = time.Minute
	}
	return fb
}

// ChatwootHeaders reads Chatwoot (Cloud Chat), which sends no rate-limit
// headers and answers 429 without Retry-After from a fixed one-minute
// window: a 429 pauses until the next minute boundary.
func ChatwootHeaders(status int, h http.Header, now time.Time) Feedback {
	fb := Feedback{RetryAfter: retryAfter(h, now)}
	if status == http.StatusTooManyRequests && fb.RetryAfter == 0 {
		fb.RetryAfter = now.Truncate(time.Minute).Add(time.Minute).Sub(now)
	}
	return fb
}
