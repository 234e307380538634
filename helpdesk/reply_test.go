package helpdesk_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

var threeParts = helpdesk.SplitterFunc(func(string) ([]string, error) { return []string{"one", "two", "three"}, nil })

func TestReplyResolvesWithTheLastPart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caps     helpdesk.Capabilities
		requests int
	}{
		{"in the same request", helpdesk.AllCapabilities, 3},
		{"right after it", helpdesk.AllCapabilities &^ helpdesk.Capabilities(helpdesk.CapResolveWithMessage), 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := helpdesktest.NewFake(helpdesktest.WithCapabilities(tc.caps))
			conv := f.Open("1", helpdesk.ChannelWebChat)
			rc, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts, Resolve: true})
			require.NoError(t, err)
			require.Len(t, rc, 3)
			require.True(t, rc[2].Resolved)
			require.False(t, rc[0].Resolved)
			c, _ := f.Conversation("1")
			require.Equal(t, helpdesk.StatusResolved, c.Status)
			require.Equal(t, tc.requests, f.Requests())
		})
	}
}

func TestReplyReportsAFailedResolveAfterEveryPart(t *testing.T) {
	f := helpdesktest.NewFake(helpdesktest.WithCapabilities(helpdesk.AllCapabilities &^ helpdesk.Capabilities(helpdesk.CapResolveWithMessage)))
	conv := f.Open("1", helpdesk.ChannelWebChat)
	f.FailNextWithStatus(helpdesktest.OpResolve, http.StatusServiceUnavailable)
	rc, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts, Resolve: true})
	var ra *helpdesk.ResolveAfterReplyError
	require.ErrorAs(t, err, &ra)
	var pe *helpdesk.PartialSendError
	require.False(t, errors.As(err, &pe), "every part was delivered: not a partial send")
	require.Len(t, rc, 3, "every delivered part has its receipt")
	require.False(t, rc[2].Resolved)
}

func TestReplyStopsAtAFailedPart(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	_, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts})
	require.NoError(t, err)
	f.FailNextWithStatus(helpdesktest.OpSendMessage, http.StatusNotFound)
	rc, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts, Resolve: true})
	var pe *helpdesk.PartialSendError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 0, pe.Delivered)
	require.Equal(t, 3, pe.Total)
	require.ErrorIs(t, err, helpdesk.ErrNotFound)
	require.Empty(t, rc)
}
