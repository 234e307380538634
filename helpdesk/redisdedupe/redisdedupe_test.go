package redisdedupe_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/redisdedupe"
)

func TestClaimRelease(t *testing.T) {
	s, err := redisdedupe.New(redistest.Client(t), redistest.KeyPrefix(t))
	require.NoError(t, err)
	ctx := context.Background()
	ok, err := s.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ok, _ = s.Claim(ctx, "a", time.Minute)
	require.False(t, ok)
	require.NoError(t, s.Release(ctx, "a"))
	ok, _ = s.Claim(ctx, "a", time.Minute)
	require.True(t, ok)
}

// Three replicas receive the same deliveries: each event is handled once.
func TestReplicasShareDedupe(t *testing.T) {
	client := redistest.Client(t)
	prefix := redistest.KeyPrefix(t)
	fake := helpdesktest.NewFake()
	conv := fake.Open("1", helpdesk.ChannelWebChat)
	var handled atomic.Int32
	var handlers []*helpdesk.WebhookHandler
	for i := 0; i < 3; i++ {
		s, err := redisdedupe.New(client, prefix)
		require.NoError(t, err)
		h, err := helpdesk.NewWebhookHandler(fake, func(context.Context, helpdesk.Event) error { handled.Add(1); return nil }, &helpdesk.WebhookOptions{Dedupe: s})
		require.NoError(t, err)
		handlers = append(handlers, h)
	}
	events := make([]helpdesk.Event, 20)
	for i := range events {
		events[i] = fake.CustomerWrites(conv, "hello")
	}
	var wg sync.WaitGroup
	for _, h := range handlers {
		wg.Add(1)
		go func(h *helpdesk.WebhookHandler) {
			defer wg.Done()
			for _, e := range events {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, fake.Delivery(e))
				if rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
				}
			}
		}(h)
	}
	wg.Wait()
	require.Equal(t, int32(len(events)), handled.Load())
}

func TestNilClient(t *testing.T) {
	_, err := redisdedupe.New(nil, "")
	require.Error(t, err)
}
