package zendesk_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// seedRun is one run of the help article's scenario (three bot messages
// per ticket, the last resolving it, or in every second ticket a
// hand-over to N2 after them) against a fake Zendesk enforcing a real
// account's limits, with tickets arriving at Overload times the rate the
// limits allow.
type seedRun struct {
	// Limits the fake enforces (zendesktest.ZendeskLimits(600): 600/min
	// account-wide, Update Ticket 100/min, 30 per ticket per 10 min).
	Limits zendesktest.Limits
	// Duration of the run; a whole number of the fake's windows compares
	// like with like, as the windows start with the run.
	Duration time.Duration
	// Overload is the offered rate as a multiple of the allowed one.
	Overload float64
	// Budgeted uses the driver's default options; otherwise NoBudget with
	// retries of 429s (honouring Retry-After) until the run ends.
	Budgeted bool
}

type seedResult struct {
	Arrived, Completed, Failed int
	Requests, RateLimited      int
	Log                        string
}

// seedRequestsPerTicket is what the scenario costs on Zendesk tickets
// (BenchmarkTicketScenario measures it): 3 updates, plus one for the
// hand-over in half of the tickets.
const seedRequestsPerTicket = 3.5

func runSeed(tb testing.TB, cfg seedRun) seedResult {
	// The fake's clock starts a window when the run starts, so that both
	// clients see the same windows whatever the wall clock says.
	epoch := time.Now().Truncate(time.Hour).Add(time.Hour)
	var start time.Time
	var startMu sync.Mutex
	now := func() time.Time {
		startMu.Lock()
		defer startMu.Unlock()
		if start.IsZero() {
			return epoch
		}
		return epoch.Add(time.Since(start))
	}
	srv := zendesktest.NewServer(tb, &zendesktest.Options{Now: now, Limits: cfg.Limits})
	var logs bytes.Buffer
	var logMu sync.Mutex
	opts := &zendesk.Options{Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))}
	if !cfg.Budgeted {
		opts.NoBudget, opts.MaxRetries, opts.MaxRetryWait = true, 1000, 2*cfg.Duration
	}
	client, err := zendesk.New(srv.Config(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	allowed := float64(min(cfg.Limits.Account, cfg.Limits.TicketUpdates)) / cfg.Limits.Window.Seconds() / seedRequestsPerTicket
	every := time.Duration(float64(time.Second) / (allowed * cfg.Overload))

	// The run ends by cancellation, not a deadline: a budget refuses at
	// once a wait that would outlast a deadline, which here only means
	// the ticket was still in progress.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := time.AfterFunc(cfg.Duration, cancel)
	defer stop.Stop()
	startMu.Lock()
	start = time.Now()
	startMu.Unlock()
	before := srv.Requests()
	var completed, failed atomic.Int64
	var wg sync.WaitGroup
	tick := time.NewTicker(every)
	defer tick.Stop()
	arrived := 0
	msgs := []string{"Hi! Let me check that for you.", "Your order left the warehouse yesterday.", "Here is the tracking link: https://track.example/1."}
	for ctx.Err() == nil {
		conv := zendesk.TicketConversation("acme", srv.CreateTicket("Order", "Where is my order?"))
		handover := arrived%2 == 1
		arrived++
		wg.Add(1)
		// One goroutine per ticket, as the webhook handler's synchronous
		// mode runs one per delivery.
		go func() {
			defer wg.Done()
			err := func() error {
				for j, text := range msgs {
					final := j == len(msgs)-1
					if _, err := client.SendMessage(ctx, conv, helpdesk.Message{Text: text, Resolve: final && !handover}); err != nil {
						return err
					}
				}
				if handover {
					return client.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200", Notice: "A specialist will take over."})
				}
				return nil
			}()
			switch {
			case err == nil:
				completed.Add(1)
			case ctx.Err() != nil && errors.Is(err, context.Canceled):
				// Still running when the run ended.
			default:
				failed.Add(1)
			}
		}()
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	wg.Wait()
	logMu.Lock()
	defer logMu.Unlock()
	return seedResult{
		Arrived: arrived, Completed: int(completed.Load()), Failed: int(failed.Load()),
		Requests: srv.Requests() - before, RateLimited: srv.RateLimited(), Log: logs.String(),
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// BenchmarkSeedAt3x compares, in one process and over the same minute, the
// driver with its default options (a budget that starts at Team's limits
// and learns the account's from Zendesk's headers) with a client that has
// no budget and retries every 429 after Retry-After, each against its own
// fake Zendesk with a real account's limits (600/min, Update Ticket
// 100/min), while tickets arrive at three times the rate those limits
// allow. It reports tickets completed, vendor 429s and requests per
// completed ticket for both. It takes one minute whatever -benchtime says.
func BenchmarkSeedAt3x(b *testing.B) {
	cfg := seedRun{Limits: zendesktest.ZendeskLimits(600), Duration: time.Minute, Overload: 3}
	cfg.Limits.Window = time.Minute
	var budgeted, bare seedResult
	for b.Loop() {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			c := cfg
			c.Budgeted = true
			budgeted = runSeed(b, c)
		}()
		go func() {
			defer wg.Done()
			bare = runSeed(b, cfg)
		}()
		wg.Wait()
	}
	for _, line := range strings.Split(strings.TrimSpace(budgeted.Log), "\n") {
		if strings.Contains(line, "learned") {
			b.Log(line)
		}
	}
	b.Logf("budgeted: %+v", budgeted.withoutLog())
	b.Logf("bare:     %+v", bare.withoutLog())
	b.ReportMetric(float64(budgeted.Completed), "tickets(budget)")
	b.ReportMetric(float64(bare.Completed), "tickets(retry)")
	b.ReportMetric(float64(budgeted.RateLimited), "429s(budget)")
	b.ReportMetric(float64(bare.RateLimited), "429s(retry)")
	b.ReportMetric(perTicket(budgeted), "req/ticket(budget)")
	b.ReportMetric(perTicket(bare), "req/ticket(retry)")
	if budgeted.RateLimited != 0 || budgeted.Completed < bare.Completed {
		b.Errorf("the budgeted driver must complete at least as many tickets with no 429: budgeted %+v, retrying %+v", budgeted.withoutLog(), bare.withoutLog())
	}
}

func (r seedResult) withoutLog() seedResult { r.Log = ""; return r }

func perTicket(r seedResult) float64 {
	if r.Completed == 0 {
		return 0
	}
	return float64(r.Requests) / float64(r.Completed)
}

// TestSeedAt3xShortWindows is BenchmarkSeedAt3x in brief: the fake's
// windows last 5 s instead of a minute (the budget learns them from the
// headers' resets), over two windows.
func TestSeedAt3xShortWindows(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 5 s windows")
	}
	cfg := seedRun{Limits: zendesktest.Limits{Account: 60, TicketUpdates: 14, Window: 5 * time.Second}, Duration: 10 * time.Second, Overload: 3}
	var budgeted, bare seedResult
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		c := cfg
		c.Budgeted = true
		budgeted = runSeed(t, c)
	}()
	go func() {
		defer wg.Done()
		bare = runSeed(t, cfg)
	}()
	wg.Wait()
	t.Logf("budgeted: %+v", budgeted.withoutLog())
	t.Logf("bare:     %+v", bare.withoutLog())
	require.Zero(t, budgeted.RateLimited, "the budgeted driver gets no 429")
	require.Positive(t, bare.RateLimited, "the load is above the limits")
	// Over two short windows a run that ends just after a third window
	// opens lets the retrying client, which sends the moment it may,
	// finish one ticket more: one ticket of slack for that edge (the
	// one-minute benchmark compares them exactly).
	require.GreaterOrEqual(t, budgeted.Completed, bare.Completed-1)
	require.Zero(t, budgeted.Failed)
}
