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

func TestReplyHandsOverWithTheLastPart(t *testing.T) {
	target := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2", Notice: "A specialist will take over."}
	t.Run("in the handover's request", func(t *testing.T) {
		f := helpdesktest.NewFake()
		conv := f.Open("1", helpdesk.ChannelWebChat)
		rc, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts, Handover: &target})
		require.NoError(t, err)
		require.Len(t, rc, 3)
		c, _ := f.Conversation("1")
		require.Equal(t, "n2", c.GroupID)
		require.Equal(t, 3, f.Requests(), "two parts, then the last part with the handover")
		last := c.Messages[len(c.Messages)-1]
		require.Equal(t, "three\n\nA specialist will take over.", last.Text)
		require.True(t, last.Public)
	})
	t.Run("after the last part otherwise", func(t *testing.T) {
		f := helpdesktest.NewFake(helpdesktest.WithCapabilities(helpdesk.AllCapabilities &^ helpdesk.Capabilities(helpdesk.CapReassignWithMessage)))
		conv := f.Open("1", helpdesk.ChannelWebChat)
		rc, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts, Handover: &target})
		require.NoError(t, err)
		require.Len(t, rc, 3)
		require.Equal(t, 4, f.Requests())
		c, _ := f.Conversation("1")
		require.Equal(t, "n2", c.GroupID)
	})
	t.Run("a failed handover after every part", func(t *testing.T) {
		f := helpdesktest.NewFake(helpdesktest.WithCapabilities(helpdesk.AllCapabilities &^ helpdesk.Capabilities(helpdesk.CapReassignWithMessage)))
		conv := f.Open("1", helpdesk.ChannelWebChat)
		f.FailNextWithStatus(helpdesktest.OpReassign, http.StatusServiceUnavailable)
		rc, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts, Handover: &target})
		var he *helpdesk.HandoverAfterReplyError
		require.ErrorAs(t, err, &he)
		require.Len(t, rc, 3)
	})
	t.Run("refused with resolve or an invalid target", func(t *testing.T) {
		f := helpdesktest.NewFake()
		conv := f.Open("1", helpdesk.ChannelWebChat)
		_, err := helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Resolve: true, Handover: &target})
		require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
		_, err = helpdesk.Reply(context.Background(), f, conv, "x", helpdesk.ReplyOptions{Handover: &helpdesk.Target{Kind: helpdesk.TargetGroup}})
		require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
		require.Zero(t, f.Requests())
	})
}

func TestCreateConversation(t *testing.T) {
	f := helpdesktest.NewFake()
	req := helpdesk.NewConversation{Requester: helpdesk.Author{Phone: "+5511987654321", Name: "Ana"}, Text: "Quero falar sobre meu pedido",
		Channel: helpdesk.ChannelSMS, Tags: []string{"sms"}, IdempotencyKey: "sms-1"}
	conv, err := helpdesk.CreateConversation(context.Background(), f, req)
	require.NoError(t, err)
	require.NotEmpty(t, conv.ID)
	require.Equal(t, helpdesktest.FakeVendor, conv.Vendor)
	again, err := helpdesk.CreateConversation(context.Background(), f, req)
	require.NoError(t, err)
	require.Equal(t, conv.ID, again.ID, "the same idempotency key opens one conversation")
	c, _ := f.Conversation(conv.ID)
	require.Equal(t, []string{"sms"}, c.Tags)
	require.Equal(t, helpdesk.RoleCustomer, c.Messages[0].Author)

	_, err = helpdesk.CreateConversation(context.Background(), f, helpdesk.NewConversation{Text: "no requester"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)

	limited := helpdesktest.NewFake(helpdesktest.WithCapabilities(helpdesk.Capabilities(helpdesk.CapSendMessage)))
	_, err = helpdesk.CreateConversation(context.Background(), limited, req)
	require.ErrorIs(t, err, helpdesk.ErrUnsupported)
	require.Zero(t, limited.Requests())
}
