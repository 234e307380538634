package hubspot_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

// faultEnv is the driver against a fresh fake HubSpot with fault injection
// wired, without a budget or conversation guard (the scenario measures
// delivery, not pacing).
func faultEnv(t *testing.T) (*drivertest.Env, *hubspottest.Server, *hubspot.Client) {
	srv := hubspottest.NewServer(t)
	c, err := hubspot.New(srv.Config(clientSecrets...), &hubspot.Options{HTTPClient: srv.Client(), NoBudget: true, ConversationLimit: -1})
	require.NoError(t, err)
	return &drivertest.Env{
		Helpdesk:        c,
		NewConversation: func(t *testing.T) helpdesk.Conversation { return conversationOf(srv.NewThread("Where is my order?")) },
		State:           func(t *testing.T, conv helpdesk.Conversation) drivertest.State { return stateOf(t, srv, conv) },
		InjectFaults:    srv.InjectFaults,
	}, srv, c
}

// Under 20 % of message sends failing (each fault kind, before and after
// HubSpot processed them), every multi-part answer arrives once, complete
// and in order: the driver reads the thread back after an ambiguous
// failure instead of resending.
func TestFaultsEveryAnswerOnceInOrder(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	env, srv, _ := faultEnv(t)
	r := drivertest.RunFaults(t, env, drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
	t.Logf("hubspot: %s; faults injected: %v", r, srv.InjectedFaults())
	require.Equal(t, r.Answers, r.Complete, "%s", r)
	require.Zero(t, r.DuplicatedParts)
	require.Zero(t, r.MissingParts)
	require.Zero(t, r.OutOfOrder)
	require.Zero(t, r.Errors)
}

// Each ambiguous fault alone: a send HubSpot processed is found by one
// read-back and not posted again; one it did not process is posted once
// more after the read-back finds nothing. Messages and comments alike.
func TestAmbiguousFailureIsReadBack(t *testing.T) {
	for _, f := range []drivertest.Fault{
		drivertest.Fault500After, drivertest.Fault503After, drivertest.FaultTimeoutAfter, drivertest.FaultResetAfter,
		drivertest.Fault500Before, drivertest.Fault503Before, drivertest.FaultTimeoutBefore, drivertest.FaultResetBefore,
	} {
		for _, internal := range []bool{false, true} {
			t.Run(f.String()+"/internal="+strconv.FormatBool(internal), func(t *testing.T) {
				env, srv, _ := faultEnv(t)
				conv := env.NewConversation(t)
				// An identical message posted earlier is not mistaken
				// for this one.
				_, err := env.Helpdesk.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Posted once.", Internal: internal})
				require.NoError(t, err)
				srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{f}, Match: firstWrite()})
				rc, err := env.Helpdesk.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Posted once.", Internal: internal})
				require.NoError(t, err)
				require.NotEmpty(t, rc.MessageID)
				st := env.State(t, conv)
				got := st.Public
				if internal {
					got = st.Notes
				}
				require.Equal(t, []string{"Posted once.", "Posted once."}, got)
				sends := 1
				if !f.Processed() {
					sends = 2
				}
				require.Equal(t, 1+sends, srv.RequestsTo(http.MethodPost+" /conversations/v3/conversations/threads/"+conv.ID+"/messages"))
				require.Equal(t, 1, srv.RequestsTo(http.MethodGet+" /conversations/v3/conversations/threads/"+conv.ID+"/messages"), "one read-back")
			})
		}
	}
}

// A failure the driver could not settle (the read-back failing too) is
// remembered under the host's key: the host's retry reads the thread back
// and finds the message instead of posting it again.
func TestHostRetryReadsBackFirst(t *testing.T) {
	env, srv, _ := faultEnv(t)
	conv := env.NewConversation(t)
	msg := helpdesk.Message{Text: "Your order ships today.", IdempotencyKey: "answer-7/1"}
	posts := 0
	srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500After}, Match: func(r *http.Request) bool {
		if r.Method == http.MethodPost {
			posts++
			return posts == 1
		}
		return true // every read-back fails
	}})
	_, err := env.Helpdesk.SendMessage(t.Context(), conv, msg)
	require.Error(t, err)
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusInternalServerError, ae.StatusCode)

	srv.InjectFaults(drivertest.FaultPlan{})
	rc, err := env.Helpdesk.SendMessage(t.Context(), conv, msg)
	require.NoError(t, err)
	require.NotEmpty(t, rc.MessageID)
	require.Equal(t, []string{msg.Text}, env.State(t, conv).Public)
	require.Equal(t, 1, srv.RequestsTo(http.MethodPost+" /conversations/v3/conversations/threads/"+conv.ID+"/messages"))

	// Without a key, a new call is a new message.
	_, err = env.Helpdesk.SendMessage(t.Context(), conv, helpdesk.Message{Text: msg.Text})
	require.NoError(t, err)
	require.Equal(t, []string{msg.Text, msg.Text}, env.State(t, conv).Public)
}

// The read-back pages through a thread longer than one page, newest
// first, and stops at messages older than the first attempt.
func TestReadBackPages(t *testing.T) {
	env, srv, _ := faultEnv(t)
	conv := env.NewConversation(t)
	for i := range 2 * 50 {
		_, err := env.Helpdesk.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Filler " + strconv.Itoa(i)})
		require.NoError(t, err)
	}
	srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.FaultResetAfter}, Match: firstWrite()})
	_, err := env.Helpdesk.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Filler 0"})
	require.NoError(t, err)
	st := env.State(t, conv)
	require.Len(t, st.Public, 101)
	require.Equal(t, "Filler 0", st.Public[100])
	require.Equal(t, 101, srv.RequestsTo(http.MethodPost+" /conversations/v3/conversations/threads/"+conv.ID+"/messages"), "not posted again")
}

// No request of the driver carries a header net/http would resend a POST
// by itself for.
func TestNoIdempotencyKeyHeader(t *testing.T) {
	env, srv, _ := faultEnv(t)
	var seen []string
	srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500Before}, Match: func(r *http.Request) bool {
		for k := range r.Header {
			if k == "Idempotency-Key" || k == "X-Idempotency-Key" {
				seen = append(seen, r.Method+" "+r.URL.Path)
			}
		}
		return false
	}})
	conv := env.NewConversation(t)
	_, err := helpdesk.Reply(t.Context(), env.Helpdesk, conv, "One. Two.", helpdesk.ReplyOptions{IdempotencyKey: "k", Resolve: true})
	require.NoError(t, err)
	require.Empty(t, seen)
}

// firstWrite matches the first write only (Match runs under the fake's
// lock, one request at a time).
func firstWrite() func(*http.Request) bool {
	n := 0
	return func(r *http.Request) bool {
		if r.Method == http.MethodGet {
			return false
		}
		n++
		return n == 1
	}
}
