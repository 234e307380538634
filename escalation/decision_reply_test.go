package escalation_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// A decision carries itself out through helpdesk.Reply: an escalation
// with an answer hands over with the answer's last part, in the same
// request where the helpdesk allows.
func TestDecisionReplyOptions(t *testing.T) {
	ctx := context.Background()
	target := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2", Notice: "A specialist will take over."}

	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	d := escalation.Decision{Action: escalation.ActionEscalate, Target: target, Text: "Here is what I found so far."}
	_, err := helpdesk.Reply(ctx, f, conv, d.Text, d.ReplyOptions(nil))
	require.NoError(t, err)
	c, _ := f.Conversation("1")
	require.Equal(t, "n2", c.GroupID)
	require.Equal(t, 1, f.Requests(), "the answer and the handover go in one request")
	require.Equal(t, "Here is what I found so far.\n\nA specialist will take over.", c.Messages[len(c.Messages)-1].Text)

	f = helpdesktest.NewFake()
	conv = f.Open("1", helpdesk.ChannelWebChat)
	d = escalation.Decision{Action: escalation.ActionEscalate, Target: target}
	_, err = helpdesk.Reply(ctx, f, conv, d.Text, d.ReplyOptions(nil))
	require.NoError(t, err, "an escalation without an answer only hands over")
	c, _ = f.Conversation("1")
	require.Equal(t, "A specialist will take over.", c.Messages[len(c.Messages)-1].Text)

	f = helpdesktest.NewFake()
	conv = f.Open("1", helpdesk.ChannelWebChat)
	d = escalation.Decision{Action: escalation.ActionResolve, Text: "Glad to help."}
	rc, err := helpdesk.Reply(ctx, f, conv, d.Text, d.ReplyOptions(nil))
	require.NoError(t, err)
	require.True(t, rc[len(rc)-1].Resolved)

	require.Equal(t, helpdesk.ReplyOptions{}, escalation.Decision{Action: escalation.ActionReply}.ReplyOptions(nil))
}
