package hubspot_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
	"github.com/agentdesk/agentdesk/hubspot"
)

// The default preset is Free's; a paid account's headers raise both the
// 10-second and the daily limit after one response.
func TestDefaultLimitsLearnThePlan(t *testing.T) {
	b, err := budget.NewLocal("hubspot:test", hubspot.LimitsFree, budget.WithHeaders(hubspot.HeaderReader))
	require.NoError(t, err)
	h := http.Header{}
	for k, v := range map[string]string{
		hubspot.HeaderMax: "190", hubspot.HeaderRemaining: "189", hubspot.HeaderInterval: "10000",
		hubspot.HeaderDaily: "1000000", hubspot.HeaderDailyRemaining: "999000",
	} {
		h.Set(k, v)
	}
	b.Observe(transport.Call{}, http.StatusOK, h)
	got := b.Limits()
	require.Equal(t, hubspot.BurstPaid, got[0].Count)
	require.Equal(t, hubspot.DailyEnterprise, got[1].Count)
}
