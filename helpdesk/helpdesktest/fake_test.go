package helpdesktest_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

func TestFakeInjectsOtherEvents(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("9", helpdesk.ChannelEmail)
	var got []helpdesk.Event
	h, err := helpdesk.NewWebhookHandler(f, func(_ context.Context, e helpdesk.Event) error { got = append(got, e); return nil }, nil)
	require.NoError(t, err)
	for _, e := range []helpdesk.Event{f.AssignedTo(conv, "agent-1", "n2"), f.StatusChangedTo(conv, helpdesk.StatusResolved)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, f.Delivery(e))
		require.Equal(t, 200, rec.Code)
	}
	require.Len(t, got, 2)
	require.Equal(t, helpdesk.EventConversationAssigned, got[0].Type)
	require.Equal(t, &helpdesk.Assignment{AgentID: "agent-1", GroupID: "n2"}, got[0].Assignment)
	require.Equal(t, helpdesk.StatusResolved, got[1].Status.To)
	require.Equal(t, helpdesk.StatusOpen, got[1].Status.From)
	st, _ := f.Conversation("9")
	require.Equal(t, helpdesk.StatusResolved, st.Status)
	require.Equal(t, "n2", st.GroupID)
}

func TestFakeRecordsCallsConcurrently(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = f.SendMessage(context.Background(), conv, helpdesk.Message{Text: "x"})
		}()
	}
	wg.Wait()
	require.Len(t, f.Calls(), 50)
	require.Equal(t, 50, f.Requests())
}

func TestFakeClosedConversation(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelEmail)
	f.Close("1")
	_, err := f.SendMessage(context.Background(), conv, helpdesk.Message{Text: "x"})
	require.ErrorIs(t, err, helpdesk.ErrConversationClosed)
}

func TestFakeAppliesThePortableRules(t *testing.T) {
	ctx := context.Background()
	f := helpdesktest.NewFake(helpdesktest.WithCapabilities(helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapResolve)))
	conv := f.Open("1", helpdesk.ChannelSMS)

	// Without CapResolveWithMessage the core sends, then resolves.
	rcpt, err := f.SendMessage(ctx, conv, helpdesk.Message{Text: "Done, closing.", Resolve: true})
	require.NoError(t, err)
	require.True(t, rcpt.Resolved)
	require.Equal(t, 2, f.Requests(), "message and resolve are two requests")
	st, _ := f.Conversation("1")
	require.Equal(t, helpdesk.StatusResolved, st.Status)

	// An undeclared capability never reaches the vendor side.
	f.Reset()
	_, err = f.SendMessage(ctx, conv, helpdesk.Message{Text: "note", Internal: true})
	require.ErrorIs(t, err, helpdesk.ErrUnsupported)
	var oe *helpdesk.OpError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, helpdesk.OpSendMessage, oe.Op)
	_, err = f.SendMessage(ctx, conv, helpdesk.Message{Text: " "})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Zero(t, f.Requests())
	calls := f.Calls()
	require.Len(t, calls, 2, "refused calls are recorded too")
	require.ErrorIs(t, calls[0].Err, helpdesk.ErrUnsupported)

	var got *helpdesktest.Fake
	require.True(t, helpdesk.As(f, &got))
	require.Same(t, f, got)
}

func TestFakeWebhookSignatures(t *testing.T) {
	f := helpdesktest.NewFake(helpdesktest.WithWebhookSecrets("new-secret", "old-secret"))
	conv := f.Open("7", helpdesk.ChannelWebChat)
	now := time.Now()
	tests := []struct {
		name string
		s    helpdesktest.Signing
		want error
	}{
		{"current secret", helpdesktest.Signing{}, nil},
		{"rotated-out secret", helpdesktest.Signing{Secret: "old-secret"}, nil},
		{"other secret", helpdesktest.Signing{Secret: "guess"}, helpdesk.ErrSignatureMismatch},
		{"stale", helpdesktest.Signing{At: now.Add(-time.Hour)}, helpdesk.ErrSignatureStale},
		{"future", helpdesktest.Signing{At: now.Add(time.Hour)}, helpdesk.ErrSignatureFuture},
		{"within tolerance", helpdesktest.Signing{At: now.Add(-time.Minute)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.DeliveryWith(tc.s, f.CustomerWrites(conv, "hi"))
			req, err := helpdesk.ReadWebhookRequest(nil, r, 0)
			require.NoError(t, err)
			events, err := f.ParseWebhook(context.Background(), req)
			if tc.want == nil {
				require.NoError(t, err)
				require.Len(t, events, 1)
				return
			}
			require.ErrorIs(t, err, tc.want)
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			require.NotContains(t, err.Error(), "new-secret")
			require.NotContains(t, err.Error(), "old-secret")
		})
	}
}

func TestFakeReplyWindowAndIdempotency(t *testing.T) {
	ctx := context.Background()
	f := helpdesktest.NewFake()
	conv := f.Open("3", helpdesk.ChannelWhatsApp)

	closed := f.CloseReplyWindow(conv)
	_, err := f.SendMessage(ctx, closed, helpdesk.Message{Text: "still there?"})
	require.ErrorIs(t, err, helpdesk.ErrReplyWindowClosed)
	require.Zero(t, f.Requests(), "a closed window is known without a request")
	_, err = f.SendMessage(ctx, closed, helpdesk.Message{Text: "customer went quiet", Internal: true})
	require.NoError(t, err, "internal notes need no reply window")

	open := f.Open("4", helpdesk.ChannelEmail)
	att := []helpdesk.Attachment{{URL: "http://127.0.0.1/invoice.pdf"}}
	r1, err := f.SendMessage(ctx, open, helpdesk.Message{Text: "invoice", Attachments: att, IdempotencyKey: "k1"})
	require.NoError(t, err)
	r2, err := f.SendMessage(ctx, open, helpdesk.Message{Text: "invoice", Attachments: att, IdempotencyKey: "k1"})
	require.NoError(t, err)
	require.Equal(t, r1, r2, "a repeated key returns the first receipt")
	_, err = f.SendMessage(ctx, open, helpdesk.Message{Text: "anything else?"})
	require.NoError(t, err)
	keys := f.IdempotencyKeys()
	require.Len(t, keys, 4)
	require.Equal(t, []string{"k1", "k1"}, keys[1:3])
	require.NotEmpty(t, keys[3], "a key is derived when none is given")
	st, _ := f.Conversation("4")
	require.Len(t, st.Messages, 2, "the repeated key posted once")
	require.Equal(t, []string{"http://127.0.0.1/invoice.pdf"}, st.Messages[0].Attachments)
}
