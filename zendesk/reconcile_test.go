package zendesk_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// faultEnv is the ticket driver against a fake that ignores (or honours)
// Idempotency-Key on ticket updates, with fault injection wired.
func faultEnv(t *testing.T, ignoreKey bool) (*drivertest.Env, *zendesktest.Server) {
	srv := zendesktest.NewServer(t, nil)
	if ignoreKey {
		srv.IgnoreIdempotencyKey()
	}
	client, err := zendesk.New(srv.Config(), &zendesk.Options{NoBudget: true, ConversationLimit: -1})
	require.NoError(t, err)
	o := srv.Options()
	return &drivertest.Env{
		Helpdesk: client,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			return zendesk.TicketConversation(o.Subdomain, srv.CreateTicket("Order missing", "Where is my order?"))
		},
		State:        func(t *testing.T, conv helpdesk.Conversation) drivertest.State { return srv.State(conv) },
		InjectFaults: srv.Support.InjectFaults,
	}, srv
}

// Under 20 % of ticket updates failing (each fault kind, before and after
// Zendesk processed them), every multi-part answer arrives once, complete
// and in order, whether or not Zendesk honours Idempotency-Key on updates.
func TestFaultsEveryAnswerOnceInOrder(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	for _, tc := range []struct {
		name   string
		ignore bool
	}{{"key not honoured", true}, {"key honoured", false}} {
		t.Run(tc.name, func(t *testing.T) {
			env, srv := faultEnv(t, tc.ignore)
			r := drivertest.RunFaults(t, env, drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
			t.Logf("zendesk, %s: %s; faults injected: %v", tc.name, r, srv.Support.InjectedFaults())
			require.Equal(t, r.Answers, r.Complete, "%s", r)
			require.Zero(t, r.DuplicatedParts)
			require.Zero(t, r.MissingParts)
			require.Zero(t, r.Errors)
		})
	}
}

// A ticket handover with a notice and a note is two updates. When the
// second (the assignment with the notice) is refused after the note was
// posted, the host's retry of the whole handover does not post the note
// again (driver.Handovers); a later handover is a new one.
func TestRetriedTicketHandoverPostsTheNoteOnce(t *testing.T) {
	env, srv := faultEnv(t, true)
	conv := env.NewConversation(t)
	to := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200", Notice: "A specialist will take over.", Note: "Low confidence on billing."}
	var updates atomic.Int32
	srv.Support.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault429}, Match: func(r *http.Request) bool {
		// Let the first update (the note) through, refuse the rest.
		return r.Method == http.MethodPut && updates.Add(1) > 1
	}})
	ctx := context.Background()
	require.Error(t, env.Helpdesk.Reassign(ctx, conv, to), "the assignment is refused")
	srv.Support.InjectFaults(drivertest.FaultPlan{})
	require.NoError(t, env.Helpdesk.Reassign(ctx, conv, to), "the host's retry")
	st := env.State(t, conv)
	require.Equal(t, []string{"Low confidence on billing."}, st.Notes, "the note was posted once")
	require.Contains(t, st.Public, "A specialist will take over.")
	require.Equal(t, "200", st.GroupID)

	require.NoError(t, env.Helpdesk.Reassign(ctx, conv, to))
	require.Len(t, env.State(t, conv).Notes, 2, "a handover made again after one completed is a new one")
}

// A reply whose second part may have landed while its read-back failed is
// retried by the host on another replica (another client, one progress
// store): that client never saw the failure, yet it reads the ticket back
// before posting the part (helpdesk.Message.EarlierAttempt, from
// ReplyProgress.FailedAt), so each part is on the ticket once.
func TestReplyRetriedOnAnotherReplicaPostsEachPartOnce(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	srv.IgnoreIdempotencyKey()
	replica := func() *zendesk.Client {
		c, err := zendesk.New(srv.Config(), &zendesk.Options{NoBudget: true, ConversationLimit: -1, MaxRetries: -1})
		require.NoError(t, err)
		return c
	}
	a, b := replica(), replica()
	conv := zendesk.TicketConversation(srv.Options().Subdomain, srv.CreateTicket("Refund", "Where is my refund?"))
	store := helpdesk.NewMemoryReplyStore(0)
	parts := []string{"Your refund was issued on Monday.", "It takes three to five days to arrive.", "Anything else?"}
	splitter := helpdesk.SplitterFunc(func(string) ([]string, error) { return parts, nil })
	opts := helpdesk.ReplyOptions{IdempotencyKey: "msg-42", Store: store, Splitter: splitter}

	// Replica a: the second update lands, then fails; reading the ticket
	// back fails too, so a cannot settle it.
	var puts atomic.Int32
	var broken atomic.Bool
	srv.Support.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500After}, Match: func(r *http.Request) bool {
		switch {
		case r.Method == http.MethodPut && puts.Add(1) == 2:
			broken.Store(true)
			return true
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/comments"):
			return broken.Load() // a 500: the read-back fails
		}
		return false
	}})
	_, err := helpdesk.Reply(context.Background(), a, conv, strings.Join(parts, " "), opts)
	require.Error(t, err)
	require.Len(t, srv.State(conv).Public, 2, "the second part landed although a saw a failure")

	// The host retries on replica b.
	broken.Store(false)
	srv.Support.InjectFaults(drivertest.FaultPlan{})
	_, err = helpdesk.Reply(context.Background(), b, conv, strings.Join(parts, " "), opts)
	require.NoError(t, err)
	require.Equal(t, parts, srv.State(conv).Public, "every part once, in order")
}
