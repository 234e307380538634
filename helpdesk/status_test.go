package helpdesk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// A failing event function in synchronous mode and WebhookStatus agree on
// the status of a host failure: 500, the one every vendor redelivers on
// (Chatwoot retries only 429 and 500).
func TestSyncFailureStatusMatchesWebhookStatus(t *testing.T) {
	for _, hostErr := range []error{
		errors.New("model timed out"),
		context.DeadlineExceeded,
		context.Canceled,
		fmt.Errorf("send: %w", helpdesk.ErrRateLimited),
	} {
		t.Run(hostErr.Error(), func(t *testing.T) {
			f := helpdesktest.NewFake()
			h, err := helpdesk.NewWebhookHandler(f, func(context.Context, helpdesk.Event) error { return hostErr }, nil)
			require.NoError(t, err)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, f.Delivery(f.CustomerWrites(f.Open("1", helpdesk.ChannelWebChat), "hi")))
			require.Equal(t, http.StatusInternalServerError, rec.Code)
			require.Equal(t, rec.Code, helpdesk.WebhookStatus(hostErr), "WebhookStatus documents the status the handler answers")
		})
	}
}
