package cloudchat_test

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

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// Under 20 % of message creates failing (each fault kind, before and after
// Chatwoot processed them), every multi-part answer arrives once, complete
// and in order: read back with the user token (message list) or, with the
// bot token only, from the conversation's last message.
func TestFaultsEveryAnswerOnceInOrder(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	for _, tc := range []struct {
		name      string
		userToken bool
	}{{"user token", true}, {"bot token only", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *cloudchat.Config, o *cloudchat.Options, _ *cloudchattest.Options) {
				if !tc.userToken {
					c.UserToken = ""
				}
				o.NoBudget, o.ConversationLimit = true, -1
			})
			r := drivertest.RunFaults(t, e.harness(t), drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
			t.Logf("cloudchat, %s: %s; faults injected: %v", tc.name, r, e.srv.InjectedFaults())
			require.Equal(t, r.Answers, r.Complete, "%s", r)
			require.Zero(t, r.DuplicatedParts)
			require.Zero(t, r.MissingParts)
			require.Zero(t, r.Errors)
		})
	}
}

// A 500 after the message was posted: the driver finds it by reading the
// conversation back and does not post it again.
func TestAmbiguousFailureIsReadBack(t *testing.T) {
	for _, tc := range []struct {
		name      string
		userToken bool
		read      string
	}{
		{"user token", true, "GET /api/v1/accounts/1/conversations/%s/messages"},
		{"bot token only", false, "GET /api/v1/accounts/1/conversations/%s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *cloudchat.Config, o *cloudchat.Options, _ *cloudchattest.Options) {
				if !tc.userToken {
					c.UserToken = ""
				}
			})
			conv := e.newConversation(t)
			e.srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500After}})
			rc, err := e.client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Posted once."})
			require.NoError(t, err)
			require.NotEmpty(t, rc.MessageID)
			st := e.harness(t).State(t, conv)
			require.Equal(t, []string{"Posted once."}, st.Public)
			require.Equal(t, 1, e.srv.RequestsTo(http.MethodPost+" /api/v1/accounts/1/conversations/"+conv.ID+"/messages"))
			require.Equal(t, 1, e.srv.RequestsTo(fmt.Sprintf(tc.read, conv.ID)), "one read-back")
		})
	}
}

// Under 20 % of writes failing (each fault kind, before and after Chatwoot
// processed them), a handover with a notice and a note, retried by the
// host until it succeeds, posts the notice and the note exactly once and
// leaves the conversation with the team, open: the messages are read back
// after an ambiguous failure, and a retried handover posts only what an
// earlier attempt did not.
func TestHandoverUnderFaultsPostsNoticeAndNoteOnce(t *testing.T) {
	handovers := 100
	if testing.Short() {
		handovers = 30
	}
	for _, tc := range []struct {
		name      string
		userToken bool
	}{{"user token", true}, {"bot token only", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *cloudchat.Config, o *cloudchat.Options, _ *cloudchattest.Options) {
				if !tc.userToken {
					c.UserToken = ""
				}
				o.NoBudget, o.ConversationLimit = true, -1
			})
			h := e.harness(t)
			convs := make([]helpdesk.Conversation, handovers)
			for i := range convs {
				convs[i] = e.newConversation(t)
			}
			e.srv.InjectFaults(drivertest.FaultPlan{Rate: 0.2, Seed: 16, RetryAfter: time.Second})
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
					to := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(e.team, 10),
						Notice: fmt.Sprintf("A specialist will take over, conversation %d.", i),
						Note:   fmt.Sprintf("Customer %d asked for a refund.", i)}
					for attempt := range 6 {
						if attempt > 0 {
							retries.Add(1)
						}
						if err := e.client.Reassign(context.Background(), conv, to); err == nil {
							return
						}
					}
					failed.Add(1)
				}()
			}
			wg.Wait()
			e.srv.InjectFaults(drivertest.FaultPlan{})
			t.Logf("cloudchat handover, %s: %d handovers, %d host retries, %d failed; faults injected: %v",
				tc.name, handovers, retries.Load(), failed.Load(), e.srv.InjectedFaults())
			require.Zero(t, failed.Load())
			for i, conv := range convs {
				st := h.State(t, conv)
				require.Equal(t, []string{fmt.Sprintf("A specialist will take over, conversation %d.", i)}, st.Public, "conversation %d", i)
				require.Equal(t, []string{fmt.Sprintf("Customer %d asked for a refund.", i)}, st.Notes, "conversation %d", i)
				require.Equal(t, strconv.FormatInt(e.team, 10), st.GroupID, "conversation %d", i)
				require.Equal(t, helpdesk.StatusOpen, st.Status, "conversation %d", i)
			}
		})
	}
}

// A handover whose assignment fails after the notice and the note were
// posted is retried by the host: the retry assigns without posting them
// again, and a later handover of the same kind posts them anew.
func TestRetriedHandoverPostsOnlyWhatIsMissing(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	path := fmt.Sprintf("/api/v1/accounts/1/conversations/%s", conv.ID)
	to := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(e.team, 10),
		Notice: "A specialist will take over.", Note: "Refund asked."}
	// The assignment is refused (unprocessed) on every attempt.
	e.srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500Before},
		Match: func(r *http.Request) bool { return r.URL.Path == path+"/assignments" }})
	require.Error(t, e.client.Reassign(t.Context(), conv, to))
	e.srv.InjectFaults(drivertest.FaultPlan{})
	require.NoError(t, e.client.Reassign(t.Context(), conv, to))
	st := e.harness(t).State(t, conv)
	require.Equal(t, []string{"A specialist will take over."}, st.Public)
	require.Equal(t, []string{"Refund asked."}, st.Notes)
	require.Equal(t, 2, e.srv.RequestsTo(http.MethodPost+" "+path+"/messages"), "notice and note, once each")
	require.Equal(t, strconv.FormatInt(e.team, 10), st.GroupID)

	// Completed, the handover is forgotten: made again, it posts again.
	require.NoError(t, e.client.Reassign(t.Context(), conv, to))
	st = e.harness(t).State(t, conv)
	require.Equal(t, []string{"A specialist will take over.", "A specialist will take over."}, st.Public)
	require.Equal(t, []string{"Refund asked.", "Refund asked."}, st.Notes)
}
