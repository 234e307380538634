package cloudchat

import (
	"context"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

// DefaultLimits are Chatwoot's default Rack::Attack throttles the driver's
// requests draw on: 3000 requests a minute per client IP (every account and
// replica calling from one address shares it) and 100 contact searches a
// minute per account (LimitContactSearch). The 200-messages-a-minute flood
// guard is per conversation: the client paces it itself with a
// budget.PerKey (Options.ConversationLimit), and a 422 "Too many messages"
// still comes back as helpdesk.ErrRateLimited. Operators can change all
// three, so pass your instance's values if they differ.
func DefaultLimits() []budget.Limit {
	return []budget.Limit{
		{Count: 3000, Window: time.Minute},
		{Name: LimitContactSearch, PerEndpoint: true, Count: 100, Window: time.Minute},
	}
}

// BudgetKey labels the budget of an instance: Chatwoot counts requests per
// client IP, not per account, so the key is the instance's host and every
// account the service reaches on it shares one budget.
func BudgetKey(cfg Config) string {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" {
		return "cloudchat:" + cfg.BaseURL
	}
	return "cloudchat:" + u.Host
}

// NewSharedBudget returns a Redis budget with DefaultLimits that every
// replica behind one address shares (pass it as Options.Budget), reading
// Chatwoot's header-less 429s as a pause until the next minute boundary
// (budget.ChatwootHeaders). Pass budget.WithReplicas(n) so that a Redis
// outage falls back to 1/n of the limit per replica.
func NewSharedBudget(ctx context.Context, rdb redis.UniversalClient, cfg Config, opts ...budget.Option) (*budget.Shared, error) {
	opts = append([]budget.Option{budget.WithHeaders(budget.ChatwootHeaders)}, opts...)
	return budget.NewShared(ctx, rdb, BudgetKey(cfg), DefaultLimits(), opts...)
}

// NewLocalBudget returns an in-process budget with DefaultLimits, for a
// single replica.
func NewLocalBudget(cfg Config, opts ...budget.Option) (*budget.Local, error) {
	opts = append([]budget.Option{budget.WithHeaders(budget.ChatwootHeaders)}, opts...)
	return budget.NewLocal(BudgetKey(cfg), DefaultLimits(), opts...)
}
