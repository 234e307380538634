package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Setup selects how the replicas pace their calls.
type Setup int

const (
	// Shared: every replica has its own budget.Shared on one Redis (or,
	// without Redis, all replicas share one in-process budget).
	Shared Setup = iota
	// Naive: every replica has its own x/time/rate limiter at the full
	// vendor rate, with no feedback from responses.
	Naive
)

// Config describes one simulation run.
type Config struct {
	Replicas int
	Duration time.Duration
	// Limit requests per Window, enforced by the fake vendor in fixed
	// windows, like rack-attack or Klaviyo. The windows start when the
	// simulated vendor starts, so a run shorter than a window sits in one
	// window and results do not depend on where the wall clock's minute
	// boundary falls.
	Limit  int
	Window time.Duration
	// BudgetLimit is the limit the budgets are configured with; zero means
	// Limit. Set it above Limit to watch the budgets recover from 429s
	// (other apps or human agents spending the same limit look like this).
	BudgetLimit int
	// Demand is the offered load as a multiple of the limit.
	Demand float64
	// CriticalShare is the fraction of calls that are critical (resolve,
	// reassign); the rest are normal message parts.
	CriticalShare float64
	// NormalMaxWait is how long a message part may wait before the bot
	// merges it into the next one instead (transport.Call.MaxWait).
	NormalMaxWait time.Duration
	// Latency is the vendor's processing time per request.
	Latency time.Duration
	Setup   Setup
	// RedisAddr is the Redis for the shared setup; empty means one
	// in-process budget shared by all replicas.
	RedisAddr string
	Seed      uint64
}

// Result is what a run measured.
type Result struct {
	Accepted int64 // requests the vendor served
	Rejected int64 // requests the vendor answered with 429
	Deferred int64 // normal calls refused by the budget (merged by the bot)
	Failed   int64 // calls that got no HTTP response
	// Fallbacks counts switches of a replica to its local fallback budget
	// because Redis did not answer in time.
	Fallbacks int64
	Critical  int64 // critical calls sent
	Normal    int64 // normal calls sent
	// Allowed is what the vendor limit allows over the run.
	Allowed     float64
	Utilization float64
	CriticalP99 time.Duration
	NormalP99   time.Duration
}

// Line formats the result's summary line.
func (r Result) Line() string {
	return fmt.Sprintf("utilization=%.2f rejected=%d critical_p99=%s normal_p99=%s",
		r.Utilization, r.Rejected, fmtDur(r.CriticalP99), fmtDur(r.NormalP99))
}

func fmtDur(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// vendor is a fake helpdesk API enforcing Limit per fixed Window.
type vendor struct {
	limit    int
	window   time.Duration
	latency  time.Duration
	epoch    time.Time // start of window 0
	mu       sync.Mutex
	cur      int64 // index of the current window
	count    int
	accepted atomic.Int64
	rejected atomic.Int64
	open     atomic.Bool
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	k := int64(now.Sub(v.epoch) / v.window)
	v.mu.Lock()
	if k != v.cur {
		v.cur, v.count = k, 0
	}
	ok := v.count < v.limit
	if ok {
		v.count++
	}
	v.mu.Unlock()
	if !ok {
		if v.open.Load() {
			v.rejected.Add(1)
		}
		reset := v.epoch.Add(time.Duration(k+1) * v.window).Sub(now)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(reset.Seconds()))))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("Retry later\n"))
		return
	}
	if v.open.Load() {
		v.accepted.Add(1)
	}
	if v.latency > 0 {
		t := time.NewTimer(v.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	w.WriteHeader(http.StatusOK)
}

// Run runs the simulation: Replicas goroutine groups, each with its own
// budget (and Redis client), offer Demand × the limit in a Poisson stream of
// calls for Duration against a fake vendor on loopback.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Replicas < 1 || cfg.Duration <= 0 || cfg.Limit < 1 || cfg.Window <= 0 || cfg.Demand <= 0 {
		return Result{}, errors.New("budgetsim: replicas, duration, limit, window and demand must be positive")
	}
	if cfg.CriticalShare < 0 || cfg.CriticalShare > 1 {
		return Result{}, errors.New("budgetsim: critical share must be in [0, 1]")
	}
	v := &vendor{limit: cfg.Limit, window: cfg.Window, latency: cfg.Latency, epoch: time.Now()}
	srv := httptest.NewServer(v)
	defer srv.Close()

	granted := cfg.Limit
	if cfg.BudgetLimit > 0 {
		granted = cfg.BudgetLimit
	}
	limits := []budget.Limit{{Name: "account", Count: granted, Window: cfg.Window}}
	budgets := make([]transport.Budget, cfg.Replicas)
	account := fmt.Sprintf("budgetsim-%d", time.Now().UnixNano())
	var local *budget.Local
	fallbacks := &countWarnings{}
	logger := slog.New(fallbacks)
	for i := range budgets {
		switch {
		case cfg.Setup == Naive:
			bk := limits[0]
			budgets[i] = &naive{lim: rate.NewLimiter(rate.Limit(float64(bk.Count)/cfg.Window.Seconds()), budget.DefaultBurst(bk.Count))}
		case cfg.RedisAddr != "":
			c := redis.NewClient(&redis.Options{Addr: cfg.RedisAddr})
			defer c.Close()
			b, err := redisbudget.New(ctx, c, account, limits, budget.WithReplicas(cfg.Replicas), budget.WithHeaders(fixedMinute), budget.WithLogger(logger))
			if err != nil {
				return Result{}, err
			}
			budgets[i] = b
		default:
			if local == nil {
				var err error
				if local, err = budget.NewLocal(account, limits, budget.WithHeaders(fixedMinute)); err != nil {
					return Result{}, err
				}
			}
			budgets[i] = local
		}
	}

	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		mu        sync.Mutex
		critLat   []time.Duration
		normLat   []time.Duration
		deferred  atomic.Int64
		failed    atomic.Int64
		wg        sync.WaitGroup
		perSecond = cfg.Demand * float64(cfg.Limit) / cfg.Window.Seconds() / float64(cfg.Replicas)
	)
	v.open.Store(true)
	start := time.Now()
	for r := range cfg.Replicas {
		b := budgets[r]
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(r)))
		wg.Go(func() {
			defer client.CloseIdleConnections()
			var calls sync.WaitGroup
			defer calls.Wait()
			next := time.Now()
			for {
				next = next.Add(time.Duration(rng.ExpFloat64() / perSecond * float64(time.Second)))
				t := time.NewTimer(time.Until(next))
				select {
				case <-runCtx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				call := transport.Call{Method: "PUT", Path: "/api/v2/tickets/1", Priority: transport.PriorityNormal, MaxWait: cfg.NormalMaxWait}
				if rng.Float64() < cfg.CriticalShare {
					call.Priority, call.MaxWait = transport.PriorityCritical, 0
				}
				calls.Go(func() {
					arrived := time.Now()
					if err := b.Wait(runCtx, call); err != nil {
						if errors.Is(err, helpdesk.ErrRateLimited) && runCtx.Err() == nil {
							deferred.Add(1)
						}
						return
					}
					req, _ := http.NewRequestWithContext(ctx, call.Method, srv.URL+call.Path, nil)
					resp, err := client.Do(req)
					if err != nil {
						failed.Add(1)
						return
					}
					resp.Body.Close()
					b.Observe(call, resp.StatusCode, resp.Header)
					lat := time.Since(arrived)
					mu.Lock()
					if call.Priority == transport.PriorityCritical {
						critLat = append(critLat, lat)
					} else {
						normLat = append(normLat, lat)
					}
					mu.Unlock()
				})
			}
		})
	}
	<-runCtx.Done()
	elapsed := time.Since(start)
	v.open.Store(false)
	wg.Wait()

	res := Result{
		Accepted:  v.accepted.Load(),
		Rejected:  v.rejected.Load(),
		Deferred:  deferred.Load(),
		Failed:    failed.Load(),
		Fallbacks: fallbacks.n.Load(),
		Critical:  int64(len(critLat)),
		Normal:    int64(len(normLat)),
		Allowed:   float64(cfg.Limit) * elapsed.Seconds() / cfg.Window.Seconds(),
	}
	res.Utilization = float64(res.Accepted) / res.Allowed
	res.CriticalP99 = p99(critLat)
	res.NormalP99 = p99(normLat)
	return res, nil
}

// countWarnings is a slog handler counting warnings (the budget logs one
// per switch to its fallback). With BUDGETSIM_DEBUG set it prints them.
type countWarnings struct{ n atomic.Int64 }

func (c *countWarnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (c *countWarnings) Handle(_ context.Context, r slog.Record) error {
	c.n.Add(1)
	if os.Getenv("BUDGETSIM_DEBUG") != "" {
		line := r.Message
		r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
		fmt.Fprintln(os.Stderr, line)
	}
	return nil
}
func (c *countWarnings) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *countWarnings) WithGroup(string) slog.Handler      { return c }

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[int(math.Ceil(0.99*float64(len(d))))-1]
}

// naive is what a service without a shared budget does: a full-rate
// x/time/rate limiter per replica that ignores the vendor's answers.
type naive struct{ lim *rate.Limiter }

func (n *naive) Wait(ctx context.Context, c transport.Call) error {
	r := n.lim.Reserve()
	d := r.Delay()
	if c.MaxWait > 0 && d > c.MaxWait {
		r.Cancel()
		return &budget.WaitError{Wait: d}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

func (n *naive) Observe(transport.Call, int, http.Header) {}

// fixedMinute reads the simulated vendor's answers as Chatwoot's: no
// rate-limit headers, a fixed one-minute window, so a 429 pauses until the
// next minute boundary.
var fixedMinute = budget.Headers(budget.HeaderSpec{FixedWindow: time.Minute})
