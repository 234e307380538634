package redisreply_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/redisreply"
)

func TestClaimSaveRelease(t *testing.T) {
	s, err := redisreply.New(redistest.Client(t), redistest.KeyPrefix(t))
	require.NoError(t, err)
	ctx := context.Background()
	tok, p, err := s.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	require.Zero(t, p.Delivered)
	_, _, err = s.Claim(ctx, "k", time.Minute)
	require.ErrorIs(t, err, helpdesk.ErrReplyInProgress)
	want := helpdesk.ReplyProgress{Digest: "d", Delivered: 2, MessageIDs: []string{"1", "2"}, FailedAt: 1767225600123, AttemptAt: 1767225600456}
	require.NoError(t, s.Save(ctx, "k", tok, want, time.Minute))
	require.ErrorIs(t, s.Save(ctx, "k", "not-the-holder", want, time.Minute), helpdesk.ErrReplyInProgress)
	require.NoError(t, s.Release(ctx, "k", tok))
	_, got, err := s.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(want, got))
}

// WithLease sets the claim's lease: helpdesk.Reply claims (and renews) the
// key for it, and a replica that died holding it blocks the answer that
// long only.
func TestWithLease(t *testing.T) {
	client := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	_, err := redisreply.New(client, prefix, redisreply.WithLease(time.Millisecond))
	require.Error(t, err)
	def, err := redisreply.New(client, prefix)
	require.NoError(t, err)
	require.Zero(t, def.Lease(), "helpdesk.ReplyLease")
	s, err := redisreply.New(client, prefix, redisreply.WithLease(5*time.Second))
	require.NoError(t, err)
	require.Equal(t, 5*time.Second, s.Lease())

	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	var pttl time.Duration
	h := &onSend{Helpdesk: f, do: func() {
		keys, err := client.Keys(context.Background(), prefix+"*:claim").Result()
		require.NoError(t, err)
		require.Len(t, keys, 1)
		pttl, err = client.PTTL(context.Background(), keys[0]).Result()
		require.NoError(t, err)
	}}
	_, err = helpdesk.Reply(context.Background(), h, conv, "x", helpdesk.ReplyOptions{IdempotencyKey: "k", Store: s})
	require.NoError(t, err)
	require.Greater(t, pttl, 4*time.Second)
	require.LessOrEqual(t, pttl, 5*time.Second)
}

// onSend calls do before each send.
type onSend struct {
	helpdesk.Helpdesk
	do func()
}

func (h *onSend) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	h.do()
	return h.Helpdesk.SendMessage(ctx, conv, msg)
}

// splitFour cuts "id" into four numbered parts.
var splitFour = helpdesk.SplitterFunc(func(id string) ([]string, error) {
	return []string{id + "-1", id + "-2", id + "-3", id + "-4"}, nil
})

// failEvery fails every n-th send before it reaches the vendor.
type failEvery struct {
	helpdesk.Helpdesk
	mu    sync.Mutex
	n, at int
}

func (h *failEvery) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	h.mu.Lock()
	h.at++
	fail := h.at%h.n == 0
	h.mu.Unlock()
	if fail {
		return nil, helpdesktest.StatusError(http.StatusServiceUnavailable)
	}
	return h.Helpdesk.SendMessage(ctx, conv, msg)
}

// Three replicas, each with its own store on one Redis, retry the same
// answers at the same time: every part arrives once, in order.
func TestReplicasResumeEachOthersReplies(t *testing.T) {
	client := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	f := helpdesktest.NewFake()
	h := &failEvery{Helpdesk: f, n: 3}
	const answers = 30
	for a := range answers {
		f.Open(fmt.Sprint(a), helpdesk.ChannelWebChat)
	}
	var wg sync.WaitGroup
	for range 3 {
		store, err := redisreply.New(client, prefix)
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range answers {
				id := fmt.Sprint(a)
				conv := helpdesk.Conversation{Vendor: helpdesktest.FakeVendor, ID: id, Channel: helpdesk.ChannelWebChat}
				// Retry failures; a replica finding the answer in
				// another's hands retries too (it finds it complete).
				for failures := 0; failures < 50; {
					_, err := helpdesk.Reply(context.Background(), h, conv, id, helpdesk.ReplyOptions{Splitter: splitFour, IdempotencyKey: "answer-" + id, Store: store})
					if err == nil {
						break
					}
					if !errors.Is(err, helpdesk.ErrReplyInProgress) {
						failures++
					}
				}
			}
		}()
	}
	wg.Wait()
	for a := range answers {
		id := fmt.Sprint(a)
		c, ok := f.Conversation(id)
		require.True(t, ok)
		var got []string
		for _, m := range c.Messages {
			if m.Author == helpdesk.RoleBot {
				got = append(got, m.Text)
			}
		}
		want, _ := splitFour.Split(id)
		require.Empty(t, cmp.Diff(want, got), "answer %s", id)
	}
}

// Progress survives Redis restarting only with persistence; without it a
// restart is an outage while it lasts: Reply sends nothing.
func TestRedisDownSendsNothing(t *testing.T) {
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	store, err := redisreply.New(client, redistest.KeyPrefix(t), redisreply.WithTimeout(200*time.Millisecond))
	require.NoError(t, err)
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	srv.Stop()
	_, err = helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{IdempotencyKey: "k", Store: store})
	require.ErrorIs(t, err, redisreply.ErrUnavailable)
	require.Zero(t, f.Requests())
	srv.Restart()
	_, err = helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{IdempotencyKey: "k", Store: store})
	require.NoError(t, err)
	require.Equal(t, 1, f.Requests())
}
