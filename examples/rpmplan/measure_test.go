package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

var update = flag.Bool("update", false, "rewrite measured.json from this run")

// scenario is one driver wired to its fake: a fresh conversation, a
// hand-over target, and the fake's request count.
type scenario struct {
	driver, fake string
	hd           helpdesk.Helpdesk
	newConv      func() helpdesk.Conversation
	n2           helpdesk.Target
	requests     func() int
}

func scenarios(t *testing.T) []scenario {
	zd := zendesktest.NewServer(t, nil)
	zc, err := zendesk.New(zd.Config(), &zendesk.Options{NoBudget: true})
	require.NoError(t, err)

	cc := cloudchattest.NewServer(t, nil)
	team := cc.AddTeam("Level 2", cc.AddAgent("Ana", "online"))
	ccc, err := cloudchat.New(cloudchat.Config{
		BaseURL: cc.URL, AccountID: cloudchattest.DefaultAccountID, APIToken: cloudchattest.DefaultBotToken,
		UserToken: cloudchattest.DefaultUserToken, BotID: cloudchattest.DefaultBotID, WebhookSecrets: []string{"whsec-measure"},
		ServerVersion: cloudchattest.DefaultVersion, ContactInboxID: cloudchattest.DefaultInboxID,
	}, &cloudchat.Options{NoBudget: true})
	require.NoError(t, err)

	ic := intercomtest.NewServer(t, nil)
	icTeam := ic.AddTeam("Level 2", ic.AddAdmin("Ana", false))
	icc, err := intercom.New(intercom.Config{
		BaseURL: ic.URL, AccessToken: intercomtest.DefaultToken, BotAdminID: intercomtest.DefaultBotAdminID,
		BotTeamID: intercomtest.DefaultBotTeamID, ClientSecrets: []string{"measure-secret"}, AppID: intercomtest.DefaultAppID,
	}, &intercom.Options{NoBudget: true})
	require.NoError(t, err)

	notice := "A specialist will take over."
	return []scenario{
		{
			driver: "zendesk", fake: "zendesktest (tickets)", hd: zc, requests: zd.Requests,
			newConv: func() helpdesk.Conversation {
				return zendesk.TicketConversation(zendesktest.DefaultSubdomain, zd.CreateTicket("Order", "Where is my order?"))
			},
			n2: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(zendesktest.DefaultN2GroupID, 10), Notice: notice},
		},
		{
			driver: "cloudchat", fake: "cloudchattest", hd: ccc, requests: cc.Requests,
			newConv: func() helpdesk.Conversation {
				id := cc.AddConversation(cloudchattest.Conversation{
					Status: "pending", AssigneeID: cloudchattest.DefaultBotID, AssigneeType: "AgentBot", CanReply: true,
					Channel: "Channel::Api", Messages: []cloudchattest.Message{{ID: 1, Content: "Oi", MessageType: 0, SenderType: "Contact"}},
				})
				return helpdesk.Conversation{Vendor: cloudchat.Vendor, Account: "1", ID: strconv.FormatInt(id, 10), Channel: helpdesk.ChannelAPI,
					Extra: map[string]string{cloudchat.ExtraStatus: "pending", cloudchat.ExtraCanReply: "true"}}
			},
			n2: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(team, 10), Notice: notice},
		},
		{
			driver: "intercom", fake: "intercomtest", hd: icc, requests: ic.Requests,
			newConv: func() helpdesk.Conversation {
				return helpdesk.Conversation{Vendor: intercom.Vendor, Account: intercomtest.DefaultAppID, ID: ic.AddConversation(intercomtest.Conversation{}), Channel: helpdesk.ChannelWebChat}
			},
			n2: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: icTeam, Notice: notice},
		},
	}
}

// measure runs the seed scenario n times through one driver: three bot
// messages per ticket, the last resolving it, and in every second ticket
// a hand-over after the messages instead of the resolve.
func measure(t *testing.T, sc scenario, n int) Measured {
	ctx := context.Background()
	var msgs, resolves, handovers int
	for i := range n {
		conv := sc.newConv()
		handover := i%2 == 1
		for j := range 3 {
			final := j == 2 && !handover
			before := sc.requests()
			_, err := sc.hd.SendMessage(ctx, conv, helpdesk.Message{Text: "Answer part " + strconv.Itoa(j+1) + ".", Resolve: final})
			require.NoError(t, err, sc.driver)
			if final {
				resolves += sc.requests() - before
			} else {
				msgs += sc.requests() - before
			}
		}
		if handover {
			before := sc.requests()
			require.NoError(t, sc.hd.Reassign(ctx, conv, sc.n2), sc.driver)
			handovers += sc.requests() - before
		}
	}
	plain := 3*n - n/2 - n%2 // messages sent without Resolve
	perMessage := float64(msgs) / float64(plain)
	resolved := n - n/2
	return Measured{
		Driver: sc.driver, Fake: sc.fake, PerMessage: perMessage,
		PerResolve:  float64(resolves)/float64(resolved) - perMessage,
		PerHandover: float64(handovers) / float64(n/2),
	}
}

const seedScenario = "3 bot messages per ticket, the last resolving it, or a hand-over with a notice after them in every second ticket"

// The figures rpmplan plans with are the drivers' own: this test runs the
// scenario against each fake and fails when measured.json disagrees
// (-update rewrites it).
func TestMeasuredFigures(t *testing.T) {
	got := Measurements{Scenario: seedScenario}
	for _, sc := range scenarios(t) {
		got.Drivers = append(got.Drivers, measure(t, sc, 20))
	}
	got, err := parseMeasurements(mustJSON(t, got))
	require.NoError(t, err)
	for _, d := range got.Drivers {
		t.Logf("%s: %.4g requests/ticket (message %.4g, resolve %.4g, hand-over %.4g)", d.Driver,
			3*d.PerMessage+d.PerResolve+0.5*d.PerHandover, d.PerMessage, d.PerResolve, d.PerHandover)
	}
	if *update {
		require.NoError(t, os.WriteFile("measured.json", append(mustJSON(t, got), '\n'), 0o644))
		return
	}
	want, from, err := loadMeasurements("")
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(want, got), "%s is stale: go test ./examples/rpmplan -run TestMeasuredFigures -update", from)
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	return b
}
