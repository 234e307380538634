package helpdesk

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestMemoryDedupeStaysBoundedByTTL(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	m := NewMemoryDedupe(WithDedupeClock(c.now))
	ctx := context.Background()
	for i := range 100_000 {
		ok, err := m.Claim(ctx, "k"+strconv.Itoa(i), time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		c.t = c.t.Add(time.Millisecond) // 1,000 keys live at any time
	}
	require.LessOrEqual(t, m.Len(), 1_100, "expired keys are dropped as new ones arrive")
	require.LessOrEqual(t, m.queued(), 1_100)
}

// queued counts the entries of the parts' claim orders.
func (m *MemoryDedupe) queued() int {
	n := 0
	for i := range m.parts {
		n += len(m.parts[i].order) - m.parts[i].head
	}
	return n
}

func TestMemoryDedupeBoundedBySize(t *testing.T) {
	m := NewMemoryDedupe(WithMaxKeys(100))
	ctx := context.Background()
	for i := range 1_000 {
		ok, _ := m.Claim(ctx, "k"+strconv.Itoa(i), time.Hour)
		require.True(t, ok)
	}
	require.Equal(t, 100, m.Len())
	ok, _ := m.Claim(ctx, "k999", time.Hour)
	require.False(t, ok, "the newest keys are kept")
	ok, _ = m.Claim(ctx, "k0", time.Hour)
	require.True(t, ok, "the oldest keys went first")
}

func TestMemoryDedupeReleaseLoopDoesNotGrow(t *testing.T) {
	m := NewMemoryDedupe(WithMaxKeys(1000)) // one part: "pinned" is ahead of "retried"

	ctx := context.Background()
	ok, _ := m.Claim(ctx, "pinned", time.Hour) // a live key at the oldest end
	require.True(t, ok)
	for range 100_000 {
		ok, _ := m.Claim(ctx, "retried", time.Hour)
		require.True(t, ok)
		require.NoError(t, m.Release(ctx, "retried"))
	}
	require.Equal(t, 1, m.Len())
	require.Less(t, m.queued(), 2_000, "released keys do not pile up behind a live one")
}

func BenchmarkMemoryDedupeClaim(b *testing.B) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	m := NewMemoryDedupe(WithDedupeClock(c.now))
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = m.Claim(ctx, strconv.Itoa(i), time.Minute)
		c.t = c.t.Add(time.Millisecond)
	}
	b.ReportMetric(float64(m.Len()), "keys")
}

// A large store is split by key; each part keeps its oldest-first bound,
// so the whole store stays within its size.
func TestMemoryDedupeSplitStaysBounded(t *testing.T) {
	m := NewMemoryDedupe(WithMaxKeys(minSplitKeys))
	require.Len(t, m.parts, dedupeParts)
	ctx := context.Background()
	for i := range 3 * minSplitKeys {
		ok, err := m.Claim(ctx, "zendesk:"+strconv.Itoa(i), time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
	}
	require.LessOrEqual(t, m.Len(), minSplitKeys)
	require.Greater(t, m.Len(), minSplitKeys*9/10, "the keys spread over the parts")
	ok, _ := m.Claim(ctx, "zendesk:"+strconv.Itoa(3*minSplitKeys-1), time.Hour)
	require.False(t, ok, "the newest keys are kept")
	ok, _ = m.Claim(ctx, "zendesk:0", time.Hour)
	require.True(t, ok, "the oldest keys went first")
	require.NoError(t, m.Release(ctx, "zendesk:0"))
	ok, _ = m.Claim(ctx, "zendesk:0", time.Hour)
	require.True(t, ok, "released in its own part")
}
