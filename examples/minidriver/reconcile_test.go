package minidriver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/examples/minidriver"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// Under 20 % of replies failing (each fault kind, before and after Minidesk
// posted them), every multi-part answer arrives once, complete and in
// order, though Minidesk takes no idempotency key.
func TestFaultsEveryAnswerOnceInOrder(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	env, srv := newEnv(t, minidriver.Options{NoBudget: true})
	r := drivertest.RunFaults(t, env, drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
	t.Logf("minidesk: %s; faults injected: %v", r, srv.InjectedFaults())
	require.Equal(t, r.Answers, r.Complete, "%s", r)
	require.Zero(t, r.DuplicatedParts)
	require.Zero(t, r.MissingParts)
	require.Zero(t, r.OutOfOrder)
	require.Zero(t, r.Errors)
	require.NotEmpty(t, srv.InjectedFaults(), "faults were injected")
}

// Each ambiguous failure is settled by reading the ticket back: a reply
// found there is not sent again, one missing is sent again, and a reply
// already accounted for is never taken for a later identical one.
func TestReplyReconciled(t *testing.T) {
	tests := []struct {
		name  string
		fault drivertest.Fault
		// want is the bot's public replies after two identical sends;
		// requests the API requests they took.
		want     []string
		requests int
		err      bool
	}{
		{"posted, then 500", drivertest.Fault500After, []string{"ok", "ok"}, 4, false},
		{"posted, then reset", drivertest.FaultResetAfter, []string{"ok", "ok"}, 4, false},
		{"refused with 500", drivertest.Fault500Before, nil, 12, true},
		{"reset before posting", drivertest.FaultResetBefore, nil, 12, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, srv := newEnv(t, minidriver.Options{NoBudget: true})
			conv := env.NewConversation(t)
			srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{tc.fault}})
			before := srv.Requests()
			var ids []string
			for range 2 {
				rcpt, err := env.Helpdesk.SendMessage(t.Context(), conv, helpdesk.Message{Text: "ok"})
				if tc.err {
					require.Error(t, err)
					continue
				}
				require.NoError(t, err)
				ids = append(ids, rcpt.MessageID)
			}
			srv.InjectFaults(drivertest.FaultPlan{})
			require.Equal(t, tc.want, env.State(t, conv).Public)
			require.Equal(t, tc.requests, srv.Requests()-before, "each send and read-back is one request")
			if !tc.err {
				require.NotEqual(t, ids[0], ids[1], "the second reply is not the first found again")
			}
		})
	}
}
