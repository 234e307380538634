package zendesk_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// sunshineFaultEnv is the driver in chat mode (Sunshine conversations with
// their messaging ticket) against a fake whose Sunshine requests, the
// read-back included, are checked against the published spec, with fault
// injection wired to both hosts.
func sunshineFaultEnv(t *testing.T) (*drivertest.Env, *zendesktest.Server, *zendesk.Client) {
	srv := zendesktest.NewServer(t, &zendesktest.Options{ValidateSunshine: sunshineContract(t)})
	client, err := zendesk.New(srv.ChatConfig(), &zendesk.Options{NoBudget: true, ConversationLimit: -1})
	require.NoError(t, err)
	o := srv.Options()
	return &drivertest.Env{
		Helpdesk: client,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			convID, tid := srv.CreateConversation("Where is my order?")
			return zendesk.WithTicket(zendesk.SunshineConversation(o.Subdomain, o.SunshineAppID, convID), tid)
		},
		State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State { return srv.State(conv) },
		InjectFaults: func(p drivertest.FaultPlan) {
			srv.Sunshine.InjectFaults(p)
			srv.Support.InjectFaults(p)
		},
	}, srv, client
}

// Under 20 % of Sunshine writes failing (each fault kind, before and after
// Sunshine processed them), every multi-part answer arrives once, complete
// and in order: Sunshine takes no idempotency key, so every ambiguous
// failure is settled by listing the conversation's messages.
func TestSunshineFaultsEveryAnswerOnceInOrder(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	env, srv, _ := sunshineFaultEnv(t)
	r := drivertest.RunFaults(t, env, drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
	t.Logf("zendesk sunshine: %s; faults injected: %v", r, srv.Sunshine.InjectedFaults())
	require.Equal(t, r.Answers, r.Complete, "%s", r)
	require.Zero(t, r.DuplicatedParts)
	require.Zero(t, r.MissingParts)
	require.Zero(t, r.OutOfOrder)
	require.Zero(t, r.Errors)
	injected := srv.Sunshine.InjectedFaults()
	for _, f := range drivertest.AllFaults {
		require.NotZero(t, injected[f], "fault %s never injected", f)
	}
}

// One post, one read-back: a message posted before a 500 (or a reset, or
// a timeout) is found by listing the conversation, not posted again.
func TestSunshineAmbiguousFailureIsReadBack(t *testing.T) {
	for _, f := range []drivertest.Fault{drivertest.Fault500After, drivertest.Fault503After, drivertest.FaultResetAfter, drivertest.FaultTimeoutAfter} {
		t.Run(f.String(), func(t *testing.T) {
			env, srv, client := sunshineFaultEnv(t)
			conv := env.NewConversation(t)
			srv.Sunshine.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{f}})
			rc, err := client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Posted once."})
			srv.Sunshine.InjectFaults(drivertest.FaultPlan{})
			require.NoError(t, err)
			sun, ok := srv.Conversation(zendesk.SunshineConversationID(conv))
			require.True(t, ok)
			last := sun.Messages[len(sun.Messages)-1]
			require.Equal(t, last.ID, rc.MessageID, "the receipt names the message found")
			require.Equal(t, []string{"Posted once."}, srv.State(conv).Public)
			path := "/v2/apps/" + srv.Options().SunshineAppID + "/conversations/" + sun.ID + "/messages"
			require.Equal(t, 1, srv.Sunshine.RequestsTo(http.MethodPost+" "+path), "one post")
			require.Equal(t, 1, srv.Sunshine.RequestsTo(http.MethodGet+" "+path), "one read-back")
		})
	}
}

// A post refused before Sunshine processed it (500, 503, reset, timeout)
// is read back, not found, and posted once more.
func TestSunshineUnprocessedFailureIsResent(t *testing.T) {
	env, srv, client := sunshineFaultEnv(t)
	conv := env.NewConversation(t)
	srv.Sunshine.FailNext(http.StatusInternalServerError)
	_, err := client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Sent after a 500."})
	require.NoError(t, err)
	require.Equal(t, []string{"Sent after a 500."}, srv.State(conv).Public)
}

// The same text twice in a row is two messages: the second post's
// read-back does not take the first for its own.
func TestSunshineSameTextTwiceIsTwoMessages(t *testing.T) {
	env, srv, client := sunshineFaultEnv(t)
	conv := env.NewConversation(t)
	_, err := client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Thanks!"})
	require.NoError(t, err)
	// Unprocessed, then answered: the read-back sees only the first.
	srv.Sunshine.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500Before}})
	_, err = client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Thanks!"})
	require.Error(t, err, "every attempt refused")
	srv.Sunshine.InjectFaults(drivertest.FaultPlan{})
	_, err = client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Thanks!"})
	require.NoError(t, err)
	require.Equal(t, []string{"Thanks!", "Thanks!"}, srv.State(conv).Public)
}

// A host retry of a message whose post could not be settled reads the
// conversation back first and finds it (helpdesk.Reply retries that way).
func TestSunshineHostRetryFindsUnsettledPost(t *testing.T) {
	env, srv, client := sunshineFaultEnv(t)
	conv := env.NewConversation(t)
	path := "/v2/apps/" + srv.Options().SunshineAppID + "/conversations/" + zendesk.SunshineConversationID(conv) + "/messages"
	// The post lands but its answer is lost, and so is every read-back:
	// the first call cannot tell, and fails.
	srv.Sunshine.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500After},
		Match: func(*http.Request) bool { return true }})
	msg := helpdesk.Message{Text: "Your refund is on its way.", IdempotencyKey: "answer-7/1"}
	_, err := client.SendMessage(t.Context(), conv, msg)
	require.Error(t, err)
	require.Equal(t, 1, srv.Sunshine.RequestsTo(http.MethodPost+" "+path), "not resent while unsettled")
	srv.Sunshine.InjectFaults(drivertest.FaultPlan{})
	rc, err := client.SendMessage(t.Context(), conv, msg)
	require.NoError(t, err)
	require.NotEmpty(t, rc.MessageID)
	require.Equal(t, 1, srv.Sunshine.RequestsTo(http.MethodPost+" "+path), "found, not posted again")
	require.Equal(t, []string{"Your refund is on its way."}, srv.State(conv).Public)
}

// Under 20 % of writes failing on both hosts (each fault kind, before and
// after processing), a Sunshine handover with a notice and a note, retried
// by the host until it succeeds, posts the notice and the note exactly
// once, passes control to Agent Workspace and moves the ticket to the
// group.
func TestSunshineHandoverUnderFaultsPostsNoticeAndNoteOnce(t *testing.T) {
	handovers := 100
	if testing.Short() {
		handovers = 30
	}
	env, srv, client := sunshineFaultEnv(t)
	convs := make([]helpdesk.Conversation, handovers)
	for i := range convs {
		convs[i] = env.NewConversation(t)
	}
	group := strconv.FormatInt(srv.Options().N2GroupID, 10)
	env.InjectFaults(drivertest.FaultPlan{Rate: 0.2, Seed: 16, RetryAfter: time.Second})
	var (
		wg              sync.WaitGroup
		sem             = make(chan struct{}, 8)
		retries, failed atomic.Int64
	)
	for i, conv := range convs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			to := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: group,
				Notice: fmt.Sprintf("A specialist will take over, conversation %d.", i),
				Note:   fmt.Sprintf("Customer %d asked for a refund.", i)}
			for attempt := range 6 {
				if attempt > 0 {
					retries.Add(1)
				}
				if err := client.Reassign(context.Background(), conv, to); err == nil {
					return
				}
			}
			failed.Add(1)
		}()
	}
	wg.Wait()
	env.InjectFaults(drivertest.FaultPlan{})
	t.Logf("zendesk sunshine handover: %d handovers, %d host retries, %d failed; faults injected: sunshine %v, support %v",
		handovers, retries.Load(), failed.Load(), srv.Sunshine.InjectedFaults(), srv.Support.InjectedFaults())
	require.Zero(t, failed.Load())
	for i, conv := range convs {
		st := srv.State(conv)
		require.Equal(t, []string{fmt.Sprintf("A specialist will take over, conversation %d.", i)}, st.Public, "conversation %d", i)
		require.Equal(t, []string{fmt.Sprintf("Customer %d asked for a refund.", i)}, st.Notes, "conversation %d", i)
		require.Equal(t, group, st.GroupID, "conversation %d", i)
		sun, ok := srv.Conversation(zendesk.SunshineConversationID(conv))
		require.True(t, ok)
		require.Equal(t, client.Config().AgentWorkspace, sun.Control, "conversation %d", i)
	}
}

// A handover whose ticket update is refused after the notice was posted
// and control passed is retried by the host: the retry updates the ticket
// without posting the notice or passing control again, and the same
// handover made later, once completed, posts its notice anew.
func TestSunshineRetriedHandoverDoesOnlyWhatIsMissing(t *testing.T) {
	env, srv, client := sunshineFaultEnv(t)
	conv := env.NewConversation(t)
	tid, ok := zendesk.TicketID(conv)
	require.True(t, ok)
	to := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(srv.Options().N2GroupID, 10),
		Notice: "A specialist will take over.", Note: "Refund asked."}
	srv.Support.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500Before}})
	require.Error(t, client.Reassign(t.Context(), conv, to))
	srv.Support.InjectFaults(drivertest.FaultPlan{})
	require.NoError(t, client.Reassign(t.Context(), conv, to))
	st := srv.State(conv)
	require.Equal(t, []string{"A specialist will take over."}, st.Public)
	require.Equal(t, []string{"Refund asked."}, st.Notes)
	sun, _ := srv.Conversation(zendesk.SunshineConversationID(conv))
	require.Len(t, sun.PassControls, 1, "control passed once")
	ticket, _ := srv.Ticket(tid)
	require.Equal(t, srv.Options().N2GroupID, ticket.GroupID)

	require.NoError(t, client.Reassign(t.Context(), conv, to))
	require.Equal(t, []string{"A specialist will take over.", "A specialist will take over."}, srv.State(conv).Public)
}

// When more than a page of messages arrived after the bot's post, the
// read-back pages back (page[before], checked against the spec) and finds
// it there.
func TestSunshineReadBackPagesBack(t *testing.T) {
	var (
		srv    *zendesktest.Server
		convID string
		once   sync.Once
	)
	spec := sunshineContract(t)
	srv = zendesktest.NewServer(t, &zendesktest.Options{ValidateSunshine: func(r *http.Request, body []byte) error {
		if r.Method == http.MethodGet { // the customer wrote a lot before the read-back
			once.Do(func() {
				for i := range 120 {
					srv.AddUserMessage(convID, fmt.Sprintf("Customer line %d.", i))
				}
			})
		}
		if spec == nil {
			return nil
		}
		return spec(r, body)
	}})
	client, err := zendesk.New(srv.ChatConfig(), &zendesk.Options{NoBudget: true})
	require.NoError(t, err)
	o := srv.Options()
	var tid int64
	convID, tid = srv.CreateConversation("Where is my order?")
	conv := zendesk.WithTicket(zendesk.SunshineConversation(o.Subdomain, o.SunshineAppID, convID), tid)
	srv.Sunshine.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500After}})
	rc, err := client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Posted once."})
	srv.Sunshine.InjectFaults(drivertest.FaultPlan{})
	require.NoError(t, err)
	require.NotEmpty(t, rc.MessageID)
	require.Equal(t, []string{"Posted once."}, srv.State(conv).Public)
	path := "/v2/apps/" + o.SunshineAppID + "/conversations/" + convID + "/messages"
	require.Equal(t, 1, srv.Sunshine.RequestsTo(http.MethodPost+" "+path), "one post")
	require.Equal(t, 2, srv.Sunshine.RequestsTo(http.MethodGet+" "+path), "the newest page, then the one before")
}
