package driver

import (
	"fmt"
	"net/http"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// unsupportedError wraps ErrUnsupported with the vendor and what it
// cannot do.
type unsupportedError struct{ vendor, what string }

func (e *unsupportedError) Error() string {
	return e.vendor + ": " + e.what + " is not supported by this helpdesk"
}
func (e *unsupportedError) Unwrap() error { return helpdesk.ErrUnsupported }

// Unsupported returns an error matching helpdesk.ErrUnsupported naming the
// vendor and what it cannot do. The Portable returns it for undeclared
// capabilities; drivers return it for narrower cases (an internal note on
// a chat conversation without its ticket).
func Unsupported(vendor, what string) error { return &unsupportedError{vendor: vendor, what: what} }

// InvalidSignature returns a *helpdesk.WebhookError (status 401) of kind
// (one of helpdesk.ErrSignatureMissing, ErrSignatureMismatch,
// ErrSignatureStale, ErrSignatureFuture). Never put a secret, a signature
// or body content in the reason.
func InvalidSignature(kind error, format string, args ...any) error {
	return &helpdesk.WebhookError{Kind: kind, Reason: fmt.Sprintf(format, args...), Status: http.StatusUnauthorized}
}

// InvalidPayload returns a *helpdesk.WebhookError (status 400) matching
// helpdesk.ErrInvalidPayload.
func InvalidPayload(format string, args ...any) error {
	return &helpdesk.WebhookError{Kind: helpdesk.ErrInvalidPayload, Reason: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// KindForStatus returns the sentinel an HTTP status maps to by default;
// the transport applies it to every *helpdesk.APIError before the
// driver's Classify hook.
func KindForStatus(status int) error {
	switch status {
	case 401, 403:
		return helpdesk.ErrUnauthorized
	case 404:
		return helpdesk.ErrNotFound
	case 429:
		return helpdesk.ErrRateLimited
	case 400, 422:
		return helpdesk.ErrInvalidRequest
	}
	return nil
}
