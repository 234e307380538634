package redisbudget_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
)

func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	// Four replicas share one account's limits (a driver's limits and
	// header reader in real use); if Redis is unreachable each falls back
	// to a quarter of them.
	limits := []budget.Limit{
		{Name: "10s", Count: 190, Window: 10 * time.Second},
		{Name: "daily", Count: 625_000, Window: 24 * time.Hour},
	}
	b, err := redisbudget.New(context.Background(), rdb, "hubspot:12345", limits,
		budget.WithHeaders(budget.IETFHeaders),
		budget.WithReplicas(4),
		budget.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	if err != nil {
		fmt.Println("no shared budget:", err)
		return
	}
	_ = b // pass to the driver's Options.Budget
}
