package zendesk_test

import (
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
