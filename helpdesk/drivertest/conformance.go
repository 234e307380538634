package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Timing of the suite. Stalls are short so the whole suite runs in a few
// seconds; waits for asynchronous handling are generous because they end
// as soon as the event arrives.
const (
	stallFor     = 2 * time.Second
	deadline     = 50 * time.Millisecond
	asyncWait    = 5 * time.Second
	signedOffset = 2 * time.Hour // far beyond any sane webhook tolerance

	// minSecretLen is the shortest secret the harness may configure.
	minSecretLen = 8
)

// RunConformance runs the behaviour every Helpdesk driver must show, against
// the fake vendor the harness sets up. Every subtest runs in parallel with
// its own Env. Capabilities the driver does not declare are checked to fail
// with helpdesk.ErrUnsupported, never skipped; every error the suite
// provokes is checked not to contain any of Env.Secrets.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"Capabilities", testCapabilities},
		{"SendMessage/PartsInOrder", testPartsInOrder},
		{"SendMessage/FinalMessageResolves", testFinalMessageResolves},
		{"SendMessage/ReceiptAgreesWithVendor", testReceiptAgrees},
		{"SendMessage/InternalNote", testInternalNote},
		{"SendMessage/Attachments", testAttachments},
		{"SendMessage/IdempotencyKey", testIdempotencyKey},
		{"SendMessage/ClosedConversation", testClosedConversation},
		{"SendMessage/ReplyWindowClosed", testReplyWindowClosed},
		{"SendMessage/EmptyText", testEmptyText},
		{"Resolve", testResolve},
		{"Reassign/Group", func(t *testing.T, s *suite) { testReassign(t, s, helpdesk.TargetGroup, false) }},
		{"Reassign/GroupWithNoticeAndNote", func(t *testing.T, s *suite) { testReassign(t, s, helpdesk.TargetGroup, true) }},
		{"Reassign/Agent", func(t *testing.T, s *suite) { testReassign(t, s, helpdesk.TargetAgent, false) }},
		{"Reassign/AgentWithNoticeAndNote", func(t *testing.T, s *suite) { testReassign(t, s, helpdesk.TargetAgent, true) }},
		{"Reassign/InvalidTarget", testReassignInvalid},
		{"Reassign/NoticeInTheSameRequest", testReassignWithMessage},
		{"CreateConversation", testCreateConversation},
		{"Webhook/CustomerMessage", testWebhookCustomer},
		{"Webhook/BotEcho", testWebhookEcho},
		{"Webhook/OtherSecret", testWebhookOtherSecret},
		{"Webhook/SecretRotation", testWebhookRotation},
		{"Webhook/Stale", func(t *testing.T, s *suite) { testWebhookTime(t, s, -signedOffset, helpdesk.ErrSignatureStale) }},
		{"Webhook/Future", func(t *testing.T, s *suite) { testWebhookTime(t, s, signedOffset, helpdesk.ErrSignatureFuture) }},
		{"Webhook/Replay", testWebhookReplay},
		{"Webhook/ReplayWithNewHeaders", testWebhookReplayNewHeaders},
		{"Webhook/Unsigned", testWebhookUnsigned},
		{"Webhook/Malformed", testWebhookMalformed},
		{"Webhook/HandlerDropsRedelivery", testHandlerRedelivery},
		{"Webhook/QueuedHandlerRedeliversRefused", testQueuedRefused},
		{"Errors/Unauthorized", func(t *testing.T, s *suite) {
			testVendorError(t, s, http.StatusUnauthorized, helpdesk.ErrUnauthorized)
		}},
		{"Errors/NotFound", func(t *testing.T, s *suite) { testVendorError(t, s, http.StatusNotFound, helpdesk.ErrNotFound) }},
		{"Errors/RateLimited", func(t *testing.T, s *suite) {
			testVendorError(t, s, http.StatusTooManyRequests, helpdesk.ErrRateLimited)
		}},
		{"Context/Cancelled", testContextCancelled},
		{"Context/Deadline", testContextDeadline},
		{"Faults/EveryAnswerOnceInOrder", testFaults},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := h.Setup(t)
			require.NotNil(t, env, "harness returned a nil Env")
			require.NotNil(t, env.Helpdesk, "harness Env has no Helpdesk")
			s := newSuite(t, env)
			tc.fn(t, s)
		})
	}
}

// suite is one subtest's Env, with the driver wrapped so that every error
// it returns is collected and checked for secrets when the subtest ends.
type suite struct {
	*Env
	rec *recorder
}

func newSuite(t *testing.T, env *Env) *suite {
	rec := &recorder{Helpdesk: env.Helpdesk}
	e := *env
	e.Helpdesk = rec
	s := &suite{Env: &e, rec: rec}
	t.Cleanup(func() { s.checkSecrets(t) })
	return s
}

// agent and group are Env.Agent and Env.Group, or a placeholder id for
// drivers that cannot reassign (the call must then fail as unsupported,
// not on an empty id).
func (s *suite) agent() string {
	if s.Agent != "" {
		return s.Agent
	}
	return "conformance-agent"
}

func (s *suite) group() string {
	if s.Group != "" {
		return s.Group
	}
	return "conformance-group"
}

func (s *suite) caps() helpdesk.Capabilities { return s.Helpdesk.Capabilities() }

// note records an error or response body the suite provoked outside the
// driver's methods (webhook handler answers).
func (s *suite) note(text string) { s.rec.add(text) }

func (s *suite) checkSecrets(t *testing.T) {
	t.Helper()
	var secrets []string
	for _, sec := range append(append([]string(nil), s.Secrets...), s.WebhookSecrets...) {
		if strings.TrimSpace(sec) != "" {
			secrets = append(secrets, sec)
		}
	}
	seen := map[string]bool{}
	for _, text := range s.rec.texts() {
		if seen[text] {
			continue
		}
		seen[text] = true
		for _, sec := range secrets {
			if strings.Contains(text, sec) {
				t.Errorf("a configured secret appears in an error the suite provoked: %q", redact(text, secrets))
				break
			}
		}
	}
}

func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, "[SECRET]")
	}
	return s
}

// recorder is the helpdesk.Helpdesk the subtests call: it passes every
// call to the driver and keeps the text of every error.
type recorder struct {
	helpdesk.Helpdesk
	mu   sync.Mutex
	errs []string
}

func (r *recorder) add(text string) {
	r.mu.Lock()
	r.errs = append(r.errs, text)
	r.mu.Unlock()
}

func (r *recorder) keep(err error) {
	if err != nil {
		r.add(err.Error())
		r.add(fmt.Sprintf("%+v", err))
	}
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func (r *recorder) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	rcpt, err := r.Helpdesk.SendMessage(ctx, conv, msg)
	r.keep(err)
	return rcpt, err
}

// CreateConversation passes helpdesk.CreateConversation on, so the suite
// sees the driver's own answer (ErrUnsupported without the capability).
func (r *recorder) CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	conv, err := helpdesk.CreateConversation(ctx, r.Helpdesk, req)
	r.keep(err)
	return conv, err
}

func (r *recorder) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	err := r.Helpdesk.Resolve(ctx, conv)
	r.keep(err)
	return err
}

func (r *recorder) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	err := r.Helpdesk.Reassign(ctx, conv, to)
	r.keep(err)
	return err
}

func (r *recorder) ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	ev, err := r.Helpdesk.ParseWebhook(ctx, req)
	r.keep(err)
	return ev, err
}

func (r *recorder) As(i any) bool { return helpdesk.As(r.Helpdesk, i) }

func (r *recorder) ErrorAs(err error, i any) bool { return helpdesk.ErrorAs(r.Helpdesk, err, i) }

func testCapabilities(t *testing.T, s *suite) {
	c := s.caps()
	require.NotZero(t, c, "a driver must declare its capabilities")
	if c.Has(helpdesk.CapResolveWithMessage) {
		require.True(t, c.Has(helpdesk.CapResolve|helpdesk.CapSendMessage), "resolve-with-message implies send and resolve")
	}
	if c.Has(helpdesk.CapWebhooks) {
		require.NotNil(t, s.CustomerMessage, "a driver with webhooks needs Env.CustomerMessage")
		require.NotNil(t, s.BotEcho, "a driver with webhooks needs Env.BotEcho")
		require.NotNil(t, s.Unsigned, "a driver with webhooks needs Env.Unsigned")
		require.NotNil(t, s.Malformed, "a driver with webhooks needs Env.Malformed")
		require.GreaterOrEqual(t, len(s.WebhookSecrets), 2, "Env.WebhookSecrets must hold the current and a rotated-out secret")
	}
	require.NotEmpty(t, s.Secrets, "Env.Secrets must list the driver's credentials, so the suite can check that no error shows one")
	for i, sec := range append(append([]string(nil), s.Secrets...), s.WebhookSecrets...) {
		// A short secret would be found in any text by chance.
		require.GreaterOrEqual(t, len(sec), minSecretLen, "secret %d is shorter than %d characters: use realistic secrets in the harness", i, minSecretLen)
	}
	require.NotNil(t, s.FailNext, "Env.FailNext is required")
	require.NotNil(t, s.Stall, "Env.Stall is required")
	require.NotNil(t, s.Requests, "Env.Requests is required")
}

// requireReceipt checks that a receipt that says the conversation was
// resolved is true at the vendor, and that one that does not say so left it
// unresolved when the message did not ask for it.
func requireReceipt(t *testing.T, s *suite, conv helpdesk.Conversation, rcpt *helpdesk.Receipt, askedResolve bool) {
	t.Helper()
	if rcpt == nil {
		return
	}
	st := s.State(t, conv).Status
	if rcpt.Resolved {
		require.Equal(t, helpdesk.StatusResolved, st, "Receipt.Resolved is set but the vendor's conversation is not resolved")
	} else if !askedResolve {
		require.NotEqual(t, helpdesk.StatusResolved, st, "the conversation was resolved without being asked")
	}
}

func testPartsInOrder(t *testing.T, s *suite) {
	ctx := context.Background()
	conv := s.NewConversation(t)
	parts := []string{"First part of the answer.", "Second part, with a link https://example.com/a?b=c.", "Third and last part."}
	splitter := helpdesk.SplitterFunc(func(string) ([]string, error) { return parts, nil })
	rcpts, err := helpdesk.Reply(ctx, s.Helpdesk, conv, "ignored", helpdesk.ReplyOptions{Splitter: splitter})
	if !s.caps().Has(helpdesk.CapSendMessage) {
		requireUnsupported(t, s, err)
		return
	}
	require.NoError(t, err)
	require.Len(t, rcpts, len(parts), "one receipt per part")
	for _, r := range rcpts {
		requireReceipt(t, s, conv, r, false)
	}
	st := s.State(t, conv)
	require.Equal(t, parts, tail(st.Public, len(parts)), "parts must arrive in order")
	require.NotEqual(t, helpdesk.StatusResolved, st.Status, "a reply without Resolve must not resolve")
}

func testFinalMessageResolves(t *testing.T, s *suite) {
	ctx := context.Background()
	conv := s.NewConversation(t)
	c := s.caps()
	text := "Glad I could help. Closing this now."
	before := s.Requests()
	rcpt, err := s.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: text, Resolve: true})
	if !c.Has(helpdesk.CapSendMessage) || !c.Has(helpdesk.CapResolve) && !c.Has(helpdesk.CapResolveWithMessage) {
		requireUnsupported(t, s, err)
		require.Equal(t, before, s.Requests(), "an unsupported call must not cost a request")
		return
	}
	require.NoError(t, err)
	require.NotNil(t, rcpt)
	require.True(t, rcpt.Resolved, "Receipt.Resolved must report the resolve")
	requireReceipt(t, s, conv, rcpt, true)
	if c.Has(helpdesk.CapResolveWithMessage) {
		require.Equal(t, 1, s.Requests()-before, "with CapResolveWithMessage the final message and resolve go in one request")
	}
	st := s.State(t, conv)
	require.Equal(t, helpdesk.StatusResolved, st.Status)
	require.Equal(t, text, last(st.Public))

	// Reply with Resolve ends in the same state.
	conv = s.NewConversation(t)
	rcpts, err := helpdesk.Reply(ctx, s.Helpdesk, conv, "Glad I could help.", helpdesk.ReplyOptions{Resolve: true})
	require.NoError(t, err)
	require.NotEmpty(t, rcpts)
	requireReceipt(t, s, conv, rcpts[len(rcpts)-1], true)
	require.Equal(t, helpdesk.StatusResolved, s.State(t, conv).Status)
}

func testReceiptAgrees(t *testing.T, s *suite) {
	ctx := context.Background()
	if !s.caps().Has(helpdesk.CapSendMessage) {
		_, err := s.Helpdesk.SendMessage(ctx, s.NewConversation(t), helpdesk.Message{Text: "hello"})
		requireUnsupported(t, s, err)
		return
	}
	// A message without Resolve must not say it resolved, nor resolve.
	conv := s.NewConversation(t)
	rcpt, err := s.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: "Let me look into that."})
	require.NoError(t, err)
	require.NotNil(t, rcpt, "a successful SendMessage returns a receipt")
	require.False(t, rcpt.Resolved, "Receipt.Resolved set for a message that did not ask to resolve")
	requireReceipt(t, s, conv, rcpt, false)
	if s.caps().Has(helpdesk.CapInternalNote) {
		rcpt, err = s.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: "Checked the order system.", Internal: true})
		require.NoError(t, err)
		require.NotNil(t, rcpt)
		require.False(t, rcpt.Resolved, "Receipt.Resolved set for an internal note")
		requireReceipt(t, s, conv, rcpt, false)
	}
}

func testInternalNote(t *testing.T, s *suite) {
	conv := s.NewConversation(t)
	before := s.Requests()
	rcpt, err := s.Helpdesk.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Customer verified by phone.", Internal: true})
	if !s.caps().Has(helpdesk.CapInternalNote) {
		requireUnsupported(t, s, err)
		require.Equal(t, before, s.Requests(), "an unsupported call must not cost a request")
		return
	}
	require.NoError(t, err)
	requireReceipt(t, s, conv, rcpt, false)
	st := s.State(t, conv)
	require.Contains(t, st.Notes, "Customer verified by phone.")
	require.NotContains(t, st.Public, "Customer verified by phone.", "an internal note must not reach the customer")
}

// attachmentServer serves the file the suite attaches, on loopback, for
// drivers that download an attachment to upload it.
func attachmentServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "agentdesk conformance attachment\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/files/conformance.txt"
}

func testAttachments(t *testing.T, s *suite) {
	conv := s.NewConversation(t)
	url := s.AttachmentURL
	if url == "" {
		url = attachmentServer(t)
	}
	att := helpdesk.Attachment{URL: url, Name: "conformance.txt", ContentType: "text/plain"}
	before := s.Requests()
	rcpt, err := s.Helpdesk.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Here is the file you asked for.", Attachments: []helpdesk.Attachment{att}})
	if !s.caps().Has(helpdesk.CapAttachments) || !s.caps().Has(helpdesk.CapSendMessage) {
		requireUnsupported(t, s, err)
		require.Equal(t, before, s.Requests(), "an attachment the driver cannot send must be refused without a request")
		return
	}
	require.NoError(t, err)
	requireReceipt(t, s, conv, rcpt, false)
	st := s.State(t, conv)
	require.Equal(t, "Here is the file you asked for.", last(st.Public))
	require.True(t, slices.Contains(st.Attachments, att.URL) || slices.Contains(st.Attachments, att.Name),
		"the attachment must be delivered: State.Attachments = %q", st.Attachments)
}

func testIdempotencyKey(t *testing.T, s *suite) {
	ctx := context.Background()
	conv := s.NewConversation(t)
	msgA := helpdesk.Message{Text: "Your refund was issued.", IdempotencyKey: "conformance-key-a-" + conv.ID}
	msgB := helpdesk.Message{Text: "It takes 3 to 5 days.", IdempotencyKey: "conformance-key-b-" + conv.ID}
	if !s.caps().Has(helpdesk.CapSendMessage) {
		_, err := s.Helpdesk.SendMessage(ctx, conv, msgA)
		requireUnsupported(t, s, err)
		return
	}
	if s.IdempotencyKeys == nil {
		// The vendor takes no key: sending with one must still work.
		_, err := s.Helpdesk.SendMessage(ctx, conv, msgA)
		require.NoError(t, err, "a message with an IdempotencyKey must be sent even when the vendor takes none")
		require.Equal(t, msgA.Text, last(s.State(t, conv).Public))
		return
	}
	send := func(m helpdesk.Message) string {
		t.Helper()
		n := len(s.IdempotencyKeys())
		_, err := s.Helpdesk.SendMessage(ctx, conv, m)
		require.NoError(t, err)
		keys := s.IdempotencyKeys()
		require.Greater(t, len(keys), n, "the vendor received no idempotency key for %q", m.Text)
		return keys[len(keys)-1]
	}
	a1 := send(msgA)
	a2 := send(msgA)
	b := send(msgB)
	require.NotEmpty(t, a1)
	require.Equal(t, a1, a2, "the same IdempotencyKey must reach the vendor as the same key")
	require.NotEqual(t, a1, b, "different messages must reach the vendor with different keys")
	require.Contains(t, s.State(t, conv).Public, msgB.Text)
}

func testClosedConversation(t *testing.T, s *suite) {
	ctx := context.Background()
	conv := s.NewConversation(t)
	msg := helpdesk.Message{Text: "Following up on your request."}
	if !s.caps().Has(helpdesk.CapSendMessage) {
		_, err := s.Helpdesk.SendMessage(ctx, conv, msg)
		requireUnsupported(t, s, err)
		return
	}
	if s.CloseConversation == nil {
		// The vendor always accepts a message: a resolved conversation
		// takes one (and reopens, where the vendor does so).
		if s.caps().Has(helpdesk.CapResolve) {
			require.NoError(t, s.Helpdesk.Resolve(ctx, conv))
		}
		_, err := s.Helpdesk.SendMessage(ctx, conv, msg)
		require.NoError(t, err, "without Env.CloseConversation a resolved conversation must accept a message")
		require.Equal(t, msg.Text, last(s.State(t, conv).Public))
		return
	}
	conv = s.CloseConversation(t, conv)
	before := s.Requests()
	_, err := s.Helpdesk.SendMessage(ctx, conv, msg)
	require.ErrorIs(t, err, helpdesk.ErrConversationClosed)
	requireOpError(t, err)
	require.LessOrEqual(t, s.Requests()-before, 1, "a closed conversation costs at most the one refused request, never a retry")
	require.NotContains(t, s.State(t, conv).Public, msg.Text)
}

func testReplyWindowClosed(t *testing.T, s *suite) {
	if s.ReplyWindowClosed == nil {
		t.Log("Env.ReplyWindowClosed is nil: the vendor has no reply windows")
		return
	}
	conv := s.ReplyWindowClosed(t)
	before := s.Requests()
	_, err := s.Helpdesk.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Are you still there?"})
	if !s.caps().Has(helpdesk.CapSendMessage) {
		requireUnsupported(t, s, err)
		return
	}
	require.ErrorIs(t, err, helpdesk.ErrReplyWindowClosed)
	requireOpError(t, err)
	require.Equal(t, before, s.Requests(), "a closed reply window must be refused without a request")
}

func testEmptyText(t *testing.T, s *suite) {
	conv := s.NewConversation(t)
	before := s.Requests()
	_, err := s.Helpdesk.SendMessage(context.Background(), conv, helpdesk.Message{Text: " \n\t"})
	require.Error(t, err)
	require.True(t, errors.Is(err, helpdesk.ErrInvalidRequest) || errors.Is(err, helpdesk.ErrUnsupported),
		"a blank message must be refused locally, got %v", err)
	requireOpError(t, err)
	require.Equal(t, before, s.Requests(), "a blank message must not cost a request")
}

func testResolve(t *testing.T, s *suite) {
	conv := s.NewConversation(t)
	before := s.Requests()
	err := s.Helpdesk.Resolve(context.Background(), conv)
	if !s.caps().Has(helpdesk.CapResolve) {
		requireUnsupported(t, s, err)
		require.Equal(t, before, s.Requests(), "an unsupported call must not cost a request")
		return
	}
	require.NoError(t, err)
	require.Equal(t, helpdesk.StatusResolved, s.State(t, conv).Status)
}

func testReassign(t *testing.T, s *suite, kind helpdesk.TargetKind, extras bool) {
	conv := s.NewConversation(t)
	target := helpdesk.Target{Kind: kind, ID: s.group()}
	need := helpdesk.CapReassignGroup
	if kind == helpdesk.TargetAgent {
		target.ID = s.agent()
		need = helpdesk.CapReassignAgent
	}
	if extras {
		target.Notice = "A specialist will take over this conversation shortly."
		target.Note = "Escalated by the bot: low confidence on a billing question."
	}
	before := s.Requests()
	err := s.Helpdesk.Reassign(context.Background(), conv, target)
	if !s.caps().Has(need) {
		requireUnsupported(t, s, err)
		require.Equal(t, before, s.Requests(), "an unsupported call must not cost a request")
		return
	}
	require.NoError(t, err)
	st := s.State(t, conv)
	if kind == helpdesk.TargetGroup {
		require.Equal(t, s.Group, st.GroupID, "conversation must move to the group")
		require.Empty(t, st.AgentID, "moving to a group must clear the bot as assignee")
	} else {
		require.Equal(t, s.Agent, st.AgentID, "conversation must be assigned to the agent")
	}
	require.NotEqual(t, helpdesk.StatusResolved, st.Status, "a handover must not resolve")
	if extras {
		require.Equal(t, target.Notice, last(st.Public), "the handoff notice must reach the customer")
		if s.caps().Has(helpdesk.CapInternalNote) {
			require.Contains(t, st.Notes, target.Note, "the internal note must be left for agents")
		}
		require.NotContains(t, st.Public, target.Note, "the internal note must never reach the customer")
	}
}

// testReassignWithMessage checks CapReassignWithMessage: a handover with a
// notice (and no note) costs exactly one request, which is what lets
// helpdesk.Reply send an answer's last part with the handover.
func testReassignWithMessage(t *testing.T, s *suite) {
	if !s.caps().Has(helpdesk.CapReassignGroup) {
		t.Log("the driver cannot hand over to a group: covered by Reassign/Group")
		return
	}
	conv := s.NewConversation(t)
	target := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: s.group(), Notice: "Here is the last part of the answer. A specialist will take over."}
	before := s.Requests()
	require.NoError(t, s.Helpdesk.Reassign(context.Background(), conv, target))
	st := s.State(t, conv)
	require.Equal(t, target.Notice, last(st.Public), "the notice must reach the customer")
	require.Equal(t, s.Group, st.GroupID)
	if s.caps().Has(helpdesk.CapReassignWithMessage) {
		require.Equal(t, 1, s.Requests()-before, "CapReassignWithMessage: the notice and the handover must go in one request")
		return
	}
	t.Logf("the driver does not declare CapReassignWithMessage: the notice took %d requests with the handover", s.Requests()-before)
}

// testCreateConversation checks CapCreateConversation: the conversation a
// driver opens for a customer can be answered at once; without the
// capability the call fails with ErrUnsupported and costs no request.
func testCreateConversation(t *testing.T, s *suite) {
	ctx := context.Background()
	req := helpdesk.NewConversation{
		Requester: helpdesk.Author{Name: "Ana Conformance", Email: "ana.conformance@example.com", Phone: "+5511987654321"},
		Subject:   "Order 123", Text: "Hello, my order did not arrive.", Channel: helpdesk.ChannelSMS,
		Tags: []string{"conformance"}, IdempotencyKey: "conformance-create-1",
	}
	before := s.Requests()
	conv, err := s.rec.CreateConversation(ctx, req)
	if !s.caps().Has(helpdesk.CapCreateConversation) {
		requireUnsupported(t, s, err)
		require.Equal(t, before, s.Requests(), "an unsupported call must not cost a request")
		return
	}
	require.NoError(t, err)
	require.NotEmpty(t, conv.ID)
	require.NotEmpty(t, conv.Vendor)
	_, err = s.rec.CreateConversation(ctx, helpdesk.NewConversation{Text: "no requester"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest, "a request without a requester is refused locally")
	if s.caps().Has(helpdesk.CapSendMessage) {
		_, err = s.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: "Thanks, checking it now."})
		require.NoError(t, err, "the opened conversation can be answered")
		require.Equal(t, "Thanks, checking it now.", last(s.State(t, conv).Public))
	}
}

func testReassignInvalid(t *testing.T, s *suite) {
	conv := s.NewConversation(t)
	before := s.Requests()
	err := s.Helpdesk.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup})
	require.Error(t, err)
	require.True(t, errors.Is(err, helpdesk.ErrInvalidRequest) || errors.Is(err, helpdesk.ErrUnsupported),
		"an empty target must be refused locally, got %v", err)
	requireOpError(t, err)
	require.Equal(t, before, s.Requests(), "an invalid target must not cost a request")
}

// webhooksUnsupported checks, for a driver without CapWebhooks, that
// parsing a delivery fails with ErrUnsupported, and reports whether it
// did so (the caller then returns).
func webhooksUnsupported(t *testing.T, s *suite) bool {
	t.Helper()
	if s.caps().Has(helpdesk.CapWebhooks) {
		return false
	}
	var r *http.Request
	if s.CustomerMessage != nil {
		r = s.CustomerMessage(t, s.NewConversation(t), "hi", Delivery{})
	} else {
		r = SignedRequest(context.Background(), "/webhooks/conformance", []byte(`{"event":"message"}`), http.Header{})
	}
	_, err := Deliver(context.Background(), s.Helpdesk, r)
	requireUnsupported(t, s, err)
	return true
}

func customerEvent(t *testing.T, events []helpdesk.Event) *helpdesk.Event {
	t.Helper()
	var found *helpdesk.Event
	for i := range events {
		if events[i].IsCustomerMessage() {
			found = &events[i]
		}
	}
	require.NotNil(t, found, "a customer message must give a public customer message event, got %+v", events)
	return found
}

func deliveryIDs(events []helpdesk.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.DeliveryID
	}
	return ids
}

func testWebhookCustomer(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	conv := s.NewConversation(t)
	text := "Olá! Meu pedido #123 não chegou — pode verificar?"
	events, err := Deliver(context.Background(), s.Helpdesk, s.CustomerMessage(t, conv, text, Delivery{}))
	require.NoError(t, err)
	found := customerEvent(t, events)
	require.Equal(t, text, strings.TrimSpace(found.Message.Text))
	require.False(t, found.Message.Author.Self)
	require.Equal(t, conv.ID, found.Conversation.ID)
	require.NotEmpty(t, found.Conversation.Vendor)
	require.NotEmpty(t, found.DeliveryID, "events must carry a delivery id for dedupe")
	require.NotEmpty(t, found.Raw, "events must keep the raw payload")
	require.False(t, found.OccurredAt.IsZero(), "events must say when they happened")

	// The conversation reference from the webhook is enough to answer.
	if s.caps().Has(helpdesk.CapSendMessage) {
		_, err = s.Helpdesk.SendMessage(context.Background(), found.Conversation, helpdesk.Message{Text: "Checking it now."})
		require.NoError(t, err)
		require.Equal(t, "Checking it now.", last(s.State(t, conv).Public))
	}

	// The same delivery, built again, gives the same delivery ids: that is
	// what the handler's dedupe relies on.
	again, err := Deliver(context.Background(), s.Helpdesk, s.CustomerMessage(t, conv, text, Delivery{}))
	require.NoError(t, err)
	require.Equal(t, deliveryIDs(events), deliveryIDs(again), "a redelivery must carry the same delivery ids")

	// Another message gets other ids.
	other, err := Deliver(context.Background(), s.Helpdesk, s.CustomerMessage(t, conv, "And my invoice?", Delivery{}))
	require.NoError(t, err)
	require.NotEqual(t, found.DeliveryID, customerEvent(t, other).DeliveryID, "different messages must have different delivery ids")
}

func testWebhookEcho(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	conv := s.NewConversation(t)
	events, err := Deliver(context.Background(), s.Helpdesk, s.BotEcho(t, conv, "Here is your tracking link."))
	require.NoError(t, err)
	for _, e := range events {
		require.False(t, e.IsCustomerMessage(), "the bot's own message must never look like a customer message: %+v", e)
		if e.Type == helpdesk.EventMessageCreated {
			require.True(t, e.FromSelf(), "the bot's own message must be marked Self: %+v", e.Message)
			require.Equal(t, helpdesk.RoleBot, e.Message.Author.Role)
		}
	}
}

func testWebhookOtherSecret(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	conv := s.NewConversation(t)
	d := Delivery{Secret: "wrong secret"}
	_, err := Deliver(context.Background(), s.Helpdesk, s.CustomerMessage(t, conv, "give me a refund", d))
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
	requireOpError(t, err)
	requireHandlerStatus(t, s, s.CustomerMessage(t, conv, "give me a refund", d), http.StatusUnauthorized)
}

func testWebhookRotation(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	require.GreaterOrEqual(t, len(s.WebhookSecrets), 2, "Env.WebhookSecrets must hold the current and a rotated-out secret")
	conv := s.NewConversation(t)
	for i, secret := range s.WebhookSecrets {
		text := fmt.Sprintf("signed with secret %d", i)
		events, err := Deliver(context.Background(), s.Helpdesk, s.CustomerMessage(t, conv, text, Delivery{Secret: secret}))
		require.NoError(t, err, "a delivery signed with configured secret %d must be accepted", i)
		require.Equal(t, text, strings.TrimSpace(customerEvent(t, events).Message.Text))
	}
}

func testWebhookTime(t *testing.T, s *suite, offset time.Duration, kind error) {
	if webhooksUnsupported(t, s) {
		return
	}
	if !s.SignsTime {
		t.Log("the vendor signs no time: checking that a replayed delivery is handled once instead")
		testWebhookReplay(t, s)
		return
	}
	conv := s.NewConversation(t)
	d := Delivery{At: time.Now().Add(offset)}
	_, err := Deliver(context.Background(), s.Helpdesk, s.CustomerMessage(t, conv, "replayed message", d))
	require.ErrorIs(t, err, kind, "a delivery signed %s from now must be refused", offset)
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
	requireOpError(t, err)
	requireHandlerStatus(t, s, s.CustomerMessage(t, conv, "replayed message", d), http.StatusUnauthorized)

	// Within the tolerance it is accepted.
	d = Delivery{At: time.Now().Add(offset / 1000)}
	_, err = Deliver(context.Background(), s.Helpdesk, s.CustomerMessage(t, conv, "slightly late message", d))
	require.NoError(t, err, "a delivery signed %s from now is within any tolerance", offset/1000)
}

// cloneRequest returns n requests with r's method, URL, headers and body:
// the same delivery sent again, byte for byte.
func cloneRequest(t *testing.T, r *http.Request, n int) []*http.Request {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	out := make([]*http.Request, n)
	for i := range out {
		c := r.Clone(context.Background())
		c.Body = io.NopCloser(bytes.NewReader(body))
		c.ContentLength = int64(len(body))
		out[i] = c
	}
	return out
}

func testWebhookReplay(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	conv := s.NewConversation(t)
	var calls atomic.Int32
	h, err := newHandler(s, func(_ context.Context, e helpdesk.Event) error {
		if e.IsCustomerMessage() {
			calls.Add(1)
		}
		return nil
	}, nil)
	require.NoError(t, err)
	defer shutdown(h)
	for i, r := range cloneRequest(t, s.CustomerMessage(t, conv, "replay me", Delivery{}), 2) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		s.note(rec.Body.String())
		require.Less(t, rec.Code, 300, "delivery %d: %s", i, rec.Body.String())
	}
	require.Equal(t, int32(1), calls.Load(), "a delivery replayed byte for byte must be handled once")
}

// testWebhookReplayNewHeaders replays a signed delivery with each of its
// headers changed, then dropped, one at a time. A header the driver needs
// and verifies makes the replay fail, which is fine; a header it accepts in
// any form is not covered by the signature, so it must not change the
// delivery ids: an attacker who captured a delivery could otherwise get it
// handled again inside the tolerance by changing that header (Zendesk's
// invocation id, Chatwoot's X-Chatwoot-Delivery).
func testWebhookReplayNewHeaders(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	conv := s.NewConversation(t)
	orig := s.CustomerMessage(t, conv, "replayed with new headers", Delivery{})
	body, err := io.ReadAll(orig.Body)
	require.NoError(t, err)
	replay := func() *http.Request {
		c := orig.Clone(context.Background())
		c.Body = io.NopCloser(bytes.NewReader(body))
		c.ContentLength = int64(len(body))
		return c
	}
	ids := func(r *http.Request) ([]string, error) {
		events, err := Deliver(context.Background(), s.Helpdesk, r)
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(events))
		for _, e := range events {
			out = append(out, e.DeliveryID)
		}
		sort.Strings(out)
		return out, nil
	}
	want, err := ids(replay())
	require.NoError(t, err)
	require.NotEmpty(t, want)
	tried := 0
	for name := range orig.Header {
		for _, mode := range []string{"changed", "dropped"} {
			r := replay()
			if mode == "dropped" {
				r.Header.Del(name)
			} else {
				r.Header.Set(name, r.Header.Get(name)+"-replayed")
			}
			got, err := ids(r)
			if err != nil {
				continue // the driver needs this header as it was
			}
			tried++
			require.Equal(t, want, got, "header %s %s: it is not verified, yet it changes the delivery ids, so a replay with it %s would be handled again", name, mode, mode)
		}
	}
	t.Logf("%d of %d header changes were accepted and kept the delivery ids", tried, 2*len(orig.Header))
}

func testWebhookUnsigned(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	conv := s.NewConversation(t)
	_, err := Deliver(context.Background(), s.Helpdesk, s.Unsigned(t, conv, "hello"))
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
	requireOpError(t, err)
	requireHandlerStatus(t, s, s.Unsigned(t, conv, "hello"), http.StatusUnauthorized)
}

func testWebhookMalformed(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	_, err := Deliver(context.Background(), s.Helpdesk, s.Malformed(t))
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
	requireOpError(t, err)
	rec := serve(t, s, s.Malformed(t), nil)
	require.GreaterOrEqual(t, rec.Code, 400)
	require.Less(t, rec.Code, 500, "malformed deliveries get a 4xx")
}

func testHandlerRedelivery(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	conv := s.NewConversation(t)
	var calls atomic.Int32
	fn := func(_ context.Context, e helpdesk.Event) error {
		if e.IsCustomerMessage() {
			calls.Add(1)
		}
		return nil
	}
	h, err := newHandler(s, fn, nil)
	require.NoError(t, err)
	defer shutdown(h)
	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, s.CustomerMessage(t, conv, "is anyone there?", Delivery{}))
		s.note(rec.Body.String())
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	require.Equal(t, int32(1), calls.Load(), "a redelivered event must be handled once")
}

// testQueuedRefused fills a queued handler so that it refuses a delivery
// with 503, then sends the vendor's redelivery to the same handler (the
// same dedupe store): it must be accepted and handled, not dropped as a
// duplicate of the delivery that was refused.
func testQueuedRefused(t *testing.T, s *suite) {
	if webhooksUnsupported(t, s) {
		return
	}
	first, second := s.NewConversation(t), s.NewConversation(t)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	handled := make(chan string, 8)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	fn := func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() {
			return nil
		}
		if e.Conversation.ID == first.ID {
			select {
			case started <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		handled <- e.Conversation.ID
		return nil
	}
	h, err := newHandler(s, fn, &helpdesk.WebhookOptions{QueueSize: 1, Workers: 1, HandleTimeout: 30 * time.Second})
	require.NoError(t, err)
	defer shutdown(h)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, s.CustomerMessage(t, first, "first customer", Delivery{}))
	s.note(rec.Body.String())
	require.Equal(t, http.StatusOK, rec.Code, "a queued handler accepts a delivery it has room for, with a 200 (some vendors resend anything else): %s", rec.Body.String())
	require.Contains(t, rec.Body.String(), `"status":"queued"`)
	select {
	case <-started:
	case <-time.After(asyncWait):
		t.Fatal("the queued handler never handled the first delivery")
	}

	deliveries := cloneRequest(t, s.CustomerMessage(t, second, "second customer", Delivery{}), 2)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, deliveries[0])
	s.note(rec.Body.String())
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "a full queue refuses with 503 so the vendor redelivers: %s", rec.Body.String())

	unblock()
	requireHandled(t, handled, first.ID)
	waitIdle(t, h)

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, deliveries[1])
	s.note(rec.Body.String())
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"status":"queued"`,
		"the redelivery of a delivery refused with 503 must be queued, not dropped as a duplicate: %s", rec.Body.String())
	requireHandled(t, handled, second.ID)
}

func requireHandled(t *testing.T, handled <-chan string, id string) {
	t.Helper()
	timeout := time.After(asyncWait)
	for {
		select {
		case got := <-handled:
			if got == id {
				return
			}
		case <-timeout:
			t.Fatalf("conversation %s's delivery was never handled", id)
		}
	}
}

// waitIdle waits until a queued handler has nothing pending (handlers
// without Pending are given the wait budget by the redelivery itself).
func waitIdle(t *testing.T, h http.Handler) {
	t.Helper()
	p, ok := h.(interface{ Pending() int })
	if !ok {
		return
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	timeout := time.After(asyncWait)
	for p.Pending() > 0 {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatal("the queued handler never drained")
		}
	}
}

func shutdown(h http.Handler) {
	if sd, ok := h.(interface{ Shutdown(context.Context) error }); ok {
		ctx, cancel := context.WithTimeout(context.Background(), asyncWait)
		defer cancel()
		_ = sd.Shutdown(ctx)
	}
}

func testVendorError(t *testing.T, s *suite, status int, sentinel error) {
	conv := s.NewConversation(t)
	s.FailNext(status)
	var err error
	switch c := s.caps(); {
	case c.Has(helpdesk.CapSendMessage):
		_, err = s.Helpdesk.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hello"})
	case c.Has(helpdesk.CapResolve):
		err = s.Helpdesk.Resolve(context.Background(), conv)
	case c.Has(helpdesk.CapReassignGroup):
		err = s.Helpdesk.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: s.group()})
	default:
		err = s.Helpdesk.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: s.agent()})
	}
	require.ErrorIs(t, err, sentinel)
	requireOpError(t, err)
	var apiErr *helpdesk.APIError
	require.ErrorAs(t, err, &apiErr, "vendor errors must be *helpdesk.APIError")
	require.Equal(t, status, apiErr.StatusCode, "the vendor's status must be kept")
	if status == http.StatusTooManyRequests && s.RetryAfter {
		require.Positive(t, apiErr.RetryAfter, "a 429 from a vendor that says how long to wait must report it")
	}
}

func testContextCancelled(t *testing.T, s *suite) {
	conv := s.NewConversation(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := s.Requests()
	_, err := s.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: "too late"})
	require.ErrorIs(t, err, context.Canceled)
	requireOpError(t, err)
	require.ErrorIs(t, s.Helpdesk.Resolve(ctx, conv), context.Canceled)
	require.ErrorIs(t, s.Helpdesk.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: s.agent()}), context.Canceled)
	require.Equal(t, before, s.Requests(), "a cancelled context must not send requests")
}

func testContextDeadline(t *testing.T, s *suite) {
	conv := s.NewConversation(t)
	s.Stall(stallFor)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	var err error
	switch c := s.caps(); {
	case c.Has(helpdesk.CapSendMessage):
		_, err = s.Helpdesk.SendMessage(ctx, conv, helpdesk.Message{Text: "slow"})
	case c.Has(helpdesk.CapResolve):
		err = s.Helpdesk.Resolve(ctx, conv)
	default:
		err = s.Helpdesk.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: s.agent()})
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), stallFor, "the deadline must interrupt the call")
}

func requireUnsupported(t *testing.T, s *suite, err error) {
	t.Helper()
	require.ErrorIs(t, err, helpdesk.ErrUnsupported, "an operation outside the declared capabilities must return ErrUnsupported")
	requireOpError(t, err)
}

func requireOpError(t *testing.T, err error) {
	t.Helper()
	var oe *helpdesk.OpError
	require.ErrorAs(t, err, &oe, "errors from a Helpdesk must be *helpdesk.OpError (driver.New wraps them)")
}

func requireHandlerStatus(t *testing.T, s *suite, r *http.Request, status int) {
	t.Helper()
	rec := serve(t, s, r, nil)
	require.Equal(t, status, rec.Code, rec.Body.String())
}

func serve(t *testing.T, s *suite, r *http.Request, fn helpdesk.EventFunc) *httptest.ResponseRecorder {
	t.Helper()
	if fn == nil {
		fn = func(context.Context, helpdesk.Event) error { return nil }
	}
	h, err := newHandler(s, fn, nil)
	require.NoError(t, err)
	defer shutdown(h)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	s.note(rec.Body.String())
	return rec
}

// newHandler builds the handler under test: Env.NewHandler when set, else
// helpdesk.NewWebhookHandler.
func newHandler(s *suite, fn helpdesk.EventFunc, o *helpdesk.WebhookOptions) (http.Handler, error) {
	if s.NewHandler != nil {
		return s.NewHandler(s.Helpdesk, fn, o)
	}
	return helpdesk.NewWebhookHandler(s.Helpdesk, fn, o)
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
