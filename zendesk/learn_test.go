package zendesk_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
	"github.com/agentdesk/agentdesk/zendesk"
)

// With no plan configured the default budget starts at Team's limits and
// learns the account's own from Zendesk's headers: the account limit
// whole, the Update Ticket limit times TicketUpdateShare.
func TestDefaultBudgetLearnsThePlan(t *testing.T) {
	cfg := zendesk.Config{Subdomain: "acme"}
	b, err := budget.NewLocal(cfg.BudgetKey(), cfg.Limits(), budget.WithHeaders(zendesk.Headers))
	require.NoError(t, err)
	start := b.Limits()
	require.Equal(t, zendesk.TeamRequestsPerMinute, start[0].Count)
	require.Equal(t, zendesk.TicketUpdatesPerMinute, start[1].Count, "the whole Update Ticket limit by default")

	upd := transport.Call{Method: "PUT", Path: "/api/v2/tickets/1.json", Limits: []string{zendesk.LimitTicketsUpdate}}
	b.Observe(upd, http.StatusOK, http.Header{
		"X-Rate-Limit":                     {"2500"},
		"X-Rate-Limit-Remaining":           {"2499"},
		"Zendesk-Ratelimit-Tickets-Update": {"total=300; remaining=299; resets=42"},
	})
	got := b.Limits()
	require.Equal(t, 2500, got[0].Count)
	require.Equal(t, 300, got[1].Count)
	require.Equal(t, time.Minute, got[0].Window)
}
