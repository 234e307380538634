package hubspottest

import (
	"context"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot"
)

// Paths where the tests' webhook endpoints listen.
const (
	WebhookPath       = "/webhooks/hubspot"
	TicketWebhookPath = "/webhooks/hubspot/tickets"
)

// Sign sets X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp on r
// for body, signed with clientSecret at time at over r's method and URL,
// as HubSpot signs app webhooks.
func Sign(r *http.Request, body []byte, clientSecret string, at time.Time) {
	hubspot.SchemeV3.SignRequest(r, body, clientSecret, at)
}

// SignV2 sets X-HubSpot-Signature (v2) and X-HubSpot-Signature-Version on
// r, as HubSpot signs workflow webhooks.
func SignV2(r *http.Request, body []byte, clientSecret string) {
	hubspot.SchemeV2.SignRequest(r, body, clientSecret, time.Time{})
	r.Header.Set(hubspot.SignatureVersionHeader, "v2")
}

// SignedRequest returns an app webhook POST of body to WebhookPath,
// signed (v3) with clientSecret at time at (zero: now).
func SignedRequest(ctx context.Context, body []byte, clientSecret string, at time.Time) *http.Request {
	if at.IsZero() {
		at = time.Now()
	}
	r := drivertest.SignedRequest(ctx, WebhookPath, body, nil)
	Sign(r, body, clientSecret, at)
	return r
}

// TicketCreatedRequest returns the ticket-created workflow's POST to
// TicketWebhookPath (body as hubspot.TicketWorkflowBody), signed v2.
func TicketCreatedRequest(ctx context.Context, ticket, thread int64, clientSecret string) *http.Request {
	body := TicketCreatedBody(ticket, thread)
	r := drivertest.SignedRequest(ctx, TicketWebhookPath, body, nil)
	SignV2(r, body, clientSecret)
	return r
}

// TicketCreatedBody is the workflow webhook's body for ticket and thread.
func TicketCreatedBody(ticket, thread int64) []byte {
	return []byte(`{"hs_ticket_id":"` + itoa(ticket) + `","hs_conversations_originating_thread_id":"` + itoa(thread) + `"}`)
}
