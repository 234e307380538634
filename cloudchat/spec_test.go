package cloudchat_test

import (
	"net/http"
	"testing"

	"github.com/agentdesk/agentdesk/internal/contract"
)

// specValidator returns a check of every request the driver sends against
// the Chatwoot OpenAPI spec, or nil when the spec is not beside the
// checkout (the rest of the tests still run).
func specValidator(t *testing.T) func(*http.Request, []byte) error {
	if contract.Dir() == "" {
		return nil
	}
	return contract.Load(t, "chatwoot/swagger.json").Validate
}
