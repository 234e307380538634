package lifecycle_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/lifecycle"
)

func TestMemoryStoreLeasesAndGenerations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := lifecycle.NewMemoryStore(nil)
		conv := helpdesk.Conversation{Vendor: "v", ID: "1"}
		tm := lifecycle.Timer{Key: conv.Key(), Kind: lifecycle.KindReengage, Conv: conv, Gen: lifecycle.NewGen()}
		require.NoError(t, st.Put(ctx, tm, time.Minute))

		got, next, err := st.Claim(ctx, 10, 30*time.Second)
		require.NoError(t, err)
		require.Empty(t, got)
		require.Equal(t, time.Minute, next)

		time.Sleep(time.Minute)
		got, next, err = st.Claim(ctx, 10, 30*time.Second)
		require.NoError(t, err)
		require.Empty(t, cmp.Diff([]lifecycle.Timer{tm}, got))
		require.Equal(t, 30*time.Second, next, "leased")
		got, _, _ = st.Claim(ctx, 10, 30*time.Second)
		require.Empty(t, got, "not handed out twice within the lease")

		// Replaced meanwhile (the bot answered again): the old claim's
		// Finish changes nothing.
		newer := tm
		newer.Gen = lifecycle.NewGen()
		require.NoError(t, st.Put(ctx, newer, time.Hour))
		require.NoError(t, st.Finish(ctx, tm, nil, 0))
		require.Equal(t, 1, st.Len())

		// The lease runs out: the timer is handed out again.
		require.NoError(t, st.Put(ctx, tm, 0))
		got, _, _ = st.Claim(ctx, 10, 30*time.Second)
		require.Len(t, got, 1)
		time.Sleep(30 * time.Second)
		got, _, _ = st.Claim(ctx, 10, 30*time.Second)
		require.Len(t, got, 1)
		require.NoError(t, st.Finish(ctx, got[0], nil, 0))
		require.Zero(t, st.Len())
	})
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tm := lifecycle.Timer{Key: "zendesk/acme/7", Kind: lifecycle.KindAutoClose, Count: 2, Attempt: 1, Sent: true, Gen: lifecycle.NewGen(),
		Conv: helpdesk.Conversation{Vendor: "zendesk", Account: "acme", ID: "7", Channel: helpdesk.ChannelEmail, Extra: map[string]string{"zendesk.x": "y"}}}
	b, err := lifecycle.Encode(tm)
	require.NoError(t, err)
	back, err := lifecycle.Decode(tm.Key, b)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(tm, back))
	_, err = lifecycle.Encode(lifecycle.Timer{Key: "k"})
	require.Error(t, err, "a timer needs its Gen")
	_, err = lifecycle.Decode("k", []byte("r"))
	require.Error(t, err)
}
