package cloudchat_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

// Two replicas behind one address share one Redis budget built from the
// driver's pieces (DefaultLimits, BudgetKey, Headers): Chatwoot's
// header-less 429 seen by one pauses the other until the next minute
// boundary, without a request.
func TestSharedBudget(t *testing.T) {
	rdb := redistest.Client(t)
	e := newEnv(t, nil)
	cfg := e.client.Config()
	prefix := redistest.KeyPrefix(t)
	replica := func() *cloudchat.Client {
		b, err := redisbudget.New(context.Background(), rdb, cfg.BudgetKey(), cloudchat.DefaultLimits(),
			budget.WithHeaders(cloudchat.Headers), budget.WithKeyPrefix(prefix), budget.WithReplicas(2))
		require.NoError(t, err)
		c, err := cloudchat.New(cfg, &cloudchat.Options{Budget: b, MaxRetryWait: time.Millisecond, MaxRetries: -1})
		require.NoError(t, err)
		return c
	}
	a, b := replica(), replica()
	conv := e.newConversation(t)
	ctx := context.Background()
	require.NoError(t, a.Resolve(ctx, conv))
	require.NoError(t, b.Resolve(ctx, conv))

	e.srv.FailNext(http.StatusTooManyRequests)
	require.ErrorIs(t, a.Resolve(ctx, conv), helpdesk.ErrRateLimited)
	before := e.srv.Requests()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err := b.Resolve(short, conv)
	require.ErrorIs(t, err, helpdesk.ErrRateLimited, "the other replica waits for the same minute boundary")
	require.Equal(t, before, e.srv.Requests(), "refused locally")
}
