package helpdesktest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// RunConformance runs the behaviour every Helpdesk driver must show, against
// the fake vendor the harness sets up. Capabilities the driver does not
// declare are checked to fail with helpdesk.ErrUnsupported, never skipped.
//
// Deprecated: use drivertest.RunConformance, which checks far more (stale
// and rotated deliveries, queued redelivery, receipts against the vendor's
// state, attachments, idempotency keys, closed conversations, secrets in
// errors). This copy will be removed.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, env *Env)
	}{
		{"Capabilities", testCapabilities},
		{"SendMessage/PartsInOrder", testPartsInOrder},
		{"SendMessage/FinalMessageResolves", testFinalMessageResolves},
		{"SendMessage/InternalNote", testInternalNote},
		{"Resolve", testResolve},
		{"Reassign/Group", func(t *testing.T, env *Env) { testReassign(t, env, helpdesk.TargetGroup, false) }},
		{"Reassign/GroupWithNoticeAndNote", func(t *testing.T, env *Env) { testReassign(t, env, helpdesk.TargetGroup, true) }},
		{"Reassign/Agent", func(t *testing.T, env *Env) { testReassign(t, env, helpdesk.TargetAgent, false) }},
		{"Reassign/AgentWithNoticeAndNote", func(t *testing.T, env *Env) { testReassign(t, env, helpdesk.TargetAgent, true) }},
		{"Reassign/InvalidTarget", testReassignInvalid},
		{"Webhook/CustomerMessage", testWebhookCustomer},
		{"Webhook/BotEcho", testWebhookEcho},
		{"Webhook/Forged", testWebhookForged},
		{"Webhook/Unsigned", testWebhookUnsigned},
		{"Webhook/Malformed", testWebhookMalformed},
		{"Webhook/HandlerDropsRedelivery", testHandlerRedelivery},
		{"Errors/Unauthorized", func(t *testing.T, env *Env) {
			testVendorError(t, env, http.StatusUnauthorized, helpdesk.ErrUnauthorized)
		}},
		{"Errors/NotFound", func(t *testing.T, env *Env) { testVendorError(t, env, http.StatusNotFound, helpdesk.ErrNotFound) }},
		{"Errors/RateLimited", func(t *testing.T, env *Env) {
			testVendorError(t, env, http.StatusTooManyRequests, helpdesk.ErrRateLimited)
		}},
		{"Context/Cancelled", testContextCancelled},
		{"Context/Deadline", testContextDeadline},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := h.Setup(t)
			require.NotNil(t, env, "harness returned a nil Env")
			require.NotNil(t, env.Helpdesk, "harness Env has no Helpdesk")
			tc.fn(t, env)
		})
	}
}

func caps(env *Env) helpdesk.Capabilities { return env.Helpdesk.Capabilities() }

func testCapabilities(t *testing.T, env *Env) {
	c := caps(env)
	require.NotZero(t, c, "a driver must declare its capabilities")
	if c.Has(helpdesk.CapResolveWithMessage) {
		require.True(t, c.Has(helpdesk.CapResolve|helpdesk.CapSendMessage), "resolve-with-message implies send and resolve")
	}
}

func testPartsInOrder(t *testing.T, env *Env) {
	ctx := context.Background()
	conv := env.NewConversation(t)
	parts := []string{"First part of the answer.", "Second part, with a link https://example.com/a?b=c.", "Third and last part."}
	splitter := helpdesk.SplitterFunc(func(string) ([]string, error) { return parts, nil })
	_, err := helpdesk.Reply(ctx, env.Helpdesk, conv, "ignored", helpdesk.ReplyOptions{Splitter: splitter})
	if !caps(env).Has(helpdesk.CapSendMessage) {
		requireUnsupported(t, err)
		return
	}
	require.NoError(t, err)
	st := env.State(t, conv)
	require.Equal(t, parts, tail(st.Public, len(parts)), "parts must arrive in order")
	require.NotEqual(t, helpdesk.StatusResolved, st.Status, "a reply without Resolve must not resolve")
}

func testFinalMessageResolves(t *testing.T, env *Env) {
	ctx := context.Background()
	conv := env.NewConversation(t)
	c := caps(env)
	before := env.Requests()
	rcpt, err := env.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: "Glad I could help. Closing this now.", Resolve: true})
	switch {
	case !c.Has(helpdesk.CapSendMessage):
		requireUnsupported(t, err)
		return
	case !c.Has(helpdesk.CapResolveWithMessage):
		// The driver must not silently drop Resolve: it either does it or
		// says it cannot; Reply then resolves separately.
		if err != nil {
			requireUnsupported(t, err)
		} else {
			require.NotNil(t, rcpt)
			if !rcpt.Resolved {
				require.NotEqual(t, helpdesk.StatusResolved, env.State(t, conv).Status)
			}
		}
		conv = env.NewConversation(t)
		_, err = helpdesk.Reply(ctx, env.Helpdesk, conv, "Glad I could help.", helpdesk.ReplyOptions{Resolve: true})
		if !c.Has(helpdesk.CapResolve) {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, helpdesk.StatusResolved, env.State(t, conv).Status)
		return
	}
	require.NoError(t, err)
	require.NotNil(t, rcpt)
	require.True(t, rcpt.Resolved, "Receipt.Resolved must report the resolve")
	require.Equal(t, 1, env.Requests()-before, "final message and resolve must go in one request")
	st := env.State(t, conv)
	require.Equal(t, helpdesk.StatusResolved, st.Status)
	require.Equal(t, "Glad I could help. Closing this now.", last(st.Public))
}

func testInternalNote(t *testing.T, env *Env) {
	conv := env.NewConversation(t)
	_, err := env.Helpdesk.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Customer verified by phone.", Internal: true})
	if !caps(env).Has(helpdesk.CapInternalNote) {
		requireUnsupported(t, err)
		return
	}
	require.NoError(t, err)
	st := env.State(t, conv)
	require.Contains(t, st.Notes, "Customer verified by phone.")
	require.NotContains(t, st.Public, "Customer verified by phone.", "an internal note must not reach the customer")
}

func testResolve(t *testing.T, env *Env) {
	conv := env.NewConversation(t)
	err := env.Helpdesk.Resolve(context.Background(), conv)
	if !caps(env).Has(helpdesk.CapResolve) {
		requireUnsupported(t, err)
		return
	}
	require.NoError(t, err)
	require.Equal(t, helpdesk.StatusResolved, env.State(t, conv).Status)
}

func testReassign(t *testing.T, env *Env, kind helpdesk.TargetKind, extras bool) {
	conv := env.NewConversation(t)
	target := helpdesk.Target{Kind: kind, ID: env.Group}
	need := helpdesk.CapReassignGroup
	if kind == helpdesk.TargetAgent {
		target.ID = env.Agent
		need = helpdesk.CapReassignAgent
	}
	if extras {
		target.Notice = "A specialist will take over this conversation shortly."
		target.Note = "Escalated by the bot: low confidence on a billing question."
	}
	err := env.Helpdesk.Reassign(context.Background(), conv, target)
	if !caps(env).Has(need) {
		requireUnsupported(t, err)
		return
	}
	require.NoError(t, err)
	st := env.State(t, conv)
	if kind == helpdesk.TargetGroup {
		require.Equal(t, env.Group, st.GroupID, "conversation must move to the group")
		require.Empty(t, st.AgentID, "moving to a group must clear the bot as assignee")
	} else {
		require.Equal(t, env.Agent, st.AgentID, "conversation must be assigned to the agent")
	}
	require.NotEqual(t, helpdesk.StatusResolved, st.Status, "a handover must not resolve")
	if extras {
		require.Equal(t, target.Notice, last(st.Public), "the handoff notice must reach the customer")
		if caps(env).Has(helpdesk.CapInternalNote) {
			require.Contains(t, st.Notes, target.Note, "the internal note must be left for agents")
		}
		require.NotContains(t, st.Public, target.Note, "the internal note must never reach the customer")
	}
}

func testReassignInvalid(t *testing.T, env *Env) {
	conv := env.NewConversation(t)
	before := env.Requests()
	err := env.Helpdesk.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup})
	require.Error(t, err)
	require.True(t, errors.Is(err, helpdesk.ErrInvalidRequest) || errors.Is(err, helpdesk.ErrUnsupported),
		"an empty target must be refused locally, got %v", err)
	require.Equal(t, before, env.Requests(), "an invalid target must not cost a request")
}

func testWebhookCustomer(t *testing.T, env *Env) {
	if !caps(env).Has(helpdesk.CapWebhooks) {
		conv := env.NewConversation(t)
		_, err := Deliver(context.Background(), env.Helpdesk, env.CustomerMessage(t, conv, "hi"))
		requireUnsupported(t, err)
		return
	}
	conv := env.NewConversation(t)
	text := "Olá! Meu pedido #123 não chegou — pode verificar?"
	events, err := Deliver(context.Background(), env.Helpdesk, env.CustomerMessage(t, conv, text))
	require.NoError(t, err)
	var found *helpdesk.Event
	for i := range events {
		if events[i].IsCustomerMessage() {
			found = &events[i]
		}
	}
	require.NotNil(t, found, "a customer message must give a public customer message event, got %+v", events)
	require.Equal(t, text, strings.TrimSpace(found.Message.Text))
	require.False(t, found.Message.Author.Self)
	require.Equal(t, conv.ID, found.Conversation.ID)
	require.NotEmpty(t, found.Conversation.Vendor)
	require.NotEmpty(t, found.DeliveryID, "events must carry a delivery id for dedupe")
	require.NotEmpty(t, found.Raw, "events must keep the raw payload")
	require.False(t, found.OccurredAt.IsZero(), "events must say when they happened")

	// The conversation reference from the webhook is enough to answer.
	if caps(env).Has(helpdesk.CapSendMessage) {
		_, err = env.Helpdesk.SendMessage(context.Background(), found.Conversation, helpdesk.Message{Text: "Checking it now."})
		require.NoError(t, err)
		require.Equal(t, "Checking it now.", last(env.State(t, conv).Public))
	}

	// The same delivery parsed twice gives the same delivery ids.
	again, err := Deliver(context.Background(), env.Helpdesk, env.CustomerMessage(t, conv, text))
	require.NoError(t, err)
	require.Equal(t, len(events), len(again))
}

func testWebhookEcho(t *testing.T, env *Env) {
	if !caps(env).Has(helpdesk.CapWebhooks) {
		return
	}
	conv := env.NewConversation(t)
	events, err := Deliver(context.Background(), env.Helpdesk, env.BotEcho(t, conv, "Here is your tracking link."))
	require.NoError(t, err)
	for _, e := range events {
		require.False(t, e.IsCustomerMessage(), "the bot's own message must never look like a customer message: %+v", e)
		if e.Type == helpdesk.EventMessageCreated {
			require.True(t, e.FromSelf(), "the bot's own message must be marked Self: %+v", e.Message)
			require.Equal(t, helpdesk.RoleBot, e.Message.Author.Role)
		}
	}
}

func testWebhookForged(t *testing.T, env *Env) {
	if !caps(env).Has(helpdesk.CapWebhooks) {
		return
	}
	conv := env.NewConversation(t)
	_, err := Deliver(context.Background(), env.Helpdesk, env.Forged(t, conv, "give me a refund"))
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
	requireHandlerStatus(t, env, env.Forged(t, conv, "give me a refund"), http.StatusUnauthorized)
}

func testWebhookUnsigned(t *testing.T, env *Env) {
	if !caps(env).Has(helpdesk.CapWebhooks) {
		return
	}
	conv := env.NewConversation(t)
	_, err := Deliver(context.Background(), env.Helpdesk, env.Unsigned(t, conv, "hello"))
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
	requireHandlerStatus(t, env, env.Unsigned(t, conv, "hello"), http.StatusUnauthorized)
}

func testWebhookMalformed(t *testing.T, env *Env) {
	if !caps(env).Has(helpdesk.CapWebhooks) {
		return
	}
	_, err := Deliver(context.Background(), env.Helpdesk, env.Malformed(t))
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
	rec := serve(t, env, env.Malformed(t), nil)
	require.GreaterOrEqual(t, rec.Code, 400)
	require.Less(t, rec.Code, 500, "malformed deliveries get a 4xx")
}

func testHandlerRedelivery(t *testing.T, env *Env) {
	if !caps(env).Has(helpdesk.CapWebhooks) {
		return
	}
	conv := env.NewConversation(t)
	var calls atomic.Int32
	fn := func(_ context.Context, e helpdesk.Event) error {
		if e.IsCustomerMessage() {
			calls.Add(1)
		}
		return nil
	}
	h, err := helpdesk.NewWebhookHandler(env.Helpdesk, fn, nil)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, env.CustomerMessage(t, conv, "is anyone there?"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	require.Equal(t, int32(1), calls.Load(), "a redelivered event must be handled once")
}

func testVendorError(t *testing.T, env *Env, status int, sentinel error) {
	conv := env.NewConversation(t)
	env.FailNext(status)
	var err error
	if caps(env).Has(helpdesk.CapSendMessage) {
		_, err = env.Helpdesk.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hello"})
	} else {
		err = env.Helpdesk.Resolve(context.Background(), conv)
	}
	require.ErrorIs(t, err, sentinel)
	var apiErr *helpdesk.APIError
	require.ErrorAs(t, err, &apiErr, "vendor errors must be *helpdesk.APIError")
	require.Equal(t, status, apiErr.StatusCode)
	if status == http.StatusTooManyRequests {
		require.Positive(t, apiErr.RetryAfter, "a 429 must report how long to wait")
	}
}

func testContextCancelled(t *testing.T, env *Env) {
	conv := env.NewConversation(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := env.Requests()
	_, err := env.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: "too late"})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, env.Helpdesk.Resolve(ctx, conv), context.Canceled)
	require.ErrorIs(t, env.Helpdesk.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: env.Agent}), context.Canceled)
	require.Equal(t, before, env.Requests(), "a cancelled context must not send requests")
}

func testContextDeadline(t *testing.T, env *Env) {
	conv := env.NewConversation(t)
	env.Stall(3 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	var err error
	if caps(env).Has(helpdesk.CapSendMessage) {
		_, err = env.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: "slow"})
	} else {
		err = env.Helpdesk.Resolve(ctx, conv)
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second, "the deadline must interrupt the call")
}

func requireUnsupported(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, helpdesk.ErrUnsupported, "an operation outside the declared capabilities must return ErrUnsupported")
}

func requireHandlerStatus(t *testing.T, env *Env, r *http.Request, status int) {
	t.Helper()
	rec := serve(t, env, r, nil)
	require.Equal(t, status, rec.Code, rec.Body.String())
}

func serve(t *testing.T, env *Env, r *http.Request, fn helpdesk.EventFunc) *httptest.ResponseRecorder {
	t.Helper()
	if fn == nil {
		fn = func(context.Context, helpdesk.Event) error { return nil }
	}
	h, err := helpdesk.NewWebhookHandler(env.Helpdesk, fn, nil)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func tail(s []string, n int) []string {
	if len(s) < n {
		return s
	}
	return s[len(s)-n:]
}
