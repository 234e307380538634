package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

func TestSeedExample(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, budget.SeedPlan))
	s := out.String()
	require.Contains(t, s, "= 330000 requests/month (messages 180000, resolves 120000, hand-overs 30000)")
	require.Contains(t, s, "average RPM over 20 days × 8 h: 34.4")
	require.Regexp(t, `Zendesk Team\s+200\s+196\s+17\.2%`, s)
	require.Regexp(t, `Zendesk Enterprise Plus / High Volume\s+2500\s+2450\s+1\.4%`, s)
	require.NotContains(t, s, "OVER")
}

func TestSplittingCanExceedTeamPlan(t *testing.T) {
	p := budget.SeedPlan
	p.PartsPerMessage, p.PeakFactor, p.TicketsPerMonth = 4, 3, 150_000
	var out bytes.Buffer
	require.NoError(t, run(&out, p))
	line := ""
	for l := range strings.Lines(out.String()) {
		if strings.HasPrefix(strings.TrimSpace(l), "Zendesk Team") {
			line = l
		}
	}
	require.Contains(t, line, "OVER")
}

func TestBadPlan(t *testing.T) {
	p := budget.SeedPlan
	p.BusinessDays = 0
	require.ErrorIs(t, run(&bytes.Buffer{}, p), budget.ErrInvalidConfig)
}
