package drivertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// FaultOptions configures RunFaults.
type FaultOptions struct {
	// Answers is how many multi-part answers are sent (default 20), each
	// of 3 to 5 parts, to a conversation of its own.
	Answers int
	// Rate is the share of API writes that fail (default 0.2), each with
	// one of AllFaults.
	Rate float64
	// Seed makes the faults repeatable.
	Seed uint64
	// Kinds are the faults drawn from (default AllFaults).
	Kinds []Fault
	// Concurrency is how many answers are sent at once (default 8).
	Concurrency int
	// HostRetries is how many times the host retries a failed answer
	// with the same idempotency key (default 5).
	HostRetries int
	// Hold bounds a timeout fault (default 2 s; see FaultPlan.Hold).
	Hold time.Duration
	// Store records reply progress (default a fresh in-memory store).
	Store helpdesk.ReplyStore
}

// FaultReport is what RunFaults found at the fake after every answer.
type FaultReport struct {
	Answers int
	// Complete counts answers whose parts all arrived once, in order.
	Complete int
	// DuplicatedParts counts extra copies of parts; MissingParts parts
	// never posted; OutOfOrder answers whose parts arrived reordered.
	DuplicatedParts, MissingParts, OutOfOrder int
	// Errors counts answers the host gave up on (Reply still failing
	// after HostRetries).
	Errors int
	// Unconfirmed counts the parts the driver could not confirm and did
	// not send again (helpdesk.UnconfirmedPartsError).
	Unconfirmed int
	// Retries counts the host's retries of a failed answer.
	Retries int
}

// String prints the report as the table row.
func (r FaultReport) String() string {
	return fmt.Sprintf("%d/%d answers complete, in order, no duplicates; %d duplicated parts; %d parts never sent; %d out of order; %d errors surfaced; %d parts unconfirmed; %d host retries",
		r.Complete, r.Answers, r.DuplicatedParts, r.MissingParts, r.OutOfOrder, r.Errors, r.Unconfirmed, r.Retries)
}

// RunFaults sends multi-part answers through env.Helpdesk with
// helpdesk.Reply and an idempotency key per answer while the fake fails a
// share of writes (each fault kind, before and after processing), the
// host retrying a failed answer up to HostRetries times, then reads every
// conversation back. env.InjectFaults must be set.
func RunFaults(t *testing.T, env *Env, o FaultOptions) FaultReport {
	t.Helper()
	require.NotNil(t, env.InjectFaults, "Env.InjectFaults is nil")
	if o.Answers <= 0 {
		o.Answers = 20
	}
	if o.Rate <= 0 {
		o.Rate = 0.2
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.HostRetries <= 0 {
		o.HostRetries = 5
	}
	if o.Store == nil {
		o.Store = helpdesk.NewMemoryReplyStore(0)
	}
	convs := make([]helpdesk.Conversation, o.Answers)
	parts := make([][]string, o.Answers)
	for i := range convs {
		convs[i] = env.NewConversation(t)
		n := 3 + i%3
		for j := range n {
			parts[i] = append(parts[i], fmt.Sprintf("Answer %d, part %d of %d.", i+1, j+1, n))
		}
	}
	// 429 and 503 announce a one-second wait: a budget that observes them
	// pauses that long, not the minute it assumes without a header.
	env.InjectFaults(FaultPlan{Rate: o.Rate, Seed: o.Seed, Kinds: o.Kinds, Hold: o.Hold, RetryAfter: time.Second})
	var (
		wg      sync.WaitGroup
		sem     = make(chan struct{}, o.Concurrency)
		mu      sync.Mutex
		report  = FaultReport{Answers: o.Answers}
		lastErr = map[int]error{}
	)
	for i := range convs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			split := helpdesk.SplitterFunc(func(string) ([]string, error) { return parts[i], nil })
			opts := helpdesk.ReplyOptions{Splitter: split, IdempotencyKey: fmt.Sprintf("faults-%d-%d", o.Seed, i), Store: o.Store}
			var err error
			for attempt := 0; attempt <= o.HostRetries; attempt++ {
				if attempt > 0 {
					mu.Lock()
					report.Retries++
					mu.Unlock()
				}
				_, err = helpdesk.Reply(context.Background(), env.Helpdesk, convs[i], "answer", opts)
				var unconfirmed *helpdesk.UnconfirmedPartsError
				if errors.As(err, &unconfirmed) {
					// Complete as far as it can be: a retry returns the
					// same.
					mu.Lock()
					report.Unconfirmed += len(unconfirmed.Parts)
					mu.Unlock()
					return
				}
				if err == nil {
					return
				}
			}
			mu.Lock()
			report.Errors++
			lastErr[i] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	env.InjectFaults(FaultPlan{})
	for i, conv := range convs {
		got := env.State(t, conv).Public
		want := parts[i]
		seen := map[string]int{}
		for _, g := range got {
			seen[g]++
		}
		ok := true
		for _, w := range want {
			switch n := seen[w]; {
			case n == 0:
				report.MissingParts++
				ok = false
			case n > 1:
				report.DuplicatedParts += n - 1
				ok = false
			}
		}
		var mine []string
		for _, g := range got {
			if strings.HasPrefix(g, fmt.Sprintf("Answer %d, ", i+1)) {
				mine = append(mine, g)
			}
		}
		if ok && strings.Join(mine, "\n") != strings.Join(want, "\n") {
			report.OutOfOrder++
			ok = false
		}
		if ok {
			report.Complete++
		}
		if err := lastErr[i]; err != nil {
			t.Logf("answer %d: host gave up: %v", i+1, err)
		}
	}
	return report
}

// testFaults is the conformance scenario: under 35 % of writes failing (few
// answers, to stay within any harness budget),
// every answer arrives once, complete and in order.
func testFaults(t *testing.T, s *suite) {
	if s.InjectFaults == nil {
		t.Skip("the harness's Env has no InjectFaults: wire the fake's VendorServer.InjectFaults to run the fault scenario")
	}
	if s.AtMostOnce {
		r := RunFaults(t, s.Env, FaultOptions{Answers: 8, Rate: 0.35, Seed: 1})
		t.Logf("at most once, every fault kind: %s", r)
		require.Zero(t, r.DuplicatedParts, "a part sent twice by a driver that declares AtMostOnce: %s", r)
		require.Zero(t, r.OutOfOrder, "%s", r)
		r = RunFaults(t, s.Env, FaultOptions{Answers: 8, Rate: 0.35, Seed: 2, Kinds: settleable})
		t.Logf("at most once, faults it can settle: %s", r)
		require.Equal(t, r.Answers, r.Complete, "answers complete, in order, without duplicates: %s", r)
		return
	}
	r := RunFaults(t, s.Env, FaultOptions{Answers: 8, Rate: 0.35, Seed: 1})
	t.Log(r)
	require.Equal(t, r.Answers, r.Complete, "answers complete, in order, without duplicates: %s", r)
	require.Zero(t, r.DuplicatedParts, "%s", r)
	require.Zero(t, r.MissingParts, "%s", r)
}

// settleable are the faults after which a driver that can neither read
// back nor send a key still delivers every part once: refusals it may
// resend, and failures after the vendor processed the write.
var settleable = []Fault{Fault429, Fault500After, Fault503After, FaultTimeoutAfter, FaultResetAfter}
