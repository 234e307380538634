package budget_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestHeaderReaders(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 20, 0, time.UTC)
	cases := []struct {
		name   string
		read   budget.HeaderReader
		status int
		h      http.Header
		want   budget.Feedback
	}{
		{"zendesk 429", budget.ZendeskHeaders, 429, hdr("Retry-After", "93", "X-Rate-Limit", "700", "X-Rate-Limit-Remaining", "0"),
			budget.Feedback{RetryAfter: 93 * time.Second, Quotas: []budget.Quota{{Total: 700, Remaining: 0}}}},
		{"zendesk ratelimit-* preferred", budget.ZendeskHeaders, 200, hdr("X-Rate-Limit", "700", "X-Rate-Limit-Remaining", "650", "ratelimit-limit", "700", "ratelimit-remaining", "640", "ratelimit-reset", "40"),
			budget.Feedback{Quotas: []budget.Quota{{Total: 700, Remaining: 640, Reset: 40 * time.Second}}}},
		{"zendesk endpoint", budget.ZendeskHeaders, 200, hdr("Zendesk-RateLimit-tickets-update", "total=100; remaining=99; resets=47"),
			budget.Feedback{Quotas: []budget.Quota{{Limit: "tickets-update", Total: 100, Remaining: 99, Reset: 47 * time.Second}}}},
		{"zendesk garbage", budget.ZendeskHeaders, 200, hdr("Zendesk-RateLimit-tickets-update", "total=x; remaining", "X-Rate-Limit-Remaining", "abc"),
			budget.Feedback{}},
		{"intercom 429 uses reset", budget.IntercomHeaders, 429, hdr("X-RateLimit-Limit", "167", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1772366430"),
			budget.Feedback{RetryAfter: 10 * time.Second, Quotas: []budget.Quota{{Total: 167, Remaining: 0, Reset: 10 * time.Second, Window: 10 * time.Second}}}},
		{"hubspot", budget.HubSpotHeaders, 200, hdr("X-HubSpot-RateLimit-Max", "190", "X-HubSpot-RateLimit-Remaining", "12", "X-HubSpot-RateLimit-Interval-Milliseconds", "10000", "X-HubSpot-RateLimit-Daily", "625000", "X-HubSpot-RateLimit-Daily-Remaining", "600000"),
			budget.Feedback{Quotas: []budget.Quota{
				{Total: 190, Remaining: 12, Window: 10 * time.Second},
				{Total: 625000, Remaining: 600000, Window: 24 * time.Hour},
			}}},
		{"klaviyo ok", budget.KlaviyoHeaders, 200, hdr("RateLimit-Limit", "700", "RateLimit-Remaining", "650", "RateLimit-Reset", "31"),
			budget.Feedback{Quotas: []budget.Quota{{Total: 700, Remaining: 650, Reset: 31 * time.Second, Window: time.Minute}}}},
		{"klaviyo 429", budget.KlaviyoHeaders, 429, hdr("Retry-After", "4"), budget.Feedback{RetryAfter: 4 * time.Second}},
		{"ietf list value", budget.IETFHeaders, 200, hdr("RateLimit-Limit", "100, 100;w=60", "RateLimit-Remaining", "50"),
			budget.Feedback{Quotas: []budget.Quota{{Total: 100, Remaining: 50}}}},
		{"chatwoot 429 next minute", budget.ChatwootHeaders, 429, hdr("Content-Type", "text/plain"), budget.Feedback{RetryAfter: 40 * time.Second}},
		{"chatwoot ok", budget.ChatwootHeaders, 200, hdr(), budget.Feedback{}},
		{"sunshine", budget.SunshineHeaders, 429, hdr("Retry-After", "Sun, 01 Mar 2026 12:00:25 GMT"), budget.Feedback{RetryAfter: 5 * time.Second}},
		{"default", budget.RetryAfterHeaders, 503, hdr("Retry-After", "2"), budget.Feedback{RetryAfter: 2 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.read(tc.status, tc.h, now)
			require.Empty(t, cmp.Diff(tc.want, got, cmpopts.EquateEmpty()))
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"0": 0, "120": 2 * time.Minute, " 5 ": 5 * time.Second,
		"Sun, 01 Mar 2026 12:01:00 GMT": time.Minute,
		"Sun, 01 Mar 2026 11:00:00 GMT": 0, // in the past
		"99999999":                      24 * time.Hour,
	} {
		got, ok := budget.ParseRetryAfter(v, now)
		require.True(t, ok, v)
		require.Equal(t, want, got, v)
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		_, ok := budget.ParseRetryAfter(v, now)
		require.False(t, ok, v)
	}
}

func FuzzHeaderReaders(f *testing.F) {
	f.Add("Retry-After", "12", "total=100; remaining=0; resets=5")
	f.Add("RateLimit-Limit", "100, 100;w=60", "")
	f.Add("X-RateLimit-Reset", "99999999999999999999", "remaining=-3")
	f.Fuzz(func(t *testing.T, k, v, zd string) {
		h := http.Header{}
		h.Set(k, v)
		h.Set("Zendesk-RateLimit-x", zd)
		now := time.Now()
		for _, r := range []budget.HeaderReader{budget.ZendeskHeaders, budget.IntercomHeaders, budget.HubSpotHeaders,
			budget.KlaviyoHeaders, budget.ChatwootHeaders, budget.SunshineHeaders} {
			fb := r(429, h, now)
			if fb.RetryAfter < 0 {
				t.Fatalf("negative Retry-After %s", fb.RetryAfter)
			}
			for _, q := range fb.Quotas {
				if q.Remaining < 0 || q.Reset < 0 {
					t.Fatalf("bad quota %+v", q)
				}
			}
		}
	})
}
