package helpdesktest_test

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
var webhookSecrets = []string{"fake-secret-current-5e0a", "fake-secret-previous-c3d9"}

// faultKinds maps the kit's faults onto the Fake's, which fails in memory
// the same ways a fake vendor server does over HTTP.
var faultKinds = map[drivertest.Fault]helpdesktest.Fault{
	drivertest.Fault429:           helpdesktest.Fault429,
	drivertest.Fault503Before:     helpdesktest.Fault503Before,
	drivertest.Fault500Before:     helpdesktest.Fault500Before,
	drivertest.Fault500After:      helpdesktest.Fault500After,
	drivertest.Fault503After:      helpdesktest.Fault503After,
	drivertest.FaultTimeoutBefore: helpdesktest.FaultTimeoutBefore,
	drivertest.FaultTimeoutAfter:  helpdesktest.FaultTimeoutAfter,
	drivertest.FaultResetBefore:   helpdesktest.FaultResetBefore,
	drivertest.FaultResetAfter:    helpdesktest.FaultResetAfter,
}

// faultPlan converts the kit's plan (Match and Hold, which concern HTTP,
// do not apply: the Fake fails writes and never holds one).
func faultPlan(t *testing.T, p drivertest.FaultPlan) helpdesktest.FaultPlan {
	out := helpdesktest.FaultPlan{Rate: p.Rate, Seed: p.Seed, RetryAfter: p.RetryAfter}
	for _, k := range p.Kinds {
		fk, ok := faultKinds[k]
		require.True(t, ok, "no Fake fault for the kit's %v", k)
		out.Kinds = append(out.Kinds, fk)
	}
	return out
}

// newEnv wires a Fake built with opts to the conformance kit.
func newEnv(t *testing.T, opts ...helpdesktest.FakeOption) (*drivertest.Env, *helpdesktest.Fake) {
	f := helpdesktest.NewFake(append([]helpdesktest.FakeOption{helpdesktest.WithWebhookSecrets(webhookSecrets...)}, opts...)...)
	customer := func(conv helpdesk.Conversation, text string) helpdesk.Event {
		// The id is what the vendor would send again on redelivery.
		return helpdesk.Event{
			Type: helpdesk.EventMessageCreated, DeliveryID: "d-" + conv.ID + "-" + text, OccurredAt: time.Unix(1767225600, 0),
			Conversation: conv,
			Message:      &helpdesk.InboundMessage{ID: "c-" + text, Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "cust"}, Text: text, Public: true},
		}
	}
	return &drivertest.Env{
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
				switch {
				case m.Author != helpdesk.RoleBot:
				case m.Public:
					st.Public = append(st.Public, m.Text)
				default:
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
		Secrets:        webhookSecrets,
		WebhookSecrets: webhookSecrets,
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
		RetryAfter:   true,
		Stall:        f.Stall,
		InjectFaults: func(p drivertest.FaultPlan) { f.InjectFaults(faultPlan(t, p)) },
		Requests:     f.Requests,
	}, f
}

// The Fake is a driver like any other: it passes the kit, the fault
// scenario included.
func TestConformance(t *testing.T) {
	drivertest.RunConformance(t, drivertest.HarnessFunc(func(t *testing.T) *drivertest.Env {
		env, _ := newEnv(t)
		return env
	}))
}

// Under 20 % of writes failing (each fault kind, before and after the Fake
// stored them), every multi-part answer arrives once, complete and in
// order, whether or not the Fake honours idempotency keys: its driver
// reads the conversation back after an ambiguous failure.
func TestFaultsEveryAnswerOnceInOrder(t *testing.T) {
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
			env, f := newEnv(t, tc.opts...)
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
