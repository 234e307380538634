package intercom_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
	"github.com/agentdesk/agentdesk/intercom"
)

// The app limit follows X-RateLimit-Limit (here a workspace still on
// 1,000 a minute: 167 per 10 s); the workspace limit does not move.
func TestDefaultBudgetLearnsTheAppLimit(t *testing.T) {
	cfg := intercom.Config{}
	b, err := budget.NewLocal(cfg.BudgetKey(), cfg.Limits(), budget.WithHeaders(intercom.Headers))
	require.NoError(t, err)
	before := b.Limits()
	b.Observe(transport.Call{}, http.StatusOK, http.Header{"X-Ratelimit-Limit": {"167"}, "X-Ratelimit-Remaining": {"160"}})
	got := b.Limits()
	require.Equal(t, 167, got[0].Count)
	require.Equal(t, before[1].Count, got[1].Count)
}
