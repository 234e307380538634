package intercom_test

import (
	"context"
	"testing"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

// BenchmarkRequestsPerConversation runs the seed scenario against the
// fake: three bot messages per conversation; half end resolved (the last
// message closes, in one request), half are handed over to the N2 team
// with a notice to the customer (the assignment's body, one request). The
// floor is 3.5 requests per conversation. A hand-over that also leaves an
// internal note costs one more request (the note part), 4.0 on average.
func BenchmarkRequestsPerConversation(b *testing.B) {
	srv := intercomtest.NewServer(b, nil)
	n2 := srv.AddTeam("N2", srv.AddAdmin("Ana", false))
	c, err := intercom.New(intercom.Config{
		AccessToken: intercomtest.DefaultToken, BaseURL: srv.URL, BotAdminID: intercomtest.DefaultBotAdminID,
		BotTeamID: intercomtest.DefaultBotTeamID, N2TeamID: n2, ClientSecrets: []string{"s"},
	}, &intercom.Options{NoBudget: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	target, _ := c.N2()
	target.Notice = "A specialist will take over this conversation shortly."
	convs := 0
	start := srv.Requests()
	for b.Loop() {
		conv := helpdesk.Conversation{Vendor: intercom.Vendor, ID: srv.AddConversation(intercomtest.Conversation{})}
		handover := convs%2 == 1
		msgs := []string{"Hi! Let me check that for you.", "I found your order #1234.", "It ships tomorrow. Anything else?"}
		for i, m := range msgs {
			last := i == len(msgs)-1
			if _, err := c.SendMessage(ctx, conv, helpdesk.Message{Text: m, Resolve: last && !handover}); err != nil {
				b.Fatal(err)
			}
		}
		if handover {
			if err := c.Reassign(ctx, conv, target); err != nil {
				b.Fatal(err)
			}
		}
		convs++
	}
	b.ReportMetric(float64(srv.Requests()-start)/float64(convs), "requests/conversation")
}
