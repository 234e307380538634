package zendesk

import (
	"math"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

// Limits returns the Support API limits the bot may use: the plan's
// account-wide requests per minute, and its share (TicketUpdateShare) of
// the Update Ticket limit, which human agents' edits draw on too.
func (c Config) Limits() []budget.Limit {
	c = c.Normalize()
	share := int(math.Floor(c.TicketUpdateShare * float64(c.Plan.TicketUpdatesPerMinute())))
	if share < 2 {
		share = 2
	}
	return budget.ZendeskLimits(c.Plan.RequestsPerMinute(), share)
}

// NewBudget returns an in-process budget for the account (Limits, paced by
// Zendesk's headers: X-Rate-Limit-Remaining, ratelimit-*,
// Zendesk-RateLimit-tickets-update and Retry-After). For several replicas,
// build a budget.NewShared on Redis with the same Limits and
// budget.WithHeaders(budget.ZendeskHeaders), and pass it in Options.Budget.
func NewBudget(cfg Config, opts ...budget.Option) (*budget.Local, error) {
	cfg = cfg.Normalize()
	opts = append([]budget.Option{budget.WithHeaders(budget.ZendeskHeaders)}, opts...)
	return budget.NewLocal(Vendor+":"+cfg.Subdomain, cfg.Limits(), opts...)
}
