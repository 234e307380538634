package budget_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

func TestSeedPlan(t *testing.T) {
	u, err := budget.SeedPlan.Compute()
	require.NoError(t, err)
	want := budget.Usage{
		MessageRequests: 180_000, ResolveRequests: 120_000, HandoverRequests: 30_000,
		RequestsPerMonth: 330_000, RequestsPerTicket: 5.5,
		AverageRPM: 34.375, PeakRPM: 34.375,
	}
	require.Empty(t, cmp.Diff(want, u, cmpopts.EquateApprox(0, 1e-9)))
	require.Equal(t, 34, int(math.Round(u.AverageRPM)))
	require.InDelta(t, 0.171875, u.ShareOf(200), 1e-9)
}

func TestPlanPartsAndPeak(t *testing.T) {
	p := budget.SeedPlan
	p.PartsPerMessage, p.PeakFactor = 2, 3
	u, err := p.Compute()
	require.NoError(t, err)
	require.InDelta(t, 510_000, u.RequestsPerMonth, 1e-6)
	require.InDelta(t, 3*510_000.0/20/8/60, u.PeakRPM, 1e-9)
}

func TestPlanErrors(t *testing.T) {
	for name, mut := range map[string]func(*budget.Plan){
		"negative tickets": func(p *budget.Plan) { p.TicketsPerMonth = -1 },
		"NaN messages":     func(p *budget.Plan) { p.MessagesPerTicket = math.NaN() },
		"zero parts":       func(p *budget.Plan) { p.PartsPerMessage = 0 },
		"zero days":        func(p *budget.Plan) { p.BusinessDays = 0 },
		"25 hours":         func(p *budget.Plan) { p.BusinessHours = 25 },
		"peak below 1":     func(p *budget.Plan) { p.PeakFactor = 0.5 },
	} {
		t.Run(name, func(t *testing.T) {
			p := budget.SeedPlan
			mut(&p)
			_, err := p.Compute()
			require.ErrorIs(t, err, budget.ErrInvalidConfig)
		})
	}
}
