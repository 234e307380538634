package helpdesktest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Harness connects RunConformance to one driver and its fake vendor server.
//
// Deprecated: use drivertest.Harness.
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
}

// Env is one driver wired to a fresh fake vendor.
//
// Deprecated: use drivertest.Env.
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
	// that the customer wrote text in conv.
	CustomerMessage func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request
	// BotEcho returns a correctly signed delivery reporting a message the
	// bot itself posted (the echo every vendor sends back).
	BotEcho func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request
	// Forged returns the customer delivery signed with a wrong secret.
	Forged func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request
	// Unsigned returns the customer delivery without its signature (or
	// shared-secret) header.
	Unsigned func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request
	// Malformed returns a correctly signed delivery whose body is not a
	// valid payload for the vendor.
	Malformed func(t *testing.T) *http.Request

	// FailNext makes the fake answer the next API request with status, the
	// way the vendor does (with its error body and, for 429, its headers
	// and a Retry-After far beyond any retry budget).
	FailNext func(status int)
	// Stall makes the fake hold every API request for d before answering.
	Stall func(d time.Duration)
	// Requests returns how many API requests the fake has answered.
	Requests func() int

	// Group and Agent are ids of a human group/team and a human agent
	// that exist at the fake, for Reassign.
	Group string
	Agent string
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
