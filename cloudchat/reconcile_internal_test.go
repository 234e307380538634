package cloudchat

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// An unfinished handover keeps its episode and steps until it completes or
// handoverTTL passes; the memory is bounded, oldest forgotten first.
func TestHandoverSteps(t *testing.T) {
	now := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	h := &handoverSteps{now: func() time.Time { return now }}

	ep := h.begin("a")
	require.NotEmpty(t, ep)
	require.False(t, h.has("a", "notice"))
	h.mark("a", "notice")
	require.True(t, h.has("a", "notice"))
	require.False(t, h.has("a", "note"))

	now = now.Add(handoverTTL - time.Second)
	require.Equal(t, ep, h.begin("a"), "a retry within the TTL resumes")
	require.True(t, h.has("a", "notice"))

	h.forget("a")
	require.False(t, h.has("a", "notice"), "completed: forgotten")
	ep2 := h.begin("a")
	require.NotEqual(t, ep, ep2, "made again: a new episode")

	h.mark("a", "notice")
	now = now.Add(handoverTTL)
	require.NotEqual(t, ep2, h.begin("a"), "not retried within the TTL: a new episode")
	require.False(t, h.has("a", "notice"))

	for i := range handoverMemory + 10 {
		h.begin(fmt.Sprintf("k%d", i))
		h.mark(fmt.Sprintf("k%d", i), "notice")
	}
	require.Len(t, h.m, handoverMemory)
	require.Len(t, h.order, handoverMemory)
	require.False(t, h.has("k0", "notice"), "oldest forgotten first")
	require.True(t, h.has(fmt.Sprintf("k%d", handoverMemory+9), "notice"))
}
