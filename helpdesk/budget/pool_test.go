package budget_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

func TestPoolOneBudgetPerAccount(t *testing.T) {
	created := 0
	p := budget.NewPool(func(account string) (transport.Budget, error) {
		created++
		if account == "bad" {
			return nil, errors.New("no limits for this account")
		}
		return budget.NewLocal(account, []budget.Limit{{Count: 100, Window: time.Minute}})
	})
	a1, err := p.Get("zendesk:a")
	require.NoError(t, err)
	a2, err := p.Get("zendesk:a")
	require.NoError(t, err)
	require.Same(t, a1, a2)
	b, err := p.Get("zendesk:b")
	require.NoError(t, err)
	require.NotSame(t, a1, b)
	_, err = p.Get("bad")
	require.Error(t, err)
	_, err = p.Get("bad")
	require.Error(t, err)
	require.Equal(t, 4, created)
}
