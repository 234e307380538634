package transport

import (
	"net/http"
	"strings"
	"time"
)

// MaxRetryAfter caps what a Retry-After value can ask for. A larger value
// (or an HTTP-date further away) reads as MaxRetryAfter, so that no header
// overflows a time.Duration or parks a budget for longer than a day.
const MaxRetryAfter = 24 * time.Hour

// RetryAfterValue parses one Retry-After header value: delay-seconds or an
// HTTP-date (RFC 9110, section 10.2.3). It is the one parser every part of
// agentdesk uses (ParseRetryAfter, the budget's header readers, drivers), so
// one 429 never yields two different waits.
//
// Delay-seconds may carry a fraction ("0.05"), which some proxies and
// vendors send although the RFC allows only digits; the wait is then
// rounded down to the microsecond. An HTTP-date in the past means no wait.
// Values above MaxRetryAfter are capped. It reports false for an empty
// value, a negative number, an exponent, NaN, or anything else it cannot
// read.
func RetryAfterValue(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if d, ok := delaySeconds(v); ok {
		return d, true
	}
	if v[0] >= '0' && v[0] <= '9' || v[0] == '-' || v[0] == '+' || v[0] == '.' {
		// A number it could not read; no HTTP-date starts like this.
		return 0, false
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	switch {
	case d < 0:
		d = 0
	case d > MaxRetryAfter:
		d = MaxRetryAfter
	}
	return d, true
}

// delaySeconds reads DIGITS [ "." DIGITS ] without floating point, capping
// at MaxRetryAfter.
func delaySeconds(v string) (time.Duration, bool) {
	whole, frac, dot := strings.Cut(v, ".")
	if whole == "" || !allDigits(whole) || (dot && (frac == "" || !allDigits(frac))) {
		return 0, false
	}
	const maxSecs = int64(MaxRetryAfter / time.Second)
	var secs int64
	for i := 0; i < len(whole); i++ {
		secs = secs*10 + int64(whole[i]-'0')
		if secs > maxSecs {
			return MaxRetryAfter, true
		}
	}
	d := time.Duration(secs) * time.Second
	scale := time.Second
	for i := 0; i < len(frac) && scale > time.Microsecond; i++ {
		scale /= 10
		d += time.Duration(frac[i]-'0') * scale
	}
	return min(d, MaxRetryAfter), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseRetryAfter reads how long a response asks to wait: its Retry-After
// header (RetryAfterValue), or else the IETF RateLimit-Reset header
// (delay-seconds until the window resets). It is Options.RetryAfter's
// default. Vendors that signal the wait differently (a Unix-time reset
// header, no header but a fixed window) pass their own Options.RetryAfter,
// which usually tries ParseRetryAfter first.
func ParseRetryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if d, ok := RetryAfterValue(resp.Header.Get("Retry-After"), now); ok {
		return d, true
	}
	if v := strings.TrimSpace(resp.Header.Get("RateLimit-Reset")); v != "" && allDigits(v) {
		return delaySeconds(v)
	}
	return 0, false
}
