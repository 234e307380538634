package driver_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// An unfinished handover keeps its steps and keys until it completes or
// HandoverTTL passes; the memory is bounded, oldest forgotten first.
func TestHandovers(t *testing.T) {
	now := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	h := &driver.Handovers{Now: func() time.Time { return now }}
	to := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2", Notice: "A colleague will take over.", Note: "Refund asked."}

	var keys []string
	step := func(ho driver.Handover, name string, err error) error {
		return ho.Step(name, func(key string) error { keys = append(keys, key); return err })
	}
	ho := h.Begin("acct\x00conv-1", to)
	require.NoError(t, step(ho, "notice", nil))
	require.Error(t, step(ho, "assign", errors.New("502")))
	require.True(t, ho.Done("notice"))
	require.False(t, ho.Done("assign"), "a failed step is not done")

	// The host retries within the TTL: the notice is not posted again, the
	// assignment is retried under the same key as before.
	now = now.Add(driver.HandoverTTL - time.Second)
	retry := h.Begin("acct\x00conv-1", to)
	require.NoError(t, step(retry, "notice", nil))
	require.NoError(t, step(retry, "assign", nil))
	require.Len(t, keys, 3, "the notice ran once")
	require.Equal(t, keys[1], keys[2], "a step keeps its key across attempts")
	require.NotEqual(t, keys[0], keys[1], "steps have keys of their own")
	retry.Complete()

	// Completed: the same handover made again is a new one.
	again := h.Begin("acct\x00conv-1", to)
	require.False(t, again.Done("notice"))
	require.NoError(t, step(again, "notice", nil))
	require.NotEqual(t, keys[0], keys[3], "a new handover writes under new keys")

	// Another conversation, another target or another notice: another handover.
	require.False(t, h.Begin("acct\x00conv-2", to).Done("notice"))
	other := to
	other.ID = "n3"
	require.False(t, h.Begin("acct\x00conv-1", other).Done("notice"))

	// Not retried within the TTL: forgotten.
	now = now.Add(driver.HandoverTTL)
	require.False(t, h.Begin("acct\x00conv-1", to).Done("notice"))

	// Bounded, oldest first.
	for i := range 1100 {
		require.NoError(t, h.Begin(fmt.Sprint("c", i), to).Step("notice", func(string) error { return nil }))
	}
	require.False(t, h.Begin("c0", to).Done("notice"), "oldest forgotten first")
	require.True(t, h.Begin("c1099", to).Done("notice"))
}
