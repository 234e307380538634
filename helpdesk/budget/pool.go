package budget

import (
	"sync"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Pool hands out one budget per helpdesk account, created on first use, for
// services that act for many customers.
type Pool struct {
	newBudget func(account string) (transport.Budget, error)

	mu      sync.Mutex
	budgets map[string]transport.Budget
}

// NewPool returns a pool that creates budgets with newBudget, e.g. a
// closure calling redisbudget.New with the account's vendor limits.
func NewPool(newBudget func(account string) (transport.Budget, error)) *Pool {
	return &Pool{newBudget: newBudget, budgets: map[string]transport.Budget{}}
}

// Get returns the account's budget, creating it if needed. A failed
// creation is not cached, so a later Get tries again.
func (p *Pool) Get(account string) (transport.Budget, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.budgets[account]; ok {
		return b, nil
	}
	b, err := p.newBudget(account)
	if err != nil {
		return nil, err
	}
	p.budgets[account] = b
	return b, nil
}
