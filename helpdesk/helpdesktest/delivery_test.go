package helpdesktest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// A handler mounted at its real route on a mux receives the Fake's
// deliveries when the test names that route; Delivery keeps the default.
func TestDeliveryToMountedRoute(t *testing.T) {
	f := helpdesktest.NewFake()
	var got []string
	h, err := helpdesk.NewWebhookHandler(f, func(_ context.Context, e helpdesk.Event) error {
		got = append(got, e.Message.Text)
		return nil
	}, nil)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/helpdesk", h)
	c := f.Open("1", helpdesk.ChannelWebChat)

	for _, tc := range []struct {
		name string
		req  *http.Request
		code int
	}{
		{"DeliveryTo", f.DeliveryTo("/webhooks/helpdesk", f.CustomerWrites(c, "one")), http.StatusOK},
		{"DeliveryToWith", f.DeliveryToWith("webhooks/helpdesk", helpdesktest.Signing{}, f.CustomerWrites(c, "two")), http.StatusOK},
		{"Delivery at the default path", f.Delivery(f.CustomerWrites(c, "three")), http.StatusNotFound},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, tc.req)
		require.Equal(t, tc.code, rec.Code, tc.name)
	}
	require.Equal(t, []string{"one", "two"}, got)
	require.Equal(t, helpdesktest.DefaultDeliveryPath, f.Delivery(f.CustomerWrites(c, "x")).URL.Path)
}
