package budget

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// twoPerMinute admits one call at once and the next after 30 s.
func twoPerMinute(key string) (transport.Budget, error) {
	return NewLocal("conv:"+key, []Limit{{Count: 2, Window: time.Minute}})
}

func TestPerKeyPacesEachKeyApart(t *testing.T) {
	p, err := NewPerKey("conversation", time.Minute, twoPerMinute)
	require.NoError(t, err)
	ctx := context.Background()
	call := func(key string) transport.Call {
		return transport.Call{Method: "POST", Path: "/messages", Limits: []string{"messages", KeyedLimit("conversation", key)}, MaxWait: time.Millisecond}
	}
	require.NoError(t, p.Wait(ctx, call("a")))
	err = p.Wait(ctx, call("a"))
	require.ErrorIs(t, err, helpdesk.ErrRateLimited, "the second call on one conversation must wait")
	var we *WaitError
	require.True(t, errors.As(err, &we))
	require.NoError(t, p.Wait(ctx, call("b")), "another conversation has its own budget")
	require.Equal(t, 2, p.Len())

	// Calls naming no key of the prefix pass straight through.
	require.NoError(t, p.Wait(ctx, transport.Call{Limits: []string{"conversationx:1", "messages"}}))
	require.Equal(t, 2, p.Len())
	p.Observe(call("zzz"), 200, nil) // unknown key: nothing created
	require.Equal(t, 2, p.Len())
}

func TestPerKeyForgetsIdleKeys(t *testing.T) {
	p, err := NewPerKey("ticket", time.Minute, twoPerMinute)
	require.NoError(t, err)
	now := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return now }
	require.NoError(t, p.Wait(context.Background(), transport.Call{Limits: []string{"ticket:1"}}))
	now = now.Add(2 * time.Minute)
	require.NoError(t, p.Wait(context.Background(), transport.Call{Limits: []string{"ticket:2"}}))
	require.Equal(t, 1, p.Len(), "ticket 1 was idle longer than a minute")
}

func TestPerKeyValidates(t *testing.T) {
	_, err := NewPerKey("", 0, twoPerMinute)
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = NewPerKey("a:b", 0, twoPerMinute)
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = NewPerKey("a", 0, nil)
	require.ErrorIs(t, err, ErrInvalidConfig)
	p, _ := NewPerKey("a", 0, func(string) (transport.Budget, error) { return nil, errors.New("boom") })
	require.ErrorContains(t, p.Wait(context.Background(), transport.Call{Limits: []string{"a:1"}}), "boom")
}

func TestChainWaitsOnEveryBudget(t *testing.T) {
	account, err := NewLocal("acct", []Limit{{Count: 1000, Window: time.Minute}})
	require.NoError(t, err)
	conv, err := NewPerKey("conversation", 0, twoPerMinute)
	require.NoError(t, err)
	ch := Chain{conv, account, nil}
	c := transport.Call{Limits: []string{"conversation:9"}, MaxWait: time.Millisecond}
	require.NoError(t, ch.Wait(context.Background(), c))
	require.ErrorIs(t, ch.Wait(context.Background(), c), helpdesk.ErrRateLimited)
	ch.Observe(c, 200, nil)
	var _ transport.Budget = ch
}
