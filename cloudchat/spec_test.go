package cloudchat_test

import (
	"net/http"
	"testing"
)

// specValidator returns the Chatwoot spec check for the fake, or nil.
func specValidator(t *testing.T) func(*http.Request, []byte) error {
	return nil
}
