package fault_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/fault"
)

func TestDrawRepeatableAndShared(t *testing.T) {
	a, b := fault.NewDraw(0.3, 7, nil), fault.NewDraw(0.3, 7, nil)
	var failed int
	for range 10000 {
		fa, fb := a.Next(), b.Next()
		require.Equal(t, fa, fb, "the same seed must draw the same faults")
		if fa != fault.None {
			failed++
		}
	}
	require.InDelta(t, 3000, failed, 300, "about rate of the writes fail")
	require.Len(t, a.Counts(), len(fault.All), "every kind is drawn")
	a.Stop()
	for range 100 {
		require.Equal(t, fault.None, a.Next())
	}
	require.Equal(t, b.Counts(), a.Counts(), "Stop keeps the counts")
	var nilDraw *fault.Draw
	require.Equal(t, fault.None, nilDraw.Next())
	require.Empty(t, nilDraw.Counts())
}

func TestDrawKinds(t *testing.T) {
	d := fault.NewDraw(1, 1, []fault.Fault{fault.ResetAfter})
	for range 10 {
		require.Equal(t, fault.ResetAfter, d.Next())
	}
	require.Equal(t, map[fault.Fault]int{fault.ResetAfter: 10}, d.Counts())
}

func TestProcessedAndNames(t *testing.T) {
	processed := map[fault.Fault]bool{fault.Status500After: true, fault.Status503After: true, fault.TimeoutAfter: true, fault.ResetAfter: true}
	seen := map[string]bool{}
	for _, f := range fault.All {
		require.Equal(t, processed[f], f.Processed(), "%v", f)
		require.NotEqual(t, "fault?", f.String())
		require.False(t, seen[f.String()], "names are distinct")
		seen[f.String()] = true
	}
	require.Equal(t, "fault?", fault.Fault(99).String())
}
