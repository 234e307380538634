package cloudchat_test

import (
	"fmt"
	"net/http"
	"testing"

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
