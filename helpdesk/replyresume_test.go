package helpdesk_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// bodies returns the texts of the bot's messages in conv.
func bodies(t *testing.T, f *helpdesktest.Fake, id string) []string {
	t.Helper()
	c, ok := f.Conversation(id)
	require.True(t, ok)
	var out []string
	for _, m := range c.Messages {
		if m.Author == helpdesk.RoleBot {
			out = append(out, m.Text)
		}
	}
	return out
}

func TestReplyResumesWhereItStopped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		failAt int // 1-based part whose send fails
	}{
		{"first part", 1}, {"second part", 2}, {"last part", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := helpdesktest.NewFake()
			conv := f.Open("1", helpdesk.ChannelWebChat)
			opts := helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "answer-1", Store: helpdesk.NewMemoryReplyStore(0)}
			_, err := f.SendMessage(context.Background(), conv, helpdesk.Message{Text: "warm-up"})
			require.NoError(t, err)
			h := &failNth{Helpdesk: f, n: tc.failAt}
			rc, err := helpdesk.Reply(context.Background(), h, conv, "x", opts)
			var pe *helpdesk.PartialSendError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.failAt-1, pe.Delivered)
			require.Len(t, rc, tc.failAt-1)

			rc, err = helpdesk.Reply(context.Background(), f, conv, "x", opts)
			require.NoError(t, err)
			require.Len(t, rc, 3, "receipts of the earlier call's parts too")
			require.Equal(t, []string{"warm-up", "one", "two", "three"}, bodies(t, f, "1"))

			before := f.Requests()
			rc, err = helpdesk.Reply(context.Background(), f, conv, "x", opts)
			require.NoError(t, err, "a complete reply answers again without sending")
			require.Len(t, rc, 3)
			require.Equal(t, before, f.Requests())
		})
	}
}

func TestReplyResumesTheResolveAndTheHandover(t *testing.T) {
	noRWM := helpdesk.AllCapabilities &^ helpdesk.Capabilities(helpdesk.CapResolveWithMessage|helpdesk.CapReassignWithMessage)
	t.Run("resolve", func(t *testing.T) {
		f := helpdesktest.NewFake(helpdesktest.WithCapabilities(noRWM))
		conv := f.Open("1", helpdesk.ChannelWebChat)
		opts := helpdesk.ReplyOptions{Splitter: threeParts, Resolve: true, IdempotencyKey: "k", Store: helpdesk.NewMemoryReplyStore(0)}
		f.FailNextWithStatus(helpdesktest.OpResolve, http.StatusServiceUnavailable)
		_, err := helpdesk.Reply(context.Background(), f, conv, "x", opts)
		var ra *helpdesk.ResolveAfterReplyError
		require.ErrorAs(t, err, &ra)
		sent := f.Requests()
		rc, err := helpdesk.Reply(context.Background(), f, conv, "x", opts)
		require.NoError(t, err)
		require.Equal(t, sent+1, f.Requests(), "only the resolve again")
		require.True(t, rc[2].Resolved)
		require.Equal(t, []string{"one", "two", "three"}, bodies(t, f, "1"))
		c, _ := f.Conversation("1")
		require.Equal(t, helpdesk.StatusResolved, c.Status)
	})
	t.Run("handover", func(t *testing.T) {
		f := helpdesktest.NewFake(helpdesktest.WithCapabilities(noRWM))
		conv := f.Open("1", helpdesk.ChannelWebChat)
		opts := helpdesk.ReplyOptions{Splitter: threeParts, Handover: &helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2"},
			IdempotencyKey: "k", Store: helpdesk.NewMemoryReplyStore(0)}
		f.FailNextWithStatus(helpdesktest.OpReassign, http.StatusServiceUnavailable)
		_, err := helpdesk.Reply(context.Background(), f, conv, "x", opts)
		var he *helpdesk.HandoverAfterReplyError
		require.ErrorAs(t, err, &he)
		sent := f.Requests()
		_, err = helpdesk.Reply(context.Background(), f, conv, "x", opts)
		require.NoError(t, err)
		require.Equal(t, sent+1, f.Requests(), "only the handover again")
		c, _ := f.Conversation("1")
		require.Equal(t, "n2", c.GroupID)
		require.Equal(t, []string{"one", "two", "three"}, bodies(t, f, "1"))
	})
}

func TestReplyRefusesAKeyReusedForAnotherText(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	store := helpdesk.NewMemoryReplyStore(0)
	_, err := helpdesk.Reply(context.Background(), f, conv, "first", helpdesk.ReplyOptions{IdempotencyKey: "k", Store: store})
	require.NoError(t, err)
	_, err = helpdesk.Reply(context.Background(), f, conv, "second", helpdesk.ReplyOptions{IdempotencyKey: "k", Store: store})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	other := f.Open("2", helpdesk.ChannelWebChat)
	_, err = helpdesk.Reply(context.Background(), f, other, "second", helpdesk.ReplyOptions{IdempotencyKey: "k", Store: store})
	require.NoError(t, err, "keys are per conversation")
	require.Equal(t, []string{"first"}, bodies(t, f, "1"))
}

// failNth fails its n-th SendMessage before it reaches the vendor.
type failNth struct {
	helpdesk.Helpdesk
	n, calls int
}

func (h *failNth) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	h.calls++
	if h.calls == h.n {
		return nil, helpdesktest.StatusError(http.StatusServiceUnavailable)
	}
	return h.Helpdesk.SendMessage(ctx, conv, msg)
}

// blockingHelpdesk holds SendMessage until release is closed.
type blockingHelpdesk struct {
	helpdesk.Helpdesk
	entered chan struct{}
	release chan struct{}
}

func (b *blockingHelpdesk) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Helpdesk.SendMessage(ctx, conv, msg)
}

func TestReplyHoldsItsKeyAgainstAConcurrentRetry(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	b := &blockingHelpdesk{Helpdesk: f, entered: make(chan struct{}, 1), release: make(chan struct{})}
	store := helpdesk.NewMemoryReplyStore(0)
	opts := helpdesk.ReplyOptions{IdempotencyKey: "k", Store: store}
	done := make(chan error, 1)
	go func() {
		_, err := helpdesk.Reply(context.Background(), b, conv, "x", opts)
		done <- err
	}()
	<-b.entered
	_, err := helpdesk.Reply(context.Background(), f, conv, "x", opts)
	require.ErrorIs(t, err, helpdesk.ErrReplyInProgress)
	close(b.release)
	require.NoError(t, <-done)
	_, err = helpdesk.Reply(context.Background(), f, conv, "x", opts)
	require.NoError(t, err)
	require.Equal(t, []string{"x"}, bodies(t, f, "1"))
}

// flakyHelpdesk fails a share of sends before they reach the vendor.
type flakyHelpdesk struct {
	helpdesk.Helpdesk
	mu  sync.Mutex
	rnd *rand.Rand
}

func (h *flakyHelpdesk) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	h.mu.Lock()
	fail := h.rnd.IntN(5) == 0
	h.mu.Unlock()
	if fail {
		return nil, helpdesktest.StatusError(http.StatusServiceUnavailable)
	}
	return h.Helpdesk.SendMessage(ctx, conv, msg)
}

func TestReplyRetriedByTheHostNeverDuplicatesNorReorders(t *testing.T) {
	f := helpdesktest.NewFake()
	h := &flakyHelpdesk{Helpdesk: f, rnd: rand.New(rand.NewPCG(1, 2))}
	store := helpdesk.NewMemoryReplyStore(0)
	var wg sync.WaitGroup
	for a := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint(a)
			conv := f.Open(id, helpdesk.ChannelWebChat)
			parts := []string{id + "-1", id + "-2", id + "-3", id + "-4"}
			split := helpdesk.SplitterFunc(func(string) ([]string, error) { return parts, nil })
			var err error
			for range 20 {
				if _, err = helpdesk.Reply(context.Background(), h, conv, id, helpdesk.ReplyOptions{Splitter: split, IdempotencyKey: "a" + id, Store: store}); err == nil {
					break
				}
				require.False(t, errors.Is(err, helpdesk.ErrReplyInProgress))
			}
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	for a := range 50 {
		id := fmt.Sprint(a)
		want := []string{id + "-1", id + "-2", id + "-3", id + "-4"}
		if d := cmp.Diff(want, bodies(t, f, id)); d != "" {
			t.Fatalf("answer %s (-want +got):\n%s", id, d)
		}
	}
}

// recording remembers the messages it was asked to send.
type recording struct {
	helpdesk.Helpdesk
	mu   sync.Mutex
	msgs []helpdesk.Message
}

func (r *recording) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg)
	r.mu.Unlock()
	return r.Helpdesk.SendMessage(ctx, conv, msg)
}

// A part whose send failed is recorded with the time of its first failed
// attempt (ReplyProgress.FailedAt, in the shared store), and the retry,
// from any process, passes it to the driver as Message.EarlierAttempt for
// that part only, so a driver that reads back looks for it before posting.
func TestReplyPassesTheEarlierAttemptOfAFailedPart(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	store := helpdesk.NewMemoryReplyStore(0)
	opts := helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "answer-1", Store: store}
	before := time.Now()
	first := &recording{Helpdesk: &failNth{Helpdesk: f, n: 2}}
	_, err := helpdesk.Reply(context.Background(), first, conv, "x", opts)
	require.Error(t, err)
	for _, m := range first.msgs {
		require.True(t, m.EarlierAttempt.IsZero(), "a first attempt has no earlier one")
	}
	key := conv.Vendor + "|" + conv.Account + "|" + conv.ID + "|answer-1"
	token, p, err := store.Claim(context.Background(), key, time.Second)
	require.NoError(t, err)
	require.NoError(t, store.Release(context.Background(), key, token))
	require.Equal(t, 1, p.Delivered)
	require.GreaterOrEqual(t, p.FailedAt, before.UnixMilli())

	// A second failure of the same part keeps the first attempt's time.
	again := &recording{Helpdesk: &failNth{Helpdesk: f, n: 1}}
	_, err = helpdesk.Reply(context.Background(), again, conv, "x", opts)
	require.Error(t, err)
	require.Len(t, again.msgs, 1)
	firstFailed := again.msgs[0].EarlierAttempt
	require.False(t, firstFailed.IsZero())
	require.WithinDuration(t, before, firstFailed, time.Second)

	retry := &recording{Helpdesk: f}
	_, err = helpdesk.Reply(context.Background(), retry, conv, "x", opts)
	require.NoError(t, err)
	require.Len(t, retry.msgs, 2)
	require.Equal(t, "two", retry.msgs[0].Text)
	require.True(t, retry.msgs[0].EarlierAttempt.Equal(firstFailed), "the part that failed carries its first attempt's time")
	require.True(t, retry.msgs[1].EarlierAttempt.IsZero(), "the next part has none")
}
