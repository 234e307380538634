package zendesk_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/zendesk"
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
		{"429", zendesk.Headers, 429, hdr("Retry-After", "93", "X-Rate-Limit", "700", "X-Rate-Limit-Remaining", "0"),
			budget.Feedback{RetryAfter: 93 * time.Second, Quotas: []budget.Quota{{Total: 700, Remaining: 0}}}},
		{"503 Retry-After", zendesk.Headers, 503, hdr("Retry-After", "2"), budget.Feedback{RetryAfter: 2 * time.Second}},
		{"ratelimit-* preferred", zendesk.Headers, 200, hdr("X-Rate-Limit", "700", "X-Rate-Limit-Remaining", "650", "ratelimit-limit", "700", "ratelimit-remaining", "640", "ratelimit-reset", "40"),
			budget.Feedback{Quotas: []budget.Quota{{Total: 700, Remaining: 640, Reset: 40 * time.Second}}}},
		{"endpoint", zendesk.Headers, 200, hdr("Zendesk-RateLimit-tickets-update", "total=100; remaining=99; resets=47"),
			budget.Feedback{Quotas: []budget.Quota{{Limit: zendesk.LimitTicketsUpdate, Total: 100, Remaining: 99, Reset: 47 * time.Second}}}},
		{"garbage", zendesk.Headers, 200, hdr("Zendesk-RateLimit-tickets-update", "total=x; remaining", "X-Rate-Limit-Remaining", "abc"),
			budget.Feedback{}},
		{"sunshine", zendesk.SunshineHeaders, 429, hdr("Retry-After", "Sun, 01 Mar 2026 12:00:25 GMT"), budget.Feedback{RetryAfter: 5 * time.Second}},
		{"sunshine ok", zendesk.SunshineHeaders, 200, hdr("X-Rate-Limit-Remaining", "3"), budget.Feedback{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.read(tc.status, tc.h, now)
			require.Empty(t, cmp.Diff(tc.want, got, cmpopts.EquateEmpty()))
		})
	}
}

func FuzzHeaders(f *testing.F) {
	f.Add("Retry-After", "12", "total=100; remaining=0; resets=5")
	f.Add("Ratelimit-Remaining", "100, 100;w=60", "")
	f.Add("Retry-After", "99999999999999999999", "remaining=-3")
	f.Fuzz(func(t *testing.T, k, v, zd string) {
		h := http.Header{}
		h.Set(k, v)
		h.Set("Zendesk-RateLimit-x", zd)
		for _, r := range []budget.HeaderReader{zendesk.Headers, zendesk.SunshineHeaders} {
			fb := r(429, h, time.Now())
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

func TestPlanLimitsTable(t *testing.T) {
	got := zendesk.PlanLimits(zendesk.EnterpriseRequestsPerMinute, zendesk.TicketUpdatesPerMinute)
	want := []budget.Limit{
		{Name: "account", Count: 700, Window: time.Minute},
		{Name: "tickets-update", PerEndpoint: true, Count: 100, Window: time.Minute},
	}
	require.Empty(t, cmp.Diff(want, got))
	b, err := zendesk.NewBudget(zendesk.Config{Subdomain: "acme", Plan: zendesk.PlanHighVolume, TicketUpdateShare: 1})
	require.NoError(t, err)
	require.NotNil(t, b)
	require.Equal(t, 300, zendesk.Config{Plan: zendesk.PlanHighVolume, TicketUpdateShare: 1}.Limits()[1].Count)
}
