package intercom_test

import (
	"net/http"
	"testing"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/openapi"
)

// specValidator returns a check of every request the driver sends against
// Intercom's published OpenAPI description (2.16), or nil when the specs
// folder is not beside the checkout (the other tests still run).
func specValidator(t *testing.T) func(*http.Request, []byte) error {
	if openapi.Dir() == "" {
		return nil
	}
	return openapi.Load(t, "intercom/api.intercom.io.yaml").Validate
}

// The checker must catch what the driver could get wrong, or passing it
// proves nothing.
func TestSpecValidatorIsActive(t *testing.T) {
	v := specValidator(t)
	if v == nil {
		drivertest.Skip(t, "OpenAPI contract checks", "the Intercom spec is not beside the checkout", "set AGENTDESK_SPECS_DIR to the folder holding the vendors' published API specs")
	}
	request := func(method, path string) *http.Request {
		r, _ := http.NewRequest(method, "http://x.test"+path, nil)
		if method == http.MethodPost {
			r.Header.Set("Content-Type", "application/json")
		}
		return r
	}
	for _, tc := range []struct {
		name, path, body string
		ok               bool
		method           string // default POST
	}{
		// The read-back of an ambiguous write (reconcile.go).
		{name: "read back", path: "/conversations/1", ok: true, method: http.MethodGet},
		{name: "read back, id not a number", path: "/conversations/abc", method: http.MethodGet},
		{"reply", "/conversations/1/reply", `{"message_type":"comment","type":"admin","admin_id":"1","body":"<p>x</p>"}`, true, ""},
		{"reply without admin", "/conversations/1/reply", `{"message_type":"comment","type":"admin","body":"x"}`, false, ""},
		{"reply with close", "/conversations/1/reply", `{"message_type":"close","type":"admin","admin_id":"1"}`, false, ""},
		{"close", "/conversations/1/parts", `{"message_type":"close","type":"admin","admin_id":"1","body":"<p>bye</p>"}`, true, ""},
		{"assign", "/conversations/1/parts", `{"message_type":"assignment","type":"team","admin_id":"1","assignee_id":"2"}`, true, ""},
		{"assign without assignee", "/conversations/1/parts", `{"message_type":"assignment","type":"team","admin_id":"1"}`, false, ""},
		{"snooze", "/conversations/1/parts", `{"message_type":"snoozed","admin_id":"1","snoozed_until":1767225600}`, true, ""},
		{"tag", "/conversations/1/tags", `{"id":"7","admin_id":"1"}`, true, ""},
		{"tag without admin", "/conversations/1/tags", `{"id":"7"}`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.method
			if m == "" {
				m = http.MethodPost
			}
			err := v(request(m, tc.path), []byte(tc.body))
			if tc.ok && err != nil {
				t.Fatalf("valid request refused: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("invalid request accepted")
			}
		})
	}
}
