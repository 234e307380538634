package cloudchat_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/openapi"
)

const chatwootSpec = "chatwoot/swagger.json"

// specValidator returns a check of every request the driver sends against
// the Chatwoot OpenAPI spec, or nil when the spec is not beside the
// checkout (the rest of the tests still run).
func specValidator(t *testing.T) func(*http.Request, []byte) error {
	dir := openapi.Dir()
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, chatwootSpec)); err != nil {
		return nil
	}
	return openapi.Load(t, chatwootSpec).Validate
}

func TestSpecValidatorIsActive(t *testing.T) {
	v := specValidator(t)
	if v == nil {
		drivertest.Skip(t, "OpenAPI contract checks", "the Chatwoot spec is not beside the checkout", "set AGENTDESK_SPECS_DIR to the folder holding the vendors' published API specs")
	}
	bad, _ := http.NewRequest("POST", "http://x.test/api/v1/accounts/1/conversations/5/messages", nil)
	bad.Header.Set("Content-Type", "application/json")
	if err := v(bad, []byte(`{"private":true}`)); err == nil {
		t.Fatal("a message without content must violate the spec")
	}
	tpl := []byte(`{"content":"x","template_params":{"name":"order_update"}}`)
	if err := v(bad, tpl); err == nil {
		t.Fatal("the spec requires category, language and processed_params in template_params")
	}
}
