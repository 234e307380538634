// Command timersim measures the conversation lifecycle timers on Redis:
// several replicas (lifecycle.Scheduler on redislifecycle.Store) share a
// large number of pending re-engage timers spread over a window; one
// replica can be killed mid-run (it stops acting at once and leaves the
// timers it claimed leased, as kill -9 would). It reports how late timers
// fired (p50, p99, max), how many fired twice or never, and the Redis and
// Go memory per pending timer.
//
// The last line printed is the summary. On a shared 2-core machine, with
// redis-server 7 on loopback:
//
//	go run ./examples/timersim -replicas 4 -timers 100000 -spread 30s -kill 10s
//	set_in=6s timers=100000 fired=100000 doubles=0 lost=0 p50=0s p99=54ms max=5s late_over_1s=2 redis_bytes_per_timer=255 memory_store_bytes_per_timer=253
//
//	go run ./examples/timersim -replicas 4 -timers 1000000 -spread 60s -lead 150s -kill 20s
//	set_in=1m23s timers=1000000 fired=1000000 doubles=0 lost=0 p50=11ms p99=695ms max=5.071s late_over_1s=47 redis_bytes_per_timer=247 memory_store_bytes_per_timer=256
//
// Timers the killed replica had claimed fire up to one lease (-lease, 5 s)
// late on another replica (late_over_1s counts them); p99 covers all
// timers. Doubles count timers whose action ran twice; lost, timers that
// never fired.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

func main() {
	cfg := Config{}
	redisAddr := os.Getenv(redistest.EnvAddr)
	flag.IntVar(&cfg.Replicas, "replicas", 4, "schedulers sharing the timers")
	flag.IntVar(&cfg.Timers, "timers", 100_000, "pending timers")
	flag.DurationVar(&cfg.Spread, "spread", 30*time.Second, "window the due times are spread over")
	flag.DurationVar(&cfg.Lead, "lead", 15*time.Second, "time from the start to the window (the timers are set meanwhile)")
	flag.DurationVar(&cfg.Kill, "kill", 10*time.Second, "kill one replica this long into the window (0: none)")
	flag.DurationVar(&cfg.Lease, "lease", 5*time.Second, "claim lease")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed of the due times")
	flag.StringVar(&redisAddr, "redis", redisAddr, "Redis address (default $"+redistest.EnvAddr+"; empty starts redis-server from PATH)")
	verbose := flag.Bool("v", false, "log the schedulers' warnings and errors to stderr")
	flag.Parse()
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if redisAddr == "" {
		srv, err := redistest.StartServer()
		if errors.Is(err, exec.ErrNotFound) {
			fmt.Fprintln(os.Stderr, "timersim: needs Redis: set -redis or $"+redistest.EnvAddr+", or put redis-server on PATH")
			os.Exit(2)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "timersim:", err)
			os.Exit(1)
		}
		defer srv.Stop()
		redisAddr = srv.Addr()
	}
	cfg.RedisAddr = redisAddr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "timersim:", err)
		os.Exit(1)
	}
	fmt.Println(res.Line())
}
