package drivertest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Harness connects RunConformance to one driver and its fake vendor server.
// Each call to Setup returns a fresh, isolated Env; the suite runs its
// subtests in parallel, each with its own Env.
type Harness interface {
	Setup(t *testing.T) *Env
}

// HarnessFunc adapts a function to Harness.
type HarnessFunc func(t *testing.T) *Env

// Setup implements Harness.
func (f HarnessFunc) Setup(t *testing.T) *Env { return f(t) }

// State is what the fake vendor holds for a conversation, normalised.
type State struct {
	// Status uses the normalised values (StatusResolved for Zendesk
	// "solved", Chatwoot "resolved", Intercom "closed", HubSpot CLOSED).
	Status helpdesk.Status
	// GroupID and AgentID are the current group/team and assignee ("" for
	// none).
	GroupID string
	AgentID string
	// Public holds the texts of customer-visible messages posted through
	// the API (by the bot), in order; Notes the internal notes. Messages
	// the customer wrote are not included.
	Public []string
	Notes  []string
	// Attachments holds the URLs (or names, where the vendor keeps no URL)
	// of files the bot attached, in order.
	Attachments []string
}

// Delivery builds one webhook delivery for a conversation. The suite calls
// the Env's delivery builders with these options to ask for stale, future
// or rotated-secret deliveries.
type Delivery struct {
	// At is the time the delivery is signed at (zero: now). Drivers whose
	// vendor signs no time ignore it (see Env.SignsTime).
	At time.Time
	// Secret is the secret to sign with (empty: the driver's first
	// configured secret).
	Secret string
}

// Env is one driver wired to a fresh fake vendor. Fields marked optional
// may be nil when the vendor has no such thing; the suite then checks that
// the driver says so (for example ErrUnsupported), never skips silently.
type Env struct {
	// Helpdesk is the driver under test, configured against the fake.
	Helpdesk helpdesk.Helpdesk

	// NewConversation creates a conversation at the fake, assigned to the
	// bot and open, with a first customer message, and returns the
	// reference a webhook would have produced.
	NewConversation func(t *testing.T) helpdesk.Conversation
	// State returns what the fake holds for conv.
	State func(t *testing.T, conv helpdesk.Conversation) State

	// CustomerMessage returns a correctly signed webhook delivery reporting
	// that the customer wrote text in conv, signed as d says.
	CustomerMessage func(t *testing.T, conv helpdesk.Conversation, text string, d Delivery) *http.Request
	// BotEcho returns a correctly signed delivery reporting a message the
	// bot itself posted (the echo every vendor sends back).
	BotEcho func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request
	// Unsigned returns the customer delivery without its signature (or
	// shared-secret) header.
	Unsigned func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request
	// Malformed returns a correctly signed delivery whose body is not a
	// valid payload for the vendor.
	Malformed func(t *testing.T) *http.Request

	// Secrets are every secret the driver was configured with (API
	// tokens, webhook secrets, client secrets). The suite checks that none
	// of them appears in any error it provokes. The first two webhook
	// secrets are WebhookSecrets.
	Secrets []string
	// WebhookSecrets are the driver's configured webhook secrets, at
	// least two (the current one and the one being rotated out): a
	// delivery signed with either is accepted.
	WebhookSecrets []string
	// SignsTime is true when the vendor signs a time with each delivery,
	// so that stale and future deliveries must be refused. False for
	// vendors that sign none (Intercom, Sunshine's shared secret): the
	// suite then checks that the driver's dedupe guards replays.
	SignsTime bool

	// CloseConversation closes conv at the fake the way the vendor does
	// when it refuses further updates (a closed Zendesk ticket). Optional:
	// nil when the vendor always accepts a message (the suite then checks
	// that a message to a resolved conversation still works).
	CloseConversation func(t *testing.T, conv helpdesk.Conversation) helpdesk.Conversation
	// ReplyWindowClosed returns a conversation whose channel no longer
	// accepts a free-form reply (WhatsApp after 24 hours). Optional: nil
	// when the vendor has no reply windows.
	ReplyWindowClosed func(t *testing.T) helpdesk.Conversation
	// IdempotencyKeys returns the idempotency keys (or vendor echo ids) the
	// fake received, in order. Optional: nil when the vendor takes none.
	IdempotencyKeys func() []string

	// FailNext makes the fake answer the next API request with status, the
	// way the vendor does (with its error body and, for 429, its headers).
	FailNext func(status int)
	// RetryAfter is true when the vendor tells how long to wait on a 429
	// (Retry-After or a reset header); false for vendors that send none
	// (Chatwoot, Sunshine), whose drivers may still compute a wait.
	RetryAfter bool
	// Stall makes the fake hold every API request for d before answering.
	Stall func(d time.Duration)
	// InjectFaults makes the fake fail a share of API writes as p says
	// (VendorServer.InjectFaults on each fake server the driver writes
	// to); a zero plan stops. The Faults scenario needs it and skips,
	// saying so, while a driver's Env lacks it.
	InjectFaults func(p FaultPlan)
	// AtMostOnce declares a driver whose vendor can neither be read back
	// nor take an idempotency key it honours (Klaviyo SMS): it sends each
	// part at most once, so a fault before the vendor processed a write
	// loses that part, surfaced to the host as an error. The Faults
	// scenario then checks, under every fault kind, that no part is
	// duplicated or reordered; and, under the faults such a driver can
	// settle (429s and failures after processing), that every answer is
	// complete. Say in the driver's doc why it is set.
	AtMostOnce bool
	// Requests returns how many API requests the fake has answered.
	Requests func() int

	// AttachmentURL is the URL of a file the suite attaches to a message.
	// Optional: by default the suite serves a small text file on a
	// loopback httptest server (drivers that download attachments to
	// upload them fetch it there).
	AttachmentURL string

	// Group and Agent are ids of a human group/team and a human agent
	// that exist at the fake, for Reassign.
	Group string
	Agent string

	// NewHandler builds the webhook handler the suite drives (default
	// helpdesk.NewWebhookHandler). The kit's own tests plant broken
	// handlers through it; drivers leave it nil.
	NewHandler func(p helpdesk.WebhookParser, fn helpdesk.EventFunc, o *helpdesk.WebhookOptions) (http.Handler, error)
}

// Deliver reads an http.Request built by an Env into a WebhookRequest and
// parses it with h.
func Deliver(ctx context.Context, h helpdesk.Helpdesk, r *http.Request) ([]helpdesk.Event, error) {
	req, err := helpdesk.ReadWebhookRequest(nil, r, 0)
	if err != nil {
		return nil, err
	}
	return h.ParseWebhook(ctx, req)
}
