package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/lifecycle"
)

// stamped is a helpdesk call with the (bubble) time it was made at.
type stamped struct {
	At   time.Duration // since the test's start
	Call string
}

// recorder records the calls that reach the Fake, with their time.
type recorder struct {
	helpdesk.Helpdesk
	start time.Time
	mu    sync.Mutex
	calls []stamped
	keys  []string // idempotency keys of SendMessage, in order
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, stamped{At: time.Since(r.start), Call: s})
	r.mu.Unlock()
}

func (r *recorder) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	rc, err := r.Helpdesk.SendMessage(ctx, conv, msg)
	r.mu.Lock()
	r.keys = append(r.keys, msg.IdempotencyKey)
	r.mu.Unlock()
	s := "send " + conv.ID + " " + msg.Text
	if msg.Resolve {
		s += " +resolve"
	}
	if err != nil {
		s += " ERR"
	}
	r.add(s)
	return rc, err
}

func (r *recorder) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	err := r.Helpdesk.Resolve(ctx, conv)
	r.add("resolve " + conv.ID)
	return err
}

func (r *recorder) Calls() []stamped {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]stamped(nil), r.calls...)
}

// closer records CloseSolved calls and answers with errs (nil: success).
type closer struct {
	rec  *recorder
	mu   sync.Mutex
	errs []error
}

func (c *closer) CloseSolved(_ context.Context, convs []helpdesk.Conversation) []error {
	out := make([]error, len(convs))
	for i, conv := range convs {
		c.mu.Lock()
		if len(c.errs) > 0 {
			out[i], c.errs = c.errs[0], c.errs[1:]
		}
		c.mu.Unlock()
		c.rec.add("close " + conv.ID)
	}
	return out
}

// seed is the seed's configuration: re-engage after 5 minutes, close 35
// minutes after the follow-up, solved → closed after a day.
func seed(rec *recorder, cl lifecycle.Closer) lifecycle.Config {
	return lifecycle.Config{
		Reengage:    &lifecycle.Reengage{After: 5 * time.Minute, Message: "Still there?"},
		AutoClose:   &lifecycle.AutoClose{After: 35 * time.Minute, Message: "Closing, write again any time."},
		CloseSolved: &lifecycle.CloseSolved{After: 24 * time.Hour, Closer: cl},
		RetryBase:   time.Second,
	}
}

type env struct {
	fake  *helpdesktest.Fake
	rec   *recorder
	cl    *closer
	s     *lifecycle.Scheduler
	bot   helpdesk.Helpdesk
	cfail []*lifecycle.Failure
	mu    sync.Mutex
}

func newEnv(t *testing.T, tweak func(*lifecycle.Config)) *env {
	e := &env{fake: helpdesktest.NewFake()}
	e.rec = &recorder{Helpdesk: e.fake, start: time.Now()}
	e.cl = &closer{rec: e.rec}
	cfg := seed(e.rec, e.cl)
	cfg.OnError = func(_ context.Context, f *lifecycle.Failure) {
		e.mu.Lock()
		e.cfail = append(e.cfail, f)
		e.mu.Unlock()
	}
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := lifecycle.New(e.rec, cfg)
	require.NoError(t, err)
	e.s, e.bot = s, s.Helpdesk()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func (e *env) failures() []*lifecycle.Failure {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*lifecycle.Failure(nil), e.cfail...)
}

func sleepUntil(start time.Time, d time.Duration) {
	time.Sleep(time.Until(start.Add(d)))
	synctest.Wait()
}

func TestSeedScenarioFiresOnTheDot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		ctx := context.Background()
		conv := e.fake.Open("c1", helpdesk.ChannelWebChat)
		_, err := e.bot.SendMessage(ctx, conv, helpdesk.Message{Text: "Here is your answer."})
		require.NoError(t, err)
		sleepUntil(e.rec.start, 24*time.Hour+41*time.Minute)
		want := []stamped{
			{0, "send c1 Here is your answer."},
			{5 * time.Minute, "send c1 Still there?"},
			{40 * time.Minute, "send c1 Closing, write again any time. +resolve"},
			{24*time.Hour + 40*time.Minute, "close c1"},
		}
		require.Empty(t, cmp.Diff(want, e.rec.Calls()))
		fc, _ := e.fake.Conversation("c1")
		require.Equal(t, helpdesk.StatusResolved, fc.Status)
	})
}

func TestCustomerMessageResetsAndOthersCancel(t *testing.T) {
	customer := func(conv helpdesk.Conversation) helpdesk.Event {
		return helpdesk.Event{Type: helpdesk.EventMessageCreated, Conversation: conv,
			Message: &helpdesk.InboundMessage{Text: "hm", Public: true, Author: helpdesk.Author{Role: helpdesk.RoleCustomer}}}
	}
	for _, tc := range []struct {
		name  string
		event func(helpdesk.Conversation) helpdesk.Event
		// want is the calls after the bot's answer at 0 and the event at 4 min.
		want []stamped
	}{
		{"customer message, bot answers again", customer, []stamped{
			{4 * time.Minute, "send c1 again"}, {9 * time.Minute, "send c1 Still there?"},
		}},
		{"the bot's own echo is no activity", func(conv helpdesk.Conversation) helpdesk.Event {
			return helpdesk.Event{Type: helpdesk.EventMessageCreated, Conversation: conv,
				Message: &helpdesk.InboundMessage{Text: "x", Public: true, Author: helpdesk.Author{Role: helpdesk.RoleBot, Self: true}}}
		}, []stamped{{5 * time.Minute, "send c1 Still there?"}}},
		{"an agent's public reply cancels", func(conv helpdesk.Conversation) helpdesk.Event {
			return helpdesk.Event{Type: helpdesk.EventMessageCreated, Conversation: conv,
				Message: &helpdesk.InboundMessage{Text: "I'm on it", Public: true, Author: helpdesk.Author{Role: helpdesk.RoleAgent}}}
		}, nil},
		{"an internal note does not", func(conv helpdesk.Conversation) helpdesk.Event {
			return helpdesk.Event{Type: helpdesk.EventMessageCreated, Conversation: conv,
				Message: &helpdesk.InboundMessage{Text: "fyi", Public: false, Author: helpdesk.Author{Role: helpdesk.RoleAgent}}}
		}, []stamped{{5 * time.Minute, "send c1 Still there?"}}},
		{"a handover cancels", func(conv helpdesk.Conversation) helpdesk.Event {
			return helpdesk.Event{Type: helpdesk.EventConversationAssigned, Conversation: conv, Assignment: &helpdesk.Assignment{GroupID: "n2"}}
		}, nil},
		{"an assignment to the bot does not", func(conv helpdesk.Conversation) helpdesk.Event {
			return helpdesk.Event{Type: helpdesk.EventConversationAssigned, Conversation: conv, Assignment: &helpdesk.Assignment{GroupID: "bots", ToBot: true}}
		}, []stamped{{5 * time.Minute, "send c1 Still there?"}}},
		{"someone else resolving cancels", func(conv helpdesk.Conversation) helpdesk.Event {
			return helpdesk.Event{Type: helpdesk.EventStatusChanged, Conversation: conv, Status: &helpdesk.StatusChange{To: helpdesk.StatusResolved}}
		}, nil},
		{"a move to open keeps re-engage", func(conv helpdesk.Conversation) helpdesk.Event {
			return helpdesk.Event{Type: helpdesk.EventStatusChanged, Conversation: conv, Status: &helpdesk.StatusChange{From: helpdesk.StatusNew, To: helpdesk.StatusOpen}}
		}, []stamped{{5 * time.Minute, "send c1 Still there?"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, func(c *lifecycle.Config) { c.AutoClose = nil; c.CloseSolved = nil })
				ctx := context.Background()
				conv := e.fake.Open("c1", helpdesk.ChannelWebChat)
				_, err := e.bot.SendMessage(ctx, conv, helpdesk.Message{Text: "answer"})
				require.NoError(t, err)
				sleepUntil(e.rec.start, 4*time.Minute)
				handler := e.s.Middleware(func(ctx context.Context, ev helpdesk.Event) error {
					if ev.IsCustomerMessage() {
						_, err := e.bot.SendMessage(ctx, ev.Conversation, helpdesk.Message{Text: "again"})
						return err
					}
					return nil
				})
				require.NoError(t, handler(ctx, tc.event(conv)))
				sleepUntil(e.rec.start, time.Hour)
				got := e.rec.Calls()[1:]
				require.Empty(t, cmp.Diff(tc.want, got, cmp.Comparer(func(a, b []stamped) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })))
			})
		})
	}
}

func TestSolvedReopenedByCustomerIsNotClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		ctx := context.Background()
		conv := e.fake.Open("c1", helpdesk.ChannelEmail)
		_, err := e.bot.SendMessage(ctx, conv, helpdesk.Message{Text: "done", Resolve: true})
		require.NoError(t, err)
		// The bot's own resolve comes back as a status change: no effect.
		require.NoError(t, e.s.Observe(ctx, helpdesk.Event{Type: helpdesk.EventStatusChanged, Conversation: conv, Status: &helpdesk.StatusChange{To: helpdesk.StatusResolved}}))
		sleepUntil(e.rec.start, time.Hour)
		// The customer's reply reopens it.
		require.NoError(t, e.s.Observe(ctx, helpdesk.Event{Type: helpdesk.EventStatusChanged, Conversation: conv, Status: &helpdesk.StatusChange{From: helpdesk.StatusResolved, To: helpdesk.StatusOpen}}))
		sleepUntil(e.rec.start, 48*time.Hour)
		require.Equal(t, []stamped{{0, "send c1 done +resolve"}}, e.rec.Calls())
	})
}

func TestFailedActionsRetryThenReport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, func(c *lifecycle.Config) { c.AutoClose = nil; c.MaxAttempts = 3 })
		ctx := context.Background()
		conv := e.fake.Open("c1", helpdesk.ChannelWebChat)
		_, err := e.bot.SendMessage(ctx, conv, helpdesk.Message{Text: "answer"})
		require.NoError(t, err)
		for range 3 {
			e.fake.FailNextWithStatus(helpdesktest.OpSendMessage, http.StatusBadGateway)
		}
		sleepUntil(e.rec.start, time.Hour)
		want := []stamped{
			{0, "send c1 answer"},
			{5 * time.Minute, "send c1 Still there? ERR"},
			{5*time.Minute + time.Second, "send c1 Still there? ERR"},
			{5*time.Minute + 3*time.Second, "send c1 Still there? ERR"},
		}
		require.Empty(t, cmp.Diff(want, e.rec.Calls()))
		f := e.failures()
		require.Len(t, f, 1)
		require.Equal(t, lifecycle.KindReengage, f[0].Kind)
		require.Equal(t, 3, f[0].Attempts)
		var ae *helpdesk.APIError
		require.ErrorAs(t, f[0], &ae)
		require.Equal(t, http.StatusBadGateway, ae.StatusCode)
		// The retries reuse one idempotency key.
		e.rec.mu.Lock()
		keys := e.rec.keys[1:]
		e.rec.mu.Unlock()
		require.Len(t, keys, 3)
		require.Regexp(t, `^lifecycle-[0-9a-f]{16}$`, keys[0])
		require.Equal(t, []string{keys[0], keys[0], keys[0]}, keys)
	})
}

func TestGoneConversationCancelsWithoutReport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		ctx := context.Background()
		conv := e.fake.Open("c1", helpdesk.ChannelWebChat)
		_, err := e.bot.SendMessage(ctx, conv, helpdesk.Message{Text: "answer"})
		require.NoError(t, err)
		e.fake.FailNextWithStatus(helpdesktest.OpSendMessage, http.StatusNotFound)
		sleepUntil(e.rec.start, 48*time.Hour)
		require.Len(t, e.rec.Calls(), 2)
		require.Empty(t, e.failures())
	})
}

func TestCloserFailureIsRetriedPerConversation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.cl.errs = []error{nil, errors.New("job failed"), nil}
		ctx := context.Background()
		a, b := e.fake.Open("a", helpdesk.ChannelEmail), e.fake.Open("b", helpdesk.ChannelEmail)
		require.NoError(t, e.bot.Resolve(ctx, a))
		require.NoError(t, e.bot.Resolve(ctx, b))
		sleepUntil(e.rec.start, 25*time.Hour)
		var closes []string
		for _, c := range e.rec.Calls() {
			if c.Call[:5] == "close" {
				closes = append(closes, c.Call)
			}
		}
		require.ElementsMatch(t, []string{"close a", "close b", "close b"}, closes)
	})
}

func TestBusinessHoursDelayTheTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble starts at 2000-01-01 00:00 UTC, a Saturday.
		bh, err := escalation.CompileHours("UTC", []escalation.Window{{Days: []string{"mon"}, Open: "09:00", Close: "17:00"}})
		require.NoError(t, err)
		e := newEnv(t, func(c *lifecycle.Config) {
			c.AutoClose, c.CloseSolved = nil, nil
			c.Reengage.Hours = bh
		})
		conv := e.fake.Open("c1", helpdesk.ChannelWebChat)
		_, err = e.bot.SendMessage(context.Background(), conv, helpdesk.Message{Text: "answer"})
		require.NoError(t, err)
		sleepUntil(e.rec.start, 3*24*time.Hour)
		calls := e.rec.Calls()
		require.Len(t, calls, 2)
		require.Equal(t, 2*24*time.Hour+9*time.Hour, calls[1].At) // Monday 09:00
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	fake := helpdesktest.NewFake()
	for name, cfg := range map[string]lifecycle.Config{
		"nothing":          {},
		"no message":       {Reengage: &lifecycle.Reengage{After: time.Minute}},
		"no delay":         {AutoClose: &lifecycle.AutoClose{}},
		"closer missing":   {CloseSolved: &lifecycle.CloseSolved{After: time.Hour}},
		"negative batches": {Reengage: &lifecycle.Reengage{After: time.Minute, Message: "x"}, Batch: -1},
	} {
		_, err := lifecycle.New(fake, cfg)
		require.Error(t, err, name)
	}
}

func TestRetriesHonourRetryAfterAndStopOnRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, func(c *lifecycle.Config) { c.AutoClose = nil })
		ctx := context.Background()
		a := e.fake.Open("a", helpdesk.ChannelWebChat)
		_, err := e.bot.SendMessage(ctx, a, helpdesk.Message{Text: "answer"})
		require.NoError(t, err)
		e.fake.FailNextWithStatus(helpdesktest.OpSendMessage, http.StatusTooManyRequests) // Retry-After: 1 minute
		sleepUntil(e.rec.start, time.Hour)
		require.Equal(t, []stamped{
			{0, "send a answer"}, {5 * time.Minute, "send a Still there? ERR"}, {6 * time.Minute, "send a Still there?"},
		}, e.rec.Calls())

		b := e.fake.Open("b", helpdesk.ChannelWebChat)
		_, err = e.bot.SendMessage(ctx, b, helpdesk.Message{Text: "answer"})
		require.NoError(t, err)
		e.fake.FailNext(helpdesktest.OpSendMessage, fmt.Errorf("refused: %w", helpdesk.ErrUnauthorized))
		sleepUntil(e.rec.start, 2*time.Hour)
		require.Len(t, e.rec.Calls(), 5, "no retry after a refusal")
		f := e.failures()
		require.Len(t, f, 1)
		require.Equal(t, 1, f[0].Attempts)
		require.ErrorIs(t, f[0], helpdesk.ErrUnauthorized)
	})
}
