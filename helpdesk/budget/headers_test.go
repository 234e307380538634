package budget_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// Readers built with Headers the way drivers build theirs; the specs are
// the vendors' documented headers.
var (
	intercomHeaders = budget.Headers(budget.HeaderSpec{
		Quotas: []budget.QuotaHeaders{{Total: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining",
			Reset: "X-RateLimit-Reset", ResetFormat: budget.ResetUnix, Window: 10 * time.Second}},
		PauseUntilReset: true,
	})
	hubspotHeaders = budget.Headers(budget.HeaderSpec{Quotas: []budget.QuotaHeaders{
		{Total: "X-HubSpot-RateLimit-Max", Remaining: "X-HubSpot-RateLimit-Remaining",
			WindowHeader: "X-HubSpot-RateLimit-Interval-Milliseconds", WindowUnit: time.Millisecond},
		{Total: "X-HubSpot-RateLimit-Daily", Remaining: "X-HubSpot-RateLimit-Daily-Remaining", Window: 24 * time.Hour},
		{Total: "X-HubSpot-RateLimit-Secondly", Remaining: "X-HubSpot-RateLimit-Secondly-Remaining", Window: time.Second},
	}})
	klaviyoHeaders = budget.Headers(budget.HeaderSpec{Quotas: []budget.QuotaHeaders{
		{Total: "RateLimit-Limit", Remaining: "RateLimit-Remaining", Reset: "RateLimit-Reset", Window: time.Minute},
	}})
	fixedMinute = budget.Headers(budget.HeaderSpec{FixedWindow: time.Minute})
	msReset     = budget.Headers(budget.HeaderSpec{
		Quotas:          []budget.QuotaHeaders{{Limit: "ep", Remaining: "X-Left", Reset: "X-Reset-Ms", ResetFormat: budget.ResetMillis}},
		PauseUntilReset: true,
	})
	unixMsReset = budget.Headers(budget.HeaderSpec{
		Quotas: []budget.QuotaHeaders{{Remaining: "X-Left", Reset: "X-Reset-At", ResetFormat: budget.ResetUnixMillis}},
	})
)

func TestHeaderReaders(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 20, 0, time.UTC)
	cases := []struct {
		name   string
		read   budget.HeaderReader
		status int
		h      http.Header
		want   budget.Feedback
	}{
		{"unix reset, 429 pauses until it", intercomHeaders, 429, hdr("X-RateLimit-Limit", "167", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1772366430"),
			budget.Feedback{RetryAfter: 10 * time.Second, Quotas: []budget.Quota{{Total: 167, Remaining: 0, Reset: 10 * time.Second, Window: 10 * time.Second}}}},
		{"unix reset in the past", intercomHeaders, 429, hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1772366400"),
			budget.Feedback{Quotas: []budget.Quota{{Total: -1, Remaining: 0, Window: 10 * time.Second}}}},
		{"retry-after beats reset", intercomHeaders, 429, hdr("Retry-After", "3", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1772366430"),
			budget.Feedback{RetryAfter: 3 * time.Second, Quotas: []budget.Quota{{Total: -1, Remaining: 0, Reset: 10 * time.Second, Window: 10 * time.Second}}}},
		{"window header in ms, several quotas", hubspotHeaders, 200, hdr("X-HubSpot-RateLimit-Max", "190", "X-HubSpot-RateLimit-Remaining", "12", "X-HubSpot-RateLimit-Interval-Milliseconds", "10000", "X-HubSpot-RateLimit-Daily", "625000", "X-HubSpot-RateLimit-Daily-Remaining", "600000"),
			budget.Feedback{Quotas: []budget.Quota{
				{Total: 190, Remaining: 12, Window: 10 * time.Second},
				{Total: 625000, Remaining: 600000, Window: 24 * time.Hour},
			}}},
		{"seconds reset, fixed window", klaviyoHeaders, 200, hdr("RateLimit-Limit", "700", "RateLimit-Remaining", "650", "RateLimit-Reset", "31"),
			budget.Feedback{Quotas: []budget.Quota{{Total: 700, Remaining: 650, Reset: 31 * time.Second, Window: time.Minute}}}},
		{"429 with only retry-after", klaviyoHeaders, 429, hdr("Retry-After", "4"), budget.Feedback{RetryAfter: 4 * time.Second}},
		{"fractional retry-after", klaviyoHeaders, 429, hdr("Retry-After", "0.25"), budget.Feedback{RetryAfter: 250 * time.Millisecond}},
		{"ms reset", msReset, 429, hdr("X-Left", "0", "X-Reset-Ms", "1500"),
			budget.Feedback{RetryAfter: 1500 * time.Millisecond, Quotas: []budget.Quota{{Limit: "ep", Total: -1, Remaining: 0, Reset: 1500 * time.Millisecond}}}},
		{"unix ms reset", unixMsReset, 200, hdr("X-Left", "5", "X-Reset-At", "1772366422500"),
			budget.Feedback{Quotas: []budget.Quota{{Total: -1, Remaining: 5, Reset: 2500 * time.Millisecond}}}},
		{"huge reset capped", klaviyoHeaders, 200, hdr("RateLimit-Remaining", "1", "RateLimit-Reset", "999999999"),
			budget.Feedback{Quotas: []budget.Quota{{Total: -1, Remaining: 1, Reset: transport.MaxRetryAfter, Window: time.Minute}}}},
		{"garbage remaining: no report", klaviyoHeaders, 200, hdr("RateLimit-Limit", "700", "RateLimit-Remaining", "many"), budget.Feedback{}},
		{"ietf list value", budget.IETFHeaders, 200, hdr("RateLimit-Limit", "100, 100;w=60", "RateLimit-Remaining", "50"),
			budget.Feedback{Quotas: []budget.Quota{{Total: 100, Remaining: 50}}}},
		{"fixed window 429 next minute", fixedMinute, 429, hdr("Content-Type", "text/plain"), budget.Feedback{RetryAfter: 40 * time.Second}},
		{"fixed window 503 no pause", fixedMinute, 503, hdr(), budget.Feedback{}},
		{"fixed window ok", fixedMinute, 200, hdr(), budget.Feedback{}},
		{"http-date", budget.RetryAfterHeaders, 429, hdr("Retry-After", "Sun, 01 Mar 2026 12:00:25 GMT"), budget.Feedback{RetryAfter: 5 * time.Second}},
		{"default", budget.RetryAfterHeaders, 503, hdr("Retry-After", "2"), budget.Feedback{RetryAfter: 2 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.read(tc.status, tc.h, now)
			require.Empty(t, cmp.Diff(tc.want, got, cmpopts.EquateEmpty()))
		})
	}
}

// The budget and the transport read one Retry-After the same way: one 429
// never yields two different waits.
func TestRetryAfterSameAsTransport(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, v := range []string{
		"0", "7", " 5 ", "0.05", "1.5", "2.0000001", "120",
		"Sun, 01 Mar 2026 12:01:00 GMT", "Sun, 01 Mar 2026 11:00:00 GMT", "Sun, 01 Mar 2099 11:00:00 GMT",
		"99999999", "99999999999999999999999", "86400.5",
		"-1", "-0.5", "+3", "1e3", "NaN", "Inf", ".5", "5.", "0x10", "soon", "", "1,5",
	} {
		h := http.Header{}
		h.Set("Retry-After", v)
		want, ok := transport.ParseRetryAfter(&http.Response{Header: h}, now)
		got := budget.RetryAfterHeaders(http.StatusTooManyRequests, h, now).RetryAfter
		require.Equal(t, want, got, "%q", v)
		if !ok {
			require.Zero(t, got, "%q", v)
		}
	}
}

func FuzzHeaderReaders(f *testing.F) {
	f.Add("Retry-After", "12", "0")
	f.Add("RateLimit-Limit", "100, 100;w=60", "")
	f.Add("X-RateLimit-Reset", "99999999999999999999", "-3")
	f.Add("X-Reset-At", "99999999999999999", "1")
	f.Fuzz(func(t *testing.T, k, v, remaining string) {
		h := http.Header{}
		h.Set(k, v)
		for _, name := range []string{"X-RateLimit-Remaining", "X-HubSpot-RateLimit-Remaining", "RateLimit-Remaining", "X-Left"} {
			h.Set(name, remaining)
		}
		now := time.Now()
		for _, r := range []budget.HeaderReader{budget.RetryAfterHeaders, budget.IETFHeaders, intercomHeaders,
			hubspotHeaders, klaviyoHeaders, fixedMinute, msReset, unixMsReset} {
			fb := r(429, h, now)
			if fb.RetryAfter < 0 || fb.RetryAfter > transport.MaxRetryAfter {
				t.Fatalf("negative Retry-After %s", fb.RetryAfter)
			}
			for _, q := range fb.Quotas {
				if q.Remaining < 0 || q.Reset < 0 || q.Reset > transport.MaxRetryAfter || q.Window < 0 {
					t.Fatalf("bad quota %+v", q)
				}
			}
		}
	})
}
