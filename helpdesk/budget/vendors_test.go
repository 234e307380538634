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

// Tests of the deprecated vendor readers, deleted with them.
func TestDeprecatedVendorReaders(t *testing.T) {
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
		{"chatwoot 429 next minute", budget.ChatwootHeaders, 429, hdr("Content-Type", "text/plain"), budget.Feedback{RetryAfter: 40 * time.Second}},
		{"chatwoot ok", budget.ChatwootHeaders, 200, hdr(), budget.Feedback{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Empty(t, cmp.Diff(tc.want, tc.read(tc.status, tc.h, now), cmpopts.EquateEmpty()))
		})
	}
}
