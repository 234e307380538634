package budget_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

func ExampleNewLocal() {
	// An account limit of 200 requests per minute, and an endpoint limit of
	// 100 ticket updates per minute that only ticket updates draw on. A
	// driver keeps such limits (and its header reader) in its limits.go.
	limits := []budget.Limit{
		{Name: "account", Count: 200, Window: time.Minute},
		{Name: "tickets-update", PerEndpoint: true, Count: 100, Window: time.Minute},
	}
	b, err := budget.NewLocal("helpdesk:acme", limits, budget.WithHeaders(budget.IETFHeaders))
	if err != nil {
		panic(err)
	}
	resolve := transport.Call{Method: "PUT", Path: "/api/v2/tickets/42", Priority: transport.PriorityCritical,
		Limits: []string{"tickets-update"}}
	if err := b.Wait(context.Background(), resolve); err != nil {
		panic(err)
	}
	// ... send the request, then report the response:
	b.Observe(resolve, http.StatusOK, http.Header{"Ratelimit-Remaining": {"180"}})
	fmt.Println("resolved")
	// Output: resolved
}

func ExampleWaitError() {
	b, _ := budget.NewLocal("helpdesk:acme", []budget.Limit{{Count: 10, Window: time.Minute, Burst: 1}})
	part := transport.Call{Method: "POST", Path: "/conversations/1/reply", MaxWait: time.Second}
	_ = b.Wait(context.Background(), part) // spends the burst

	err := b.Wait(context.Background(), part)
	var we *budget.WaitError
	if errors.Is(err, helpdesk.ErrRateLimited) && errors.As(err, &we) {
		// Rather than queue, merge this part into the next message.
		fmt.Printf("would wait %s: merging\n", we.Wait.Round(time.Second))
	}
	// Output: would wait 7s: merging
}

func ExamplePlan() {
	u, err := budget.SeedPlan.Compute()
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.0f requests/month, %.1f RPM, %.1f%% of a 200 RPM plan\n",
		u.RequestsPerMonth, u.AverageRPM, 100*u.ShareOf(200))

	// Splitting every message into three parts:
	p := budget.SeedPlan
	p.PartsPerMessage = 3
	u, _ = p.Compute()
	fmt.Printf("%.0f requests/month, %.1f RPM\n", u.RequestsPerMonth, u.AverageRPM)
	// Output:
	// 330000 requests/month, 34.4 RPM, 17.2% of a 200 RPM plan
	// 690000 requests/month, 71.9 RPM
}

// A driver describes its vendor's rate-limit headers and gets a
// HeaderReader; these few lines are all a driver's limits.go needs.
func ExampleHeaders() {
	// A count per 10-second window, the reset as a Unix time, and no
	// Retry-After: a 429 pauses until the reset.
	unixReset := budget.Headers(budget.HeaderSpec{
		Quotas: []budget.QuotaHeaders{{Total: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining",
			Reset: "X-RateLimit-Reset", ResetFormat: budget.ResetUnix, Window: 10 * time.Second}},
		PauseUntilReset: true,
	})
	// A rolling window whose length comes in milliseconds, plus a daily cap.
	rolling := budget.Headers(budget.HeaderSpec{Quotas: []budget.QuotaHeaders{
		{Total: "X-HubSpot-RateLimit-Max", Remaining: "X-HubSpot-RateLimit-Remaining",
			WindowHeader: "X-HubSpot-RateLimit-Interval-Milliseconds", WindowUnit: time.Millisecond},
		{Total: "X-HubSpot-RateLimit-Daily", Remaining: "X-HubSpot-RateLimit-Daily-Remaining", Window: 24 * time.Hour},
	}})
	// The IETF fields over a one-minute window.
	ietfMinute := budget.Headers(budget.HeaderSpec{Quotas: []budget.QuotaHeaders{
		{Total: "RateLimit-Limit", Remaining: "RateLimit-Remaining", Reset: "RateLimit-Reset", Window: time.Minute},
	}})

	now := time.Unix(1_772_366_420, 0)
	fb := unixReset(http.StatusTooManyRequests, http.Header{
		"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1772366430"}}, now)
	fmt.Println(fb.RetryAfter, fb.Quotas[0].Remaining)
	fb = rolling(http.StatusOK, http.Header{
		"X-Hubspot-Ratelimit-Remaining": {"12"}, "X-Hubspot-Ratelimit-Interval-Milliseconds": {"10000"}}, now)
	fmt.Println(fb.Quotas[0].Remaining, fb.Quotas[0].Window)
	fb = ietfMinute(http.StatusTooManyRequests, http.Header{"Retry-After": {"4"}}, now)
	fmt.Println(fb.RetryAfter)
	// Output:
	// 10s 0
	// 12 10s
	// 4s
}
