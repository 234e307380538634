package klaviyo_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
)

var webhookSecrets = []string{"kl_whsec_current_3b8e71", "kl_whsec_rotating_out_a94c"}

var phones atomic.Int64

// newPhone returns a fresh E.164 number.
func newPhone() string { return fmt.Sprintf("+1555%07d", phones.Add(1)) }

// newServer starts a fake Klaviyo that checks every request against the
// published spec.
func newServer(t testing.TB) *klaviyotest.Server {
	return klaviyotest.NewServer(t, klaviyotest.Options{Validate: specValidator(t)})
}

// harness wires the driver to a fresh fake Klaviyo.
func harness(t *testing.T) *drivertest.Env {
	srv := newServer(t)
	kl, err := klaviyo.New(srv.Config(webhookSecrets...), &klaviyo.Options{HTTPClient: srv.Client()})
	require.NoError(t, err)
	sign := func(t *testing.T, body []byte, d drivertest.Delivery) *http.Request {
		secret := d.Secret
		if secret == "" {
			secret = webhookSecrets[0]
		}
		return klaviyotest.SignedRequest(t.Context(), body, secret, d.At)
	}
	return &drivertest.Env{
		Helpdesk: kl,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			return helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: srv.NewProfile(newPhone(), "Where is my order?"), Channel: helpdesk.ChannelSMS}
		},
		State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State {
			_, ok := srv.Conversation(conv.ID)
			require.True(t, ok, "no SMS conversation for profile %s at the fake", conv.ID)
			return drivertest.State{Status: helpdesk.StatusOpen, Public: srv.Outbound(conv.ID)}
		},
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
			return sign(t, srv.SentSMS(conv.ID, text), d)
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return sign(t, srv.ReceivedSMS(conv.ID, text), drivertest.Delivery{})
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			r := sign(t, srv.SentSMS(conv.ID, text), drivertest.Delivery{})
			r.Header.Del(klaviyo.SignatureHeader)
			return r
		},
		Malformed: func(t *testing.T) *http.Request {
			return klaviyotest.SignedRequest(t.Context(), []byte(`{"data":[{"topic":"event:klaviyo.sent_sms","payload":`), webhookSecrets[0], time.Time{})
		},
		Secrets:        append([]string{klaviyotest.APIKey}, webhookSecrets...),
		WebhookSecrets: webhookSecrets,
		SignsTime:      true,
		FailNext:       srv.FailNext,
		RetryAfter:     true,
		Stall:          srv.Stall,
		// Klaviyo can neither be read back nor take an idempotency key:
		// a text whose request died before Klaviyo processed it is not
		// resent (see reconcile.go) and is missing from the answer, so the
		// kit checks at-most-once under every fault, and completeness
		// under the faults the driver settles.
		InjectFaults: srv.InjectFaults,
		AtMostOnce:   true,
		Requests:     srv.Requests,
	}
}

func TestConformance(t *testing.T) {
	drivertest.RunConformance(t, drivertest.HarnessFunc(harness))
}
