package klaviyo_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
)

const sendPath = http.MethodPost + " /api/conversation-messages"

// unprocessedFaults fail a text before Klaviyo processed it; the driver
// cannot tell them from the processed ones, and does not resend.
var unprocessedFaults = []drivertest.Fault{drivertest.Fault500Before, drivertest.Fault503Before, drivertest.FaultTimeoutBefore, drivertest.FaultResetBefore}

// settledFaults are the faults after which every text still arrives once:
// refusals the transport retries, and failures after Klaviyo processed the
// text.
var settledFaults = []drivertest.Fault{drivertest.Fault429, drivertest.Fault500After, drivertest.Fault503After, drivertest.FaultTimeoutAfter, drivertest.FaultResetAfter}

// faultEnv is the driver against a fake Klaviyo that checks every request
// against the published spec, without rate limits, budget or conversation
// guard (the scenario measures delivery, not pacing).
func faultEnv(t *testing.T, opts *klaviyo.Options) (*drivertest.Env, *klaviyotest.Server) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{Validate: specValidator(t), NoRateLimits: true})
	if opts == nil {
		opts = &klaviyo.Options{}
	}
	opts.HTTPClient, opts.NoBudget, opts.ConversationLimit = srv.Client(), true, -1
	kl, err := klaviyo.New(srv.Config(webhookSecrets...), opts)
	require.NoError(t, err)
	return &drivertest.Env{
		Helpdesk: kl,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			return helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: srv.NewProfile(newPhone(), "Where is my order?"), Channel: helpdesk.ChannelSMS}
		},
		State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State {
			return drivertest.State{Status: helpdesk.StatusOpen, Public: srv.Outbound(conv.ID)}
		},
		InjectFaults: srv.InjectFaults,
	}, srv
}

// Under 20 % of texts failing with every fault kind, no text is ever sent
// twice, none out of order, and the host's retries end every answer; what
// Klaviyo cannot guarantee is the texts whose request died before Klaviyo
// processed it: exactly those are missing.
func TestFaultsEveryAnswerAtMostOnce(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	env, srv := faultEnv(t, nil)
	r := drivertest.RunFaults(t, env, drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
	injected := srv.InjectedFaults()
	lost := 0
	for _, f := range unprocessedFaults {
		lost += injected[f]
	}
	t.Logf("klaviyo, every fault kind: %s; faults injected: %v", r, injected)
	require.Zero(t, r.DuplicatedParts, "%s", r)
	require.Zero(t, r.OutOfOrder, "%s", r)
	require.Zero(t, r.Errors, "%s", r)
	require.Equal(t, lost, r.MissingParts, "the texts lost are those failed before processing: %s", r)
	require.GreaterOrEqual(t, r.Complete, r.Answers-lost, "%s", r)
}

// Under 20 % of texts failing with refusals and failures after Klaviyo
// processed them, every answer arrives once, complete and in order.
func TestFaultsAfterProcessingEveryAnswerOnceInOrder(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	env, srv := faultEnv(t, nil)
	inject := env.InjectFaults
	env.InjectFaults = func(p drivertest.FaultPlan) {
		p.Kinds = settledFaults
		inject(p)
	}
	r := drivertest.RunFaults(t, env, drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
	t.Logf("klaviyo, refusals and failures after processing: %s; faults injected: %v", r, srv.InjectedFaults())
	require.Equal(t, r.Answers, r.Complete, "%s", r)
	require.Zero(t, r.DuplicatedParts)
	require.Zero(t, r.MissingParts)
	require.Zero(t, r.OutOfOrder)
	require.Zero(t, r.Errors)
}

// Each ambiguous fault alone: the text is sent once, the failure is an
// *UnconfirmedError, and the host's retry with the same key sends nothing;
// without a key a new call is a new text.
func TestAmbiguousFailureIsNotResent(t *testing.T) {
	for _, f := range append(append([]drivertest.Fault{}, unprocessedFaults...), settledFaults[1:]...) {
		t.Run(f.String(), func(t *testing.T) {
			env, srv := faultEnv(t, nil)
			conv := env.NewConversation(t)
			msg := helpdesk.Message{Text: "Your order ships today.", IdempotencyKey: "answer-1/1"}
			srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{f}, Match: nthWrite(1)})
			_, err := env.Helpdesk.SendMessage(t.Context(), conv, msg)
			var ue *klaviyo.UnconfirmedError
			require.ErrorAs(t, err, &ue)
			require.Equal(t, 1, ue.Part)
			require.Equal(t, 1, ue.Parts)
			require.Equal(t, 1, srv.RequestsTo(sendPath), "not resent")
			var want []string
			if f.Processed() {
				want = []string{msg.Text}
			}
			require.Equal(t, want, env.State(t, conv).Public)

			_, err = env.Helpdesk.SendMessage(t.Context(), conv, msg)
			require.NoError(t, err, "the host's retry counts the text as sent")
			require.Equal(t, 1, srv.RequestsTo(sendPath), "and sends nothing")

			_, err = env.Helpdesk.SendMessage(t.Context(), conv, helpdesk.Message{Text: msg.Text})
			require.NoError(t, err)
			require.Equal(t, 2, srv.RequestsTo(sendPath), "a call without a key is a new text")
		})
	}
}

// A long message sent as several texts: after an unconfirmed second text
// it stops (the vendor is likely failing), the host's retry sends the
// third only, and the error settles the message for helpdesk.Reply only
// when no text of it is left.
func TestLongMessageResumesAfterUnconfirmedPart(t *testing.T) {
	env, srv := faultEnv(t, &klaviyo.Options{MaxSegments: 1})
	conv := env.NewConversation(t)
	text := strings.Repeat("Your order left the warehouse today. ", 11)
	var kl *klaviyo.Client
	require.True(t, helpdesk.As(env.Helpdesk, &kl))
	parts, err := kl.Parts(text)
	require.NoError(t, err)
	require.Len(t, parts, 3)
	srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500After}, Match: nthWrite(2)})
	msg := helpdesk.Message{Text: text, IdempotencyKey: "long-1"}
	_, err = env.Helpdesk.SendMessage(t.Context(), conv, msg)
	var ue *klaviyo.UnconfirmedError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, 2, ue.Part)
	require.Equal(t, 3, ue.Parts)
	require.False(t, errors.Is(err, helpdesk.ErrUnconfirmed), "the third text is still to send: not settled")
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae, "the vendor's error stays reachable")
	require.Equal(t, http.StatusInternalServerError, ae.StatusCode)
	require.Equal(t, parts[:2], env.State(t, conv).Public)

	_, err = env.Helpdesk.SendMessage(t.Context(), conv, msg)
	require.NoError(t, err)
	require.Equal(t, parts, env.State(t, conv).Public)
	require.Equal(t, 3, srv.RequestsTo(sendPath))

	// The last text unconfirmed: settled.
	srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault500After}, Match: nthWrite(3)})
	_, err = env.Helpdesk.SendMessage(t.Context(), conv, helpdesk.Message{Text: text, IdempotencyKey: "long-2"})
	require.ErrorAs(t, err, &ue)
	require.Equal(t, 3, ue.Part)
	require.ErrorIs(t, err, helpdesk.ErrUnconfirmed)
}

// A reply retried on another replica (another client, without the first
// one's memory) sharing the reply progress store never texts an
// unconfirmed part again: helpdesk.Reply counted it as settled.
func TestReplyRetriedOnAnotherReplicaNeverResendsAnUnconfirmedText(t *testing.T) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{Validate: specValidator(t), NoRateLimits: true})
	client := func() *klaviyo.Client {
		kl, err := klaviyo.New(srv.Config(webhookSecrets...), &klaviyo.Options{HTTPClient: srv.Client(), NoBudget: true, ConversationLimit: -1})
		require.NoError(t, err)
		return kl
	}
	first, second := client(), client()
	conv := helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: srv.NewProfile(newPhone(), "Where is my order?"), Channel: helpdesk.ChannelSMS}
	parts := helpdesk.SplitterFunc(func(string) ([]string, error) {
		return []string{"Your order left today.", "It arrives Friday.", "Anything else?"}, nil
	})
	for _, f := range []drivertest.Fault{drivertest.Fault500Before, drivertest.Fault500After} {
		t.Run(f.String(), func(t *testing.T) {
			before := srv.RequestsTo(sendPath)
			store := helpdesk.NewMemoryReplyStore(0) // shared by both replicas, as helpdesk/redisreply is
			opts := helpdesk.ReplyOptions{Splitter: parts, IdempotencyKey: "answer-" + f.String(), Store: store}
			srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{f}, Match: nthWrite(2)})
			rc, err := helpdesk.Reply(t.Context(), first, conv, "x", opts)
			require.ErrorIs(t, err, helpdesk.ErrUnconfirmed)
			require.Len(t, rc, 2)
			require.Equal(t, before+2, srv.RequestsTo(sendPath), "stopped after the unconfirmed text")

			rc, err = helpdesk.Reply(t.Context(), second, conv, "x", opts)
			var ue *helpdesk.UnconfirmedPartsError
			require.ErrorAs(t, err, &ue)
			require.Equal(t, []int{2}, ue.Parts)
			require.Len(t, rc, 3)
			require.Equal(t, before+3, srv.RequestsTo(sendPath), "the other replica's retry texts the third only")

			_, err = helpdesk.Reply(t.Context(), first, conv, "x", opts)
			require.ErrorAs(t, err, &ue, "complete, with its text in doubt")
			require.Equal(t, before+3, srv.RequestsTo(sendPath))
		})
	}
	out := srv.Outbound(conv.ID)
	require.Equal(t, []string{
		"Your order left today.", "Anything else?", // the second text died before Klaviyo processed it
		"Your order left today.", "It arrives Friday.", "Anything else?",
	}, out, "no text twice within an answer; only the text lost before processing is missing")
}

// No request carries a header net/http would resend a POST by itself for.
func TestNoIdempotencyKeyHeader(t *testing.T) {
	env, srv := faultEnv(t, nil)
	var seen []string
	srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Match: func(r *http.Request) bool {
		for k := range r.Header {
			if k == "Idempotency-Key" || k == "X-Idempotency-Key" {
				seen = append(seen, r.Method+" "+r.URL.Path)
			}
		}
		return false
	}})
	conv := env.NewConversation(t)
	_, err := helpdesk.Reply(t.Context(), env.Helpdesk, conv, "One.", helpdesk.ReplyOptions{IdempotencyKey: "k"})
	require.NoError(t, err)
	require.Equal(t, 1, srv.RequestsTo(sendPath))
	require.Empty(t, seen)
}

// nthWrite matches the n-th write only (Match runs under the fake's lock,
// one request at a time).
func nthWrite(n int) func(*http.Request) bool {
	seen := 0
	return func(r *http.Request) bool {
		if r.Method == http.MethodGet {
			return false
		}
		seen++
		return seen == n
	}
}

// failFirst fails the first request it is given before writing a byte.
type failFirst struct {
	base   http.RoundTripper
	failed bool
}

func (f *failFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && !f.failed {
		f.failed = true
		return nil, errors.New("proxy refused the request")
	}
	return f.base.RoundTrip(r)
}

// A text whose request was never written is not unconfirmed: the failure
// is the plain one, and the host's retry with the same key sends it.
func TestUnwrittenTextIsSentOnRetry(t *testing.T) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{Validate: specValidator(t), NoRateLimits: true})
	hc := srv.Client()
	hc.Transport = &failFirst{base: hc.Transport}
	kl, err := klaviyo.New(srv.Config(webhookSecrets...), &klaviyo.Options{HTTPClient: hc, NoBudget: true})
	require.NoError(t, err)
	conv := helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: srv.NewProfile(newPhone(), "Hi"), Channel: helpdesk.ChannelSMS}
	msg := helpdesk.Message{Text: "Your order ships today.", IdempotencyKey: "answer-2/1"}
	_, err = kl.SendMessage(t.Context(), conv, msg)
	require.Error(t, err)
	var ue *klaviyo.UnconfirmedError
	require.False(t, errors.As(err, &ue), "never written: %v", err)
	require.Zero(t, srv.RequestsTo(sendPath))
	_, err = kl.SendMessage(t.Context(), conv, msg)
	require.NoError(t, err)
	require.Equal(t, []string{msg.Text}, srv.Outbound(conv.ID))
}

// cancellingBudget ends the caller's context while the call waits.
type cancellingBudget struct{ cancel context.CancelFunc }

func (b cancellingBudget) Wait(ctx context.Context, _ transport.Call) error {
	b.cancel()
	<-ctx.Done()
	return ctx.Err()
}

func (cancellingBudget) Observe(transport.Call, int, http.Header) {}

// A request cancelled while it waits for the budget was never written
// either.
func TestCancelledBudgetWaitIsNotUnconfirmed(t *testing.T) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{Validate: specValidator(t), NoRateLimits: true})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	kl, err := klaviyo.New(srv.Config(webhookSecrets...), &klaviyo.Options{HTTPClient: srv.Client(), Budget: cancellingBudget{cancel}})
	require.NoError(t, err)
	conv := helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: srv.NewProfile(newPhone(), "Hi"), Channel: helpdesk.ChannelSMS,
		Extra: map[string]string{klaviyo.ExtraConversationID: "01C-known"}}
	_, err = kl.SendMessage(ctx, conv, helpdesk.Message{Text: "Hello", IdempotencyKey: "k/1"})
	require.ErrorIs(t, err, context.Canceled)
	require.Error(t, err)
	var ue *klaviyo.UnconfirmedError
	require.False(t, errors.As(err, &ue), "never written: %v", err)
	require.Zero(t, srv.RequestsTo(sendPath))
}
