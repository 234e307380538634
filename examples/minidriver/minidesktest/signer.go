package minidesktest

import (
	"context"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/examples/minidriver"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// WebhookPath is where the tests' webhook endpoint listens.
const WebhookPath = "/webhooks/minidesk"

// Sign sets the X-Minidesk-Signature and X-Minidesk-Timestamp headers of r
// for body, signed with secret at time at, as Minidesk does.
func Sign(r *http.Request, body []byte, secret string, at time.Time) {
	minidriver.Scheme.SignRequest(r, body, secret, at)
}

// SignedRequest returns a webhook POST of body signed with secret at time
// at (zero: now).
func SignedRequest(ctx context.Context, body []byte, secret string, at time.Time) *http.Request {
	if at.IsZero() {
		at = time.Now()
	}
	r := drivertest.SignedRequest(ctx, WebhookPath, body, nil)
	Sign(r, body, secret, at)
	return r
}
