package budget_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

func ExampleNewLocal() {
	// A Zendesk Team account: 200 requests per minute, 100 ticket updates.
	b, err := budget.NewLocal("zendesk:acme", budget.ZendeskLimits(budget.ZendeskTeam, budget.ZendeskTicketUpdates),
		budget.WithHeaders(budget.ZendeskHeaders))
	if err != nil {
		panic(err)
	}
	resolve := transport.Call{Method: "PUT", Path: "/api/v2/tickets/42", Priority: transport.PriorityCritical,
		Limits: []string{budget.ZendeskTicketsUpdate}}
	if err := b.Wait(context.Background(), resolve); err != nil {
		panic(err)
	}
	// ... send the request, then report the response:
	b.Observe(resolve, http.StatusOK, http.Header{"X-Rate-Limit-Remaining": {"180"}})
	fmt.Println("resolved")
	// Output: resolved
}

func ExampleWaitError() {
	b, _ := budget.NewLocal("intercom:acme", []budget.Limit{{Count: 10, Window: time.Minute, Burst: 1}})
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

func ExampleNewShared() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	// Four replicas share the HubSpot limits of one portal; if Redis is
	// unreachable each falls back to a quarter of them.
	b, err := budget.NewShared(context.Background(), rdb, "hubspot:12345",
		budget.HubSpotLimits(budget.HubSpotProfessional10s, budget.HubSpotProDaily),
		budget.WithHeaders(budget.HubSpotHeaders),
		budget.WithReplicas(4),
		budget.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	if err != nil {
		fmt.Println("no shared budget:", err)
		return
	}
	_ = b // pass to the transport as its transport.Budget
}

func ExamplePlan() {
	u, err := budget.SeedPlan.Compute()
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.0f requests/month, %.1f RPM, %.1f%% of Zendesk Team\n",
		u.RequestsPerMonth, u.AverageRPM, 100*u.ShareOf(budget.ZendeskTeam))

	// Splitting every message into three parts:
	p := budget.SeedPlan
	p.PartsPerMessage = 3
	u, _ = p.Compute()
	fmt.Printf("%.0f requests/month, %.1f RPM\n", u.RequestsPerMonth, u.AverageRPM)
	// Output:
	// 330000 requests/month, 34.4 RPM, 17.2% of Zendesk Team
	// 690000 requests/month, 71.9 RPM
}

func ExampleZendeskHeaders() {
	h := http.Header{}
	h.Set("Retry-After", "17")
	h.Set("Zendesk-RateLimit-tickets-update", "total=100; remaining=0; resets=17")
	fb := budget.ZendeskHeaders(http.StatusTooManyRequests, h, time.Now())
	fmt.Println(fb.RetryAfter, fb.Quotas[0].Limit, fb.Quotas[0].Remaining)
	// Output: 17s tickets-update 0
}
