package helpdesk_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// storeOp is one call a loggingStore saw.
type storeOp struct {
	Op        string // claim, save, release
	Delivered int
	Attempt   bool // AttemptAt set
	Lease     time.Duration
}

// loggingStore logs the calls to a ReplyStore, and can fail Saves. Its
// Lease is the store's own lease (0: ReplyLease).
type loggingStore struct {
	helpdesk.ReplyStore
	lease time.Duration

	mu       sync.Mutex
	ops      []storeOp
	last     helpdesk.ReplyProgress // last saved
	failSave error
}

func (s *loggingStore) Lease() time.Duration { return s.lease }

func (s *loggingStore) log(op storeOp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, op)
}

func (s *loggingStore) Claim(ctx context.Context, key string, lease time.Duration) (string, helpdesk.ReplyProgress, error) {
	s.log(storeOp{Op: "claim", Lease: lease})
	return s.ReplyStore.Claim(ctx, key, lease)
}

func (s *loggingStore) Save(ctx context.Context, key, token string, p helpdesk.ReplyProgress, lease time.Duration) error {
	s.mu.Lock()
	fail := s.failSave
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	err := s.ReplyStore.Save(ctx, key, token, p, lease)
	if err == nil {
		s.mu.Lock()
		s.last = p
		s.mu.Unlock()
	}
	s.log(storeOp{Op: "save", Delivered: p.Delivered, Attempt: p.AttemptAt != 0, Lease: lease})
	return err
}

func (s *loggingStore) Release(ctx context.Context, key, token string) error {
	s.log(storeOp{Op: "release"})
	return s.ReplyStore.Release(ctx, key, token)
}

func (s *loggingStore) calls() []storeOp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]storeOp(nil), s.ops...)
}

func (s *loggingStore) saved() helpdesk.ReplyProgress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// killed is the panic of killAfter.
type killed struct{}

// killAfter panics right after the helpdesk took message number n: the
// process killed between a part's delivery and its record.
type killAfter struct {
	helpdesk.Helpdesk
	n, sent int
	msgs    []helpdesk.Message
}

func (k *killAfter) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	k.msgs = append(k.msgs, msg)
	rc, err := k.Helpdesk.SendMessage(ctx, conv, msg)
	if k.sent++; k.sent == k.n {
		panic(killed{})
	}
	return rc, err
}

// readsBack is a driver that reconciles: told of an earlier attempt
// (Message.EarlierAttempt), it looks for the bot's message with the same
// text among those it has not accounted for yet before posting it.
type readsBack struct {
	*helpdesktest.Fake
	seen map[string]bool // message ids accounted for
	msgs []helpdesk.Message
}

func (r *readsBack) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	r.msgs = append(r.msgs, msg)
	c, _ := r.Conversation(conv.ID)
	if !msg.EarlierAttempt.IsZero() {
		for _, m := range c.Messages {
			if m.Author == helpdesk.RoleBot && m.Text == msg.Text && !r.seen[m.ID] {
				r.seen[m.ID] = true
				return &helpdesk.Receipt{MessageID: m.ID}, nil
			}
		}
	}
	for _, m := range c.Messages {
		r.seen[m.ID] = true
	}
	rc, err := r.Fake.SendMessage(ctx, conv, msg)
	if rc != nil {
		r.seen[rc.MessageID] = true
	}
	return rc, err
}

// A process killed right after the helpdesk took a part, before Reply
// recorded it, leaves no failure behind; the part's attempt, written
// ahead, has the call that resumes the reply (another replica) tell the
// driver, which finds the part instead of posting it again.
func TestReplyWritesEachAttemptAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := helpdesktest.NewFake()
		conv := f.Open("1", helpdesk.ChannelWebChat)
		store := &loggingStore{ReplyStore: helpdesk.NewMemoryReplyStore(0)}
		opts := helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "answer-1", Store: store}
		first := &killAfter{Helpdesk: f, n: 2}
		start := time.Now()
		require.PanicsWithValue(t, killed{}, func() { _, _ = helpdesk.Reply(context.Background(), first, conv, "x", opts) })
		for _, m := range first.msgs {
			require.True(t, m.EarlierAttempt.IsZero(), "a first attempt does not read back")
		}
		want := []storeOp{
			{Op: "claim", Lease: helpdesk.ReplyLease},
			{Op: "save", Attempt: true, Lease: helpdesk.ReplyLease}, // part 1 may be sent
			{Op: "save", Delivered: 1, Lease: helpdesk.ReplyLease},  // it was
			{Op: "save", Delivered: 1, Attempt: true, Lease: helpdesk.ReplyLease},
			{Op: "release"},
		}
		require.Empty(t, cmp.Diff(want, store.calls()), "one write ahead of each part")
		require.Equal(t, start.UnixMilli(), store.saved().AttemptAt)
		require.Zero(t, store.saved().FailedAt, "no failure was seen")

		again := &readsBack{Fake: f, seen: map[string]bool{}}
		_, err := helpdesk.Reply(context.Background(), again, conv, "x", opts)
		require.NoError(t, err)
		require.Len(t, again.msgs, 2)
		require.True(t, again.msgs[0].EarlierAttempt.Equal(start), "the killed part is read back for")
		require.True(t, again.msgs[1].EarlierAttempt.IsZero(), "the next part was never attempted")
		require.Equal(t, []string{"one", "two", "three"}, bodies(t, f, "1"), "each part once")
		require.Zero(t, store.saved().AttemptAt, "cleared once its part is recorded")
	})
}

// When the attempt cannot be written ahead, the part is not sent: sent
// and then lost with its process, it would leave no trace.
func TestReplySendsNothingItCannotWriteAhead(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	down := errors.New("store down")
	store := &loggingStore{ReplyStore: helpdesk.NewMemoryReplyStore(0), failSave: down}
	_, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "k", Store: store})
	var pe *helpdesk.PartialSendError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, down)
	require.Zero(t, pe.Delivered)
	require.Zero(t, f.Requests())
}

// A part that takes longer than the lease to send (a budget wait, a busy
// helpdesk) keeps the claim: the reply renews it every third of the lease
// (the store's own, when it sets one), so another call finds the reply in
// progress instead of sending the part again, and the part's record is
// not refused. The renewals stop before the claim is released.
func TestReplyRenewsItsClaimWhileAPartIsSent(t *testing.T) {
	for _, tc := range []struct {
		name       string
		storeLease time.Duration
		lease      time.Duration
	}{
		{"default lease", 0, helpdesk.ReplyLease},
		{"the store's lease", 3 * time.Second, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				f := helpdesktest.NewFake()
				conv := f.Open("1", helpdesk.ChannelWebChat)
				store := &loggingStore{ReplyStore: helpdesk.NewMemoryReplyStore(0), lease: tc.storeLease}
				opts := helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "answer-1", Store: store}
				renewals := 0
				slow := &slowPart{Helpdesk: f, text: "two", wait: func() {
					before := len(store.calls())
					time.Sleep(3*tc.lease + tc.lease/6) // nine renewals
					renewals = len(store.calls()) - before
					_, err := helpdesk.Reply(ctx, f, conv, "x", opts)
					require.ErrorIs(t, err, helpdesk.ErrReplyInProgress, "another replica must not take over a live reply")
				}}
				_, err := helpdesk.Reply(ctx, slow, conv, "x", opts)
				require.NoError(t, err)
				require.Equal(t, []string{"one", "two", "three"}, bodies(t, f, "1"))
				require.Equal(t, 9, renewals, "a renewal every third of the lease")
				for _, op := range store.calls() {
					if op.Op != "release" {
						require.Equal(t, tc.lease, op.Lease, "%+v", op)
					}
				}

				// Nothing renews the claim once the call returned.
				ops := store.calls()
				time.Sleep(10 * tc.lease)
				synctest.Wait()
				require.Empty(t, cmp.Diff(ops, store.calls()))
				require.Equal(t, "release", ops[len(ops)-1].Op)
			})
		})
	}
}

// slowPart calls wait before sending the part text.
type slowPart struct {
	helpdesk.Helpdesk
	text string
	wait func()
}

func (s *slowPart) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	if msg.Text == s.text {
		s.wait()
	}
	return s.Helpdesk.SendMessage(ctx, conv, msg)
}
