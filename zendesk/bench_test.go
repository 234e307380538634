package zendesk_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// BenchmarkTicketScenario runs the help article's ticket: three bot
// messages, the last one resolving the ticket, except in every second
// ticket, which ends with a hand-over to N2 instead. It reports the
// requests the fake Zendesk received per ticket (the article's own
// arithmetic gives 3 + 2 + 0.5 = 5.5).
func BenchmarkTicketScenario(b *testing.B) {
	for _, bc := range []struct {
		name   string
		target helpdesk.Target
	}{
		{"handover=notice", helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200", Notice: "A specialist will take over."}},
		{"handover=notice+note", helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200", Notice: "A specialist will take over.", Note: "Low confidence on billing."}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := zendesktest.NewServer(b, nil)
			client, err := zendesk.New(srv.Config(), &zendesk.Options{NoBudget: true})
			require.NoError(b, err)
			ctx := context.Background()
			msgs := []string{"Hi! Let me check that for you.", "Your order left the warehouse yesterday.", "Here is the tracking link: https://track.example/1."}
			tickets := make([]helpdesk.Conversation, b.N)
			for i := range tickets {
				tickets[i] = zendesk.TicketConversation("acme", srv.CreateTicket("Order", "Where is my order?"))
			}
			before := srv.Requests()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				handover := i%2 == 1
				for j, text := range msgs {
					final := j == len(msgs)-1
					if _, err := client.SendMessage(ctx, tickets[i], helpdesk.Message{Text: text, Resolve: final && !handover}); err != nil {
						b.Fatal(err)
					}
				}
				if handover {
					if err := client.Reassign(ctx, tickets[i], bc.target); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(srv.Requests()-before)/float64(b.N), "requests/ticket")
		})
	}
}

func triggerFixture(b *testing.B) []byte {
	body := fixture(b, "trigger_seed.json")
	return body
}

// BenchmarkParseTrigger is ParseWebhook on a signed trigger delivery (the
// seed body), signature verification included.
func BenchmarkParseTrigger(b *testing.B) {
	c := webhookClient(b)
	body := triggerFixture(b)
	req := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0, "01J0INVOCATION")
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ParseWebhook(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalTrigger is the baseline: json.Unmarshal of the same
// bytes into the same struct.
func BenchmarkUnmarshalTrigger(b *testing.B) {
	body := triggerFixture(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var p zendesk.TriggerPayload
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyTrigger is the signature check alone (HMAC-SHA256 over
// timestamp + body, base64, tolerance).
func BenchmarkVerifyTrigger(b *testing.B) {
	c := webhookClient(b)
	body := triggerFixture(b)
	req := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0, "01J0INVOCATION")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.VerifyTrigger(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSunshine parses the six-event fixture.
func BenchmarkParseSunshine(b *testing.B) {
	c := webhookClient(b)
	body := fixture(b, "sunshine_batch.json")
	req := &helpdesk.WebhookRequest{Header: map[string][]string{"Content-Type": {"application/json"}, "X-Api-Key": {testSunSecret}}, Body: body, ReceivedAt: time.Now()}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ParseWebhook(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVsUnmarshal alternates ParseWebhook (signature check
// included) and a plain json.Unmarshal of the same bytes into the same
// struct in one loop, so machine noise hits both alike, and reports each
// one's time and their ratio.
func BenchmarkParseVsUnmarshal(b *testing.B) {
	for _, bc := range []struct {
		name    string
		secrets []string
	}{
		{"secrets=1", []string{testSecret}},
		{"secrets=2", []string{"previous-secret", testSecret}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := webhookClient(b, func(cfg *zendesk.Config) { cfg.WebhookSecrets = bc.secrets })
			body := triggerFixture(b)
			req := zendesktest.NewTriggerWebhookRequest(testSecret, body, t0, "01J0INVOCATION")
			ctx := context.Background()
			var parse, unmarshal time.Duration
			const chunk = 64
			for b.Loop() {
				start := time.Now()
				for range chunk {
					var p zendesk.TriggerPayload
					if err := json.Unmarshal(body, &p); err != nil {
						b.Fatal(err)
					}
				}
				mid := time.Now()
				for range chunk {
					if _, err := c.ParseWebhook(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
				parse += time.Since(mid)
				unmarshal += mid.Sub(start)
			}
			b.ReportMetric(float64(parse.Nanoseconds())/float64(b.N*chunk), "ns/parse")
			b.ReportMetric(float64(unmarshal.Nanoseconds())/float64(b.N*chunk), "ns/unmarshal")
			b.ReportMetric(float64(parse)/float64(unmarshal), "parse/unmarshal")
		})
	}
}
