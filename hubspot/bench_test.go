package hubspot_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

// seedConversation plays the seed's scenario on one thread: three
// customer messages, each answered (every answer's echo comes back too),
// then either a resolve with the third answer or a handover with a notice.
// Every webhook the vendor would send is parsed, so the GETs they force
// are counted.
func seedConversation(tb testing.TB, c *hubspot.Client, srv *hubspottest.Server, handover bool, to helpdesk.Target) {
	ctx := context.Background()
	thread := srv.NewThread("Hi")
	parse := func(body []byte) []helpdesk.Event {
		events, err := drivertest.Deliver(ctx, c, hubspottest.SignedRequest(ctx, body, clientSecrets[0], time.Time{}))
		if err != nil {
			tb.Fatal(err)
		}
		return events
	}
	for i := range 3 {
		events := parse(srv.CustomerDelivery(thread, "question "+strconv.Itoa(i)))
		conv := events[0].Conversation
		answer := "answer " + strconv.Itoa(i)
		_, err := c.SendMessage(ctx, conv, helpdesk.Message{Text: answer, Resolve: i == 2 && !handover})
		if err != nil {
			tb.Fatal(err)
		}
		parse(srv.BotDelivery(thread, answer))
		if i == 2 && !handover {
			parse(hubspottest.Batch(srv.PropertyChangeEvent(thread, "status", "CLOSED")))
		}
		if i == 2 && handover {
			to.Notice = "A specialist will take over."
			if err := c.Reassign(ctx, conv, to); err != nil {
				tb.Fatal(err)
			}
			parse(srv.BotDelivery(thread, to.Notice))
			parse(hubspottest.Batch(srv.PropertyChangeEvent(thread, "assignedTo", "A-"+strconv.Itoa(hubspottest.AgentUserID))))
		}
	}
}

// BenchmarkSeedScenario reports the requests one conversation costs in
// the seed's scenario (3 bot messages; half resolved, half handed over),
// the GETs that newMessage webhooks force included, per handover mode.
func BenchmarkSeedScenario(b *testing.B) {
	agentTarget := helpdesk.Target{Kind: helpdesk.TargetAgent, ID: strconv.Itoa(hubspottest.AgentUserID)}
	modes := []struct {
		name string
		edit func(*hubspot.Config)
		to   helpdesk.Target
	}{
		{"agent", nil, agentTarget},
		{"owner", func(c *hubspot.Config) { c.HandoverMode = hubspot.HandoverOwner }, agentTarget},
		{"event", eventConfig, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.Itoa(hubspottest.TeamID)}},
	}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			srv := hubspottest.NewServer(b)
			cfg := srv.Config(clientSecrets...)
			if m.edit != nil {
				m.edit(&cfg)
			}
			c, err := hubspot.New(cfg, &hubspot.Options{HTTPClient: srv.Client(), NoBudget: true, ConversationLimit: -1})
			if err != nil {
				b.Fatal(err)
			}
			start, convs := srv.Requests(), 0
			for b.Loop() {
				seedConversation(b, c, srv, false, m.to)
				seedConversation(b, c, srv, true, m.to)
				convs += 2
			}
			b.ReportMetric(float64(srv.Requests()-start)/float64(convs), "requests/conversation")
		})
	}
}

// TestSeedScenarioRequests pins the figures BenchmarkSeedScenario reports.
func TestSeedScenarioRequests(t *testing.T) {
	tests := []struct {
		name               string
		edit               func(*hubspot.Config)
		to                 helpdesk.Target
		resolved, handover int
	}{
		// 3 GETs (customer messages) + 3 POSTs, + PATCH to resolve.
		{"agent", nil, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: strconv.Itoa(hubspottest.AgentUserID)}, 7, 8},
		// handover: notice + GET thread + 2 owner pages + PATCH ticket.
		{"owner", func(c *hubspot.Config) { c.HandoverMode = hubspot.HandoverOwner }, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: strconv.Itoa(hubspottest.AgentUserID)}, 7, 11},
		// handover: notice + GET thread + POST event.
		{"event", eventConfig, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.Itoa(hubspottest.TeamID)}, 7, 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := hubspottest.NewServer(t)
			cfg := srv.Config(clientSecrets...)
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			c, err := hubspot.New(cfg, &hubspot.Options{HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			before := srv.Requests()
			seedConversation(t, c, srv, false, tc.to)
			if got := srv.Requests() - before; got != tc.resolved {
				t.Fatalf("resolved conversation: %d requests, want %d", got, tc.resolved)
			}
			before = srv.Requests()
			seedConversation(t, c, srv, true, tc.to)
			if got := srv.Requests() - before; got != tc.handover {
				t.Fatalf("handed-over conversation: %d requests, want %d", got, tc.handover)
			}
		})
	}
}
