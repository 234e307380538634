package klaviyo_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/openapi"
)

const klaviyoSpec = "klaviyo/stable.json"

// specValidator returns a check of every request against Klaviyo's
// published spec, or nil when the spec is not beside the checkout (the
// other tests still run).
func specValidator(t testing.TB) func(*http.Request, []byte) error {
	dir := openapi.Dir()
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, klaviyoSpec)); err != nil {
		return nil
	}
	return openapi.Load(t, klaviyoSpec).Validate
}

func TestSpecValidatorIsActive(t *testing.T) {
	v := specValidator(t)
	if v == nil {
		t.Skip("Klaviyo spec not beside the checkout")
	}
	post := func(path, body string) error {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/vnd.api+json")
		r.Header.Set("revision", "2026-07-15")
		return v(r, []byte(body))
	}
	good := `{"data":{"type":"conversation-message","attributes":{"body":"hi"},"relationships":{"conversation":{"data":{"type":"conversation","id":"c1"}}}}}`
	require.NoError(t, post("/api/conversation-messages", good))
	require.Error(t, post("/api/conversation-messages", `{"data":{"type":"conversation-message","attributes":{},"relationships":{"conversation":{"data":{"type":"conversation","id":"c1"}}}}}`),
		"a message without a body must violate the spec")
	require.Error(t, post("/api/event-bulk-create-jobs", `{"data":{"type":"event-bulk-create-job","attributes":{}}}`),
		"a bulk job without events must violate the spec")
	r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/api/webhook-topics", nil)
	require.Error(t, v(r, nil), "the revision header is required")
}

// sampledValidator checks every request against the spec, except that of
// the bulk jobs, which all have one shape, only the first two are: the
// spec check of a 1,000-event body costs seconds under the race detector.
func sampledValidator(t testing.TB) func(*http.Request, []byte) error {
	v := specValidator(t)
	if v == nil {
		return nil
	}
	var bulk atomic.Int64
	return func(r *http.Request, body []byte) error {
		if r.URL.Path == "/api/event-bulk-create-jobs" && bulk.Add(1) > 2 {
			return nil
		}
		return v(r, body)
	}
}
