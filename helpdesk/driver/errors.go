package driver

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"

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

// ErrorAs is errors.As that reports false instead of panicking when target
// is not a non-nil pointer to an error or interface type. Drivers without
// vendor error types of their own implement Driver.ErrorAs with it.
func ErrorAs(err error, target any) bool {
	if err == nil || target == nil {
		return false
	}
	t := reflect.TypeOf(target)
	if t.Kind() != reflect.Pointer || reflect.ValueOf(target).IsNil() {
		return false
	}
	if e := t.Elem(); e.Kind() != reflect.Interface && !e.Implements(errorType) {
		return false
	}
	return errors.As(err, target)
}

var errorType = reflect.TypeFor[error]()
