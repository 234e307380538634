package helpdesktest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

func fakeHarness(opts ...helpdesktest.FakeOption) helpdesktest.HarnessFunc {
	return func(t *testing.T) *helpdesktest.Env {
		f := helpdesktest.NewFake(opts...)
		forged := helpdesktest.NewFake(helpdesktest.WithWebhookSecret("not-the-secret"))
		return &helpdesktest.Env{
			Helpdesk: f,
			Group:    "n2-group",
			Agent:    "agent-7",
			NewConversation: func(t *testing.T) helpdesk.Conversation {
				c := f.Open("", helpdesk.ChannelWhatsApp)
				f.CustomerWrites(c, "hello")
				return c
			},
			State: func(t *testing.T, conv helpdesk.Conversation) helpdesktest.State {
				c, ok := f.Conversation(conv.ID)
				require.True(t, ok)
				st := helpdesktest.State{Status: c.Status, GroupID: c.GroupID, AgentID: c.AgentID}
				if st.AgentID == helpdesktest.FakeBotID {
					st.AgentID = ""
				}
				for _, m := range c.Messages {
					if m.Author != helpdesk.RoleBot {
						continue
					}
					if m.Public {
						st.Public = append(st.Public, m.Text)
					} else {
						st.Notes = append(st.Notes, m.Text)
					}
				}
				return st
			},
			CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
				return f.Delivery(helpdesk.Event{
					Type: helpdesk.EventMessageCreated, DeliveryID: "d-" + conv.ID + "-" + text, OccurredAt: time.Unix(1767225600, 0),
					Conversation: conv,
					Message:      &helpdesk.InboundMessage{ID: "c1", Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "cust"}, Text: text, Public: true},
				})
			},
			BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
				return f.Delivery(f.BotEcho(conv, text))
			},
			Forged: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
				return forged.Delivery(forged.CustomerWrites(conv, text))
			},
			Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
				r := f.Delivery(f.CustomerWrites(conv, text))
				r.Header.Del(helpdesktest.FakeSignatureHeader)
				return r
			},
			Malformed: func(t *testing.T) *http.Request { return f.SignedRequest([]byte(`{"events":[{"type":`)) },
			FailNext: func(status int) {
				for _, op := range []helpdesktest.Op{helpdesktest.OpSendMessage, helpdesktest.OpResolve, helpdesktest.OpReassign} {
					f.FailNextWithStatus(op, status)
				}
			},
			Stall:    f.Stall,
			Requests: f.Requests,
		}
	}
}

func TestFakeConformance(t *testing.T) {
	helpdesktest.RunConformance(t, fakeHarness())
}

func TestFakeConformanceLimitedCapabilities(t *testing.T) {
	// A helpdesk that can only send messages and resolve separately (like
	// an SMS channel) must still pass: everything else says ErrUnsupported.
	helpdesktest.RunConformance(t, fakeHarness(helpdesktest.WithCapabilities(
		helpdesk.Capabilities(helpdesk.CapSendMessage|helpdesk.CapResolve|helpdesk.CapWebhooks))))
}

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
