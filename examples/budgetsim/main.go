// Command budgetsim measures how well replicas of a service share a vendor
// rate limit. A fake vendor on loopback enforces a fixed-window limit with
// 429 + Retry-After; several replicas, each with its own budget and Redis
// client, offer a multiple of the allowed demand, mixing critical calls
// (resolve, reassign) and normal message parts that may wait at most
// -normal-max-wait before the bot merges them.
//
// The last line printed is the summary, e.g.
//
//	utilization=0.98 rejected=0 critical_p99=120ms normal_p99=2s
//
// where utilization is the requests the vendor accepted divided by what its
// limit allows over the run. -naive gives every replica its own full-rate
// x/time/rate limiter instead, for comparison.
//
//	go run ./examples/budgetsim -replicas 4 -demand 3 -duration 30s -limit 600
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

func main() {
	cfg := Config{Window: time.Minute, Seed: 1}
	var naive bool
	redisAddr := os.Getenv(redistest.EnvAddr)
	flag.IntVar(&cfg.Replicas, "replicas", 4, "number of replicas sharing the vendor limit")
	flag.DurationVar(&cfg.Duration, "duration", 30*time.Second, "length of the run")
	flag.IntVar(&cfg.Limit, "limit", 600, "vendor limit: requests per -window")
	flag.IntVar(&cfg.BudgetLimit, "budget-limit", 0, "limit the budgets are configured with (default -limit); set it higher to exercise 429 recovery")
	flag.DurationVar(&cfg.Window, "window", time.Minute, "vendor window (fixed, aligned to the clock)")
	flag.Float64Var(&cfg.Demand, "demand", 3, "offered load as a multiple of the limit")
	flag.Float64Var(&cfg.CriticalShare, "critical", 0.2, "share of calls that are critical (resolve, reassign)")
	flag.DurationVar(&cfg.NormalMaxWait, "normal-max-wait", 2*time.Second, "longest a message part waits before it is merged instead")
	flag.DurationVar(&cfg.Latency, "latency", 20*time.Millisecond, "vendor processing time per request")
	flag.BoolVar(&naive, "naive", false, "each replica uses its own x/time/rate limiter at the full rate")
	flag.StringVar(&redisAddr, "redis", redisAddr, "Redis address (default $"+redistest.EnvAddr+"; empty starts redis-server from PATH, or falls back to one in-process budget)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed for the arrival process")
	flag.Parse()

	if naive {
		cfg.Setup = Naive
	} else if redisAddr == "" {
		srv, err := redistest.StartServer()
		switch {
		case err == nil:
			defer srv.Stop()
			redisAddr = srv.Addr()
			fmt.Printf("note: started redis-server on %s\n", redisAddr)
		case errors.Is(err, exec.ErrNotFound):
			fmt.Println("note: no Redis (set -redis or $" + redistest.EnvAddr + ", or put redis-server on PATH): the replicas share one in-process budget")
		default:
			fmt.Fprintln(os.Stderr, "budgetsim:", err)
			os.Exit(1)
		}
	}
	cfg.RedisAddr = redisAddr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	setup := "shared budget on Redis " + cfg.RedisAddr
	switch {
	case naive:
		setup = "naive: a full-rate x/time/rate limiter per replica"
	case cfg.RedisAddr == "":
		setup = "shared in-process budget"
	}
	fmt.Printf("%s; %d replicas, %.1fx demand (%.0f%% critical) for %s against %d per %s\n",
		setup, cfg.Replicas, cfg.Demand, cfg.CriticalShare*100, cfg.Duration, cfg.Limit, cfg.Window)
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "budgetsim:", err)
		os.Exit(1)
	}
	fmt.Printf("accepted=%d allowed=%.0f sent_critical=%d sent_normal=%d merged_normal=%d failed=%d redis_fallbacks=%d\n",
		res.Accepted, res.Allowed, res.Critical, res.Normal, res.Deferred, res.Failed, res.Fallbacks)
	fmt.Println(res.Line())
}
