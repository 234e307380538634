package drivertest_test

import (
	"net/http"
	"testing"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// A driver's conformance_test.go: a Harness that wires the driver to a
// fresh fake vendor for each subtest. Here the "driver" is the in-memory
// Fake, whose fake vendor is itself; a real driver starts its
// <vendor>test server and points New at it. The kit's own TestFakeConformance
// runs this harness with every Env field set.
func ExampleRunConformance() {
	harness := drivertest.HarnessFunc(func(t *testing.T) *drivertest.Env {
		fake := helpdesktest.NewFake(helpdesktest.WithWebhookSecrets("current-secret", "previous-secret"))
		return &drivertest.Env{
			Helpdesk: fake,
			NewConversation: func(t *testing.T) helpdesk.Conversation {
				conv := fake.Open("", helpdesk.ChannelEmail)
				fake.CustomerWrites(conv, "Where is my order?")
				return conv
			},
			State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State {
				c, _ := fake.Conversation(conv.ID)
				st := drivertest.State{Status: c.Status, GroupID: c.GroupID}
				for _, m := range c.Messages {
					if m.Author == helpdesk.RoleBot && m.Public {
						st.Public = append(st.Public, m.Text)
					}
				}
				return st
			},
			CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
				ev := helpdesk.Event{Type: helpdesk.EventMessageCreated, DeliveryID: conv.ID + ":" + text, Conversation: conv,
					Message: &helpdesk.InboundMessage{Author: helpdesk.Author{Role: helpdesk.RoleCustomer}, Text: text, Public: true}}
				return fake.DeliveryWith(helpdesktest.Signing{At: d.At, Secret: d.Secret}, ev)
			},
			WebhookSecrets: []string{"current-secret", "previous-secret"},
			Secrets:        []string{"current-secret", "previous-secret"},
			SignsTime:      true,
			FailNext:       func(status int) { fake.FailNextWithStatus(helpdesktest.OpSendMessage, status) },
			RetryAfter:     true,
			Stall:          fake.Stall,
			Requests:       fake.Requests,
			Group:          "billing",
			Agent:          "agent-7",
			// BotEcho, Unsigned, Malformed, CloseConversation,
			// ReplyWindowClosed, IdempotencyKeys: see the package
			// documentation.
		}
	})

	// In conformance_test.go:
	//
	//	func TestConformance(t *testing.T) { drivertest.RunConformance(t, harness) }
	_ = harness
}
