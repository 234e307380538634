package drivertest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// Secrets of the Fake's harness: the current webhook secret and the one
// being rotated out.
const (
	fakeSecret    = "fake-secret-current-8b1d"
	fakeOldSecret = "fake-secret-previous-31c7"
)

// fakeHarness wires the in-memory Fake to the suite: the Fake is a
// driver.Driver inside driver.New, so it must pass like any real driver.
// env, when set, changes the Env after it is built (the mutation tests
// plant broken handlers through it).
func fakeHarness(env func(*drivertest.Env), opts ...helpdesktest.FakeOption) drivertest.HarnessFunc {
	return func(t *testing.T) *drivertest.Env {
		opts := append([]helpdesktest.FakeOption{helpdesktest.WithWebhookSecrets(fakeSecret, fakeOldSecret)}, opts...)
		f := helpdesktest.NewFake(opts...)
		customer := func(conv helpdesk.Conversation, text string) helpdesk.Event {
			// The id is what the vendor would send again on redelivery.
			return helpdesk.Event{
				Type: helpdesk.EventMessageCreated, DeliveryID: "d-" + conv.ID + "-" + text, OccurredAt: time.Unix(1767225600, 0),
				Conversation: conv,
				Message:      &helpdesk.InboundMessage{ID: "c-" + text, Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "cust"}, Text: text, Public: true},
			}
		}
		e := &drivertest.Env{
			Helpdesk: f,
			Group:    "n2-group",
			Agent:    "agent-7",
			NewConversation: func(t *testing.T) helpdesk.Conversation {
				c := f.Open("", helpdesk.ChannelWhatsApp)
				f.CustomerWrites(c, "hello")
				return c
			},
			State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State {
				c, ok := f.Conversation(conv.ID)
				require.True(t, ok, "no conversation %s at the Fake", conv.ID)
				st := drivertest.State{Status: c.Status, GroupID: c.GroupID, AgentID: c.AgentID}
				if st.AgentID == helpdesktest.FakeBotID {
					st.AgentID = ""
				}
				for _, m := range c.Messages {
					if m.Author != helpdesk.RoleBot {
						continue
					}
					if m.Public {
						st.Public = append(st.Public, m.Text)
					} else {
						st.Notes = append(st.Notes, m.Text)
					}
					st.Attachments = append(st.Attachments, m.Attachments...)
				}
				return st
			},
			CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
				return f.DeliveryWith(helpdesktest.Signing{At: d.At, Secret: d.Secret}, customer(conv, text))
			},
			BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
				return f.Delivery(f.BotEcho(conv, text))
			},
			Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
				r := f.Delivery(customer(conv, text))
				r.Header.Del(helpdesktest.FakeSignatureHeader)
				return r
			},
			Malformed:      func(t *testing.T) *http.Request { return f.SignedRequest([]byte(`{"events":[{"type":`)) },
			Secrets:        []string{fakeSecret, fakeOldSecret},
			WebhookSecrets: []string{fakeSecret, fakeOldSecret},
			SignsTime:      true,
			CloseConversation: func(t *testing.T, conv helpdesk.Conversation) helpdesk.Conversation {
				f.Close(conv.ID)
				return conv
			},
			ReplyWindowClosed: func(t *testing.T) helpdesk.Conversation {
				c := f.Open("", helpdesk.ChannelWhatsApp)
				f.CustomerWrites(c, "hello, yesterday")
				return f.CloseReplyWindow(c)
			},
			IdempotencyKeys: f.IdempotencyKeys,
			FailNext: func(status int) {
				for _, op := range []helpdesktest.Op{helpdesktest.OpSendMessage, helpdesktest.OpResolve, helpdesktest.OpReassign} {
					f.FailNextWithStatus(op, status)
				}
			},
			RetryAfter: true,
			Stall:      f.Stall,
			// The Fake fails writes in memory the ways a VendorServer fails
			// them over HTTP (the same faults, the same seeded draw); Match
			// and Hold concern HTTP and do not apply.
			InjectFaults: func(p drivertest.FaultPlan) {
				f.InjectFaults(helpdesktest.FaultPlan{Rate: p.Rate, Seed: p.Seed, Kinds: p.Kinds, RetryAfter: p.RetryAfter})
			},
			Requests: f.Requests,
		}
		if env != nil {
			env(e)
		}
		return e
	}
}

func TestFakeConformance(t *testing.T) {
	drivertest.RunConformance(t, fakeHarness(nil))
}

// Under 20 % of writes failing (each fault kind, before and after the Fake
// stored them), every multi-part answer arrives once, complete and in
// order, whether or not the Fake honours idempotency keys: its driver
// reads the conversation back after an ambiguous failure.
func TestFakeFaultsEveryAnswerOnceInOrder(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	for _, tc := range []struct {
		name string
		opts []helpdesktest.FakeOption
	}{
		{"keys ignored", []helpdesktest.FakeOption{helpdesktest.WithIdempotencyKeysIgnored()}},
		{"keys honoured", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f *helpdesktest.Fake
			env := fakeHarness(func(e *drivertest.Env) { f = e.Helpdesk.(*helpdesktest.Fake) }, tc.opts...)(t)
			r := drivertest.RunFaults(t, env, drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
			t.Logf("fake, %s: %s; faults injected: %v", tc.name, r, f.InjectedFaults())
			require.Equal(t, r.Answers, r.Complete, "%s", r)
			require.Zero(t, r.DuplicatedParts)
			require.Zero(t, r.MissingParts)
			require.Zero(t, r.OutOfOrder)
			require.Zero(t, r.Errors)
			require.Len(t, f.InjectedFaults(), len(helpdesktest.AllFaults), "every kind was injected")
		})
	}
}

func TestFakeConformanceSendAndResolveOnly(t *testing.T) {
	// A helpdesk that can only send messages and resolve separately (an
	// SMS gateway without webhooks) must still pass: everything else,
	// webhooks included, says ErrUnsupported.
	drivertest.RunConformance(t, fakeHarness(nil, helpdesktest.WithCapabilities(
		helpdesk.Capabilities(helpdesk.CapSendMessage|helpdesk.CapResolve))))
}
