package zendesk_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/openapi"
)

// sunshineContract returns a validator for zendesktest.Options.ValidateSunshine
// checking requests against the published Sunshine Conversations spec, or
// nil when the specs folder is absent (the test then runs without the
// contract check instead of being skipped).
func sunshineContract(t testing.TB) func(r *http.Request, body []byte) error {
	dir := openapi.Dir()
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "sunshine", "openapi.yaml")); err != nil {
		return nil
	}
	return openapi.Load(t, "sunshine/openapi.yaml").Validate
}
