package budget

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
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

func retryAfter(h http.Header, now time.Time) time.Duration {
	d, _ := transport.RetryAfterValue(h.Get("Retry-After"), now)
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
	return capDuration(n, time.Second)
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

// IETFHeaders reads the IETF draft fields RateLimit-Limit,
// RateLimit-Remaining and RateLimit-Reset (seconds) plus Retry-After.
func IETFHeaders(status int, h http.Header, now time.Time) Feedback {
	fb := Feedback{RetryAfter: retryAfter(h, now)}
	fb.Quotas = quotaIfAny(Quota{Total: intHeader(h, "RateLimit-Limit"), Remaining: intHeader(h, "RateLimit-Remaining"), Reset: secondsHeader(h, "RateLimit-Reset")})
	return fb
}

// ResetFormat says how a reset header counts the time until a vendor's
// window resets.
type ResetFormat int

const (
	// ResetSeconds: delay-seconds until the reset (IETF RateLimit-Reset).
	ResetSeconds ResetFormat = iota
	// ResetMillis: milliseconds until the reset.
	ResetMillis
	// ResetUnix: the reset's Unix time in seconds.
	ResetUnix
	// ResetUnixMillis: the reset's Unix time in milliseconds.
	ResetUnixMillis
)

// QuotaHeaders names the headers of one remaining-quota report.
type QuotaHeaders struct {
	// Limit is the configured limit the report is about (Quota.Limit);
	// empty for the account-wide limit.
	Limit string
	// Total and Remaining are the header names of the window's size and
	// of what is left of it. A report is made only when Remaining is
	// present. The first integer of a value counts, so "100, 100;w=60"
	// reads as 100.
	Total, Remaining string
	// Reset, when set, is the header giving when the window resets, read
	// per ResetFormat.
	Reset       string
	ResetFormat ResetFormat
	// Window is the vendor's window when it is fixed and documented (10 s,
	// one minute); WindowHeader, when set and present, gives it instead,
	// in WindowUnit (default time.Second).
	Window       time.Duration
	WindowHeader string
	WindowUnit   time.Duration
}

// HeaderSpec describes a vendor's rate-limit headers. Drivers build their
// HeaderReader from one with Headers, so that the parsing stays here and
// the vendor's header names stay in the driver.
type HeaderSpec struct {
	// Quotas are the remaining-quota reports the vendor sends.
	Quotas []QuotaHeaders
	// PauseUntilReset: a 429 without Retry-After pauses until the first
	// quota's reset, for vendors that send a reset header but no
	// Retry-After.
	PauseUntilReset bool
	// FixedWindow, when set, is the vendor's fixed window: a 429 with no
	// other hint pauses until its next boundary on the local clock, for
	// vendors that send no rate-limit headers at all.
	FixedWindow time.Duration
}

// Headers returns a HeaderReader for spec. Retry-After (transport's one
// parser) always counts first.
func Headers(spec HeaderSpec) HeaderReader {
	spec.Quotas = append([]QuotaHeaders(nil), spec.Quotas...)
	return func(status int, h http.Header, now time.Time) Feedback {
		fb := Feedback{RetryAfter: retryAfter(h, now)}
		for _, qh := range spec.Quotas {
			q := Quota{Limit: qh.Limit, Total: -1, Remaining: intHeader(h, qh.Remaining), Window: qh.Window}
			if qh.Total != "" {
				q.Total = intHeader(h, qh.Total)
			}
			if qh.Reset != "" {
				q.Reset = resetHeader(h, qh.Reset, qh.ResetFormat, now)
			}
			if qh.WindowHeader != "" {
				if n := intHeader(h, qh.WindowHeader); n > 0 {
					unit := qh.WindowUnit
					if unit <= 0 {
						unit = time.Second
					}
					q.Window = capDuration(n, unit)
				}
			}
			if q.Remaining >= 0 {
				fb.Quotas = append(fb.Quotas, q)
			}
		}
		if status != http.StatusTooManyRequests || fb.RetryAfter > 0 {
			return fb
		}
		if spec.PauseUntilReset && len(fb.Quotas) > 0 && fb.Quotas[0].Reset > 0 {
			fb.RetryAfter = fb.Quotas[0].Reset
		} else if spec.FixedWindow > 0 {
			fb.RetryAfter = now.Truncate(spec.FixedWindow).Add(spec.FixedWindow).Sub(now)
		}
		return fb
	}
}

// capDuration returns n units, capped at transport.MaxRetryAfter so that
// no header value overflows.
func capDuration(n int, unit time.Duration) time.Duration {
	if int64(n) > int64(transport.MaxRetryAfter/unit) {
		return transport.MaxRetryAfter
	}
	return time.Duration(n) * unit
}

// resetHeader reads a reset header; zero when absent, invalid or past.
func resetHeader(h http.Header, name string, f ResetFormat, now time.Time) time.Duration {
	n := intHeader(h, name)
	if n < 0 {
		return 0
	}
	var d time.Duration
	switch f {
	case ResetSeconds:
		d = capDuration(n, time.Second)
	case ResetMillis:
		d = capDuration(n, time.Millisecond)
	case ResetUnix:
		d = time.Unix(int64(n), 0).Sub(now)
	case ResetUnixMillis:
		d = time.UnixMilli(int64(n)).Sub(now)
	}
	return min(max(d, 0), transport.MaxRetryAfter)
}
