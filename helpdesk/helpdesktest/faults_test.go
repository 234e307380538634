package helpdesktest_test

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Each fault fails the write the way a vendor does, and the Fake's driver
// settles the ambiguous ones by reading the conversation back: a message
// stored before the fault is found (one send, one read), one that was not
// stored is sent again, at most three times.
func TestFakeFaults(t *testing.T) {
	tests := []struct {
		fault helpdesktest.Fault
		// stored is whether the message ends up posted (once); sends
		// and requests are the attempts (each failing) and all the
		// requests, read-backs included, that the send took.
		stored          bool
		sends, requests int
		status          int   // of the *helpdesk.APIError returned, if any
		is              error // what else the error matches
	}{
		{helpdesktest.Fault429, false, 1, 1, http.StatusTooManyRequests, helpdesk.ErrRateLimited},
		{helpdesktest.Fault503Before, false, 3, 6, http.StatusServiceUnavailable, nil},
		{helpdesktest.Fault500Before, false, 3, 6, http.StatusInternalServerError, nil},
		{helpdesktest.FaultTimeoutBefore, false, 3, 6, 0, context.DeadlineExceeded},
		{helpdesktest.FaultResetBefore, false, 3, 6, 0, syscall.ECONNRESET},
		{helpdesktest.Fault500After, true, 1, 2, 0, nil},
		{helpdesktest.Fault503After, true, 1, 2, 0, nil},
		{helpdesktest.FaultTimeoutAfter, true, 1, 2, 0, nil},
		{helpdesktest.FaultResetAfter, true, 1, 2, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.fault.String(), func(t *testing.T) {
			f := helpdesktest.NewFake(helpdesktest.WithIdempotencyKeysIgnored())
			conv := f.Open("1", helpdesk.ChannelEmail)
			f.InjectFaults(helpdesktest.FaultPlan{Rate: 1, Kinds: []helpdesktest.Fault{tc.fault}, RetryAfter: 3 * time.Second})
			rcpt, err := f.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Your refund is on its way."})
			require.Equal(t, tc.requests, f.Requests())
			require.Equal(t, map[helpdesktest.Fault]int{tc.fault: tc.sends}, f.InjectedFaults())
			st, _ := f.Conversation("1")
			var bot []string
			for _, m := range st.Messages {
				if m.Author == helpdesk.RoleBot {
					bot = append(bot, m.ID)
				}
			}
			if tc.stored {
				require.NoError(t, err)
				require.Equal(t, bot, []string{rcpt.MessageID}, "posted once, and the receipt names it")
				return
			}
			require.Error(t, err)
			require.Empty(t, bot, "nothing stored")
			if tc.status != 0 {
				var ae *helpdesk.APIError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, tc.status, ae.StatusCode)
				if tc.status != http.StatusInternalServerError {
					require.Equal(t, 3*time.Second, ae.RetryAfter, "429 and 503 announce the plan's wait")
				}
			} else {
				var re *transport.RequestError
				require.ErrorAs(t, err, &re)
			}
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
		})
	}
}

// A message found by reading back is accounted for: the same text sent
// again after another fault is a second message, not the first found
// twice.
func TestFakeFaultsIdenticalMessagesInARow(t *testing.T) {
	f := helpdesktest.NewFake(helpdesktest.WithIdempotencyKeysIgnored())
	conv := f.Open("1", helpdesk.ChannelEmail)
	f.InjectFaults(helpdesktest.FaultPlan{Rate: 1, Kinds: []helpdesktest.Fault{helpdesktest.Fault503After}})
	var ids []string
	for range 3 {
		rcpt, err := f.SendMessage(context.Background(), conv, helpdesk.Message{Text: "ok"})
		require.NoError(t, err)
		ids = append(ids, rcpt.MessageID)
	}
	st, _ := f.Conversation("1")
	var got []string
	for _, m := range st.Messages {
		got = append(got, m.ID)
	}
	require.Equal(t, ids, got, "three messages, each receipt naming its own")
}

// The other writes fail too, after or before they took effect; what
// FailNext queues comes first and is returned as it is, never reconciled.
func TestFakeFaultsOtherWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		fault helpdesktest.Fault
		write func(f *helpdesktest.Fake, conv helpdesk.Conversation) error
		// applied says whether the write took effect.
		applied func(st helpdesktest.FakeConversation) bool
	}{
		{"resolve after", helpdesktest.Fault500After,
			func(f *helpdesktest.Fake, conv helpdesk.Conversation) error { return f.Resolve(ctx, conv) },
			func(st helpdesktest.FakeConversation) bool { return st.Status == helpdesk.StatusResolved }},
		{"resolve before", helpdesktest.FaultResetBefore,
			func(f *helpdesktest.Fake, conv helpdesk.Conversation) error { return f.Resolve(ctx, conv) },
			func(st helpdesktest.FakeConversation) bool { return st.Status == helpdesk.StatusResolved }},
		{"reassign after", helpdesktest.FaultTimeoutAfter,
			func(f *helpdesktest.Fake, conv helpdesk.Conversation) error {
				return f.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2", Notice: "A colleague will take over."})
			},
			func(st helpdesktest.FakeConversation) bool { return st.GroupID == "n2" && len(st.Messages) == 2 }},
		{"reassign before", helpdesktest.Fault429,
			func(f *helpdesktest.Fake, conv helpdesk.Conversation) error {
				return f.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2", Notice: "A colleague will take over."})
			},
			func(st helpdesktest.FakeConversation) bool { return st.GroupID == "n2" || len(st.Messages) > 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := helpdesktest.NewFake()
			conv := f.Open("1", helpdesk.ChannelEmail)
			f.CustomerWrites(conv, "hello")
			f.InjectFaults(helpdesktest.FaultPlan{Rate: 1, Kinds: []helpdesktest.Fault{tc.fault}})
			require.Error(t, tc.write(f, conv))
			require.Equal(t, 1, f.Requests(), "writes other than messages are not reconciled")
			st, _ := f.Conversation("1")
			require.Equal(t, tc.fault.Processed(), tc.applied(st))
		})
	}

	t.Run("create after", func(t *testing.T) {
		f := helpdesktest.NewFake()
		f.InjectFaults(helpdesktest.FaultPlan{Rate: 1, Kinds: []helpdesktest.Fault{helpdesktest.Fault503After}})
		req := helpdesk.NewConversation{Channel: helpdesk.ChannelSMS, Text: "Order 4512 shipped?", IdempotencyKey: "k1",
			Requester: helpdesk.Author{Role: helpdesk.RoleCustomer, Phone: "+15555550100"}}
		_, err := f.CreateConversation(ctx, req)
		require.Error(t, err)
		f.InjectFaults(helpdesktest.FaultPlan{})
		first, err := f.CreateConversation(ctx, req)
		require.NoError(t, err)
		again, err := f.CreateConversation(ctx, req)
		require.NoError(t, err)
		require.Equal(t, first, again, "the retry with the key found the conversation the fault hid")
	})

	t.Run("FailNext first", func(t *testing.T) {
		f := helpdesktest.NewFake()
		conv := f.Open("1", helpdesk.ChannelEmail)
		f.InjectFaults(helpdesktest.FaultPlan{Rate: 1, Kinds: []helpdesktest.Fault{helpdesktest.Fault500After}})
		f.FailNextWithStatus(helpdesktest.OpSendMessage, http.StatusBadGateway)
		_, err := f.SendMessage(ctx, conv, helpdesk.Message{Text: "hi"})
		var ae *helpdesk.APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, http.StatusBadGateway, ae.StatusCode, "the queued error, not a fault")
		require.Equal(t, 1, f.Requests(), "a queued 502 is not read back nor sent again")
		require.Empty(t, f.InjectedFaults())
	})
}

// A plan is repeatable: the same seed fails the same calls made one at a
// time.
func TestFakeFaultsRepeatable(t *testing.T) {
	run := func() (map[helpdesktest.Fault]int, []error) {
		f := helpdesktest.NewFake()
		conv := f.Open("1", helpdesk.ChannelEmail)
		f.InjectFaults(helpdesktest.FaultPlan{Rate: 0.5, Seed: 7})
		var errs []error
		for range 40 {
			_, err := f.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hi"})
			errs = append(errs, err)
		}
		return f.InjectedFaults(), errs
	}
	c1, e1 := run()
	c2, e2 := run()
	require.Equal(t, c1, c2)
	require.Equal(t, len(e1), len(e2))
	for i := range e1 {
		require.Equal(t, e1[i] == nil, e2[i] == nil, "call %d", i)
	}
	require.Greater(t, len(c1), 3, "several kinds drawn: %v", c1)
}
