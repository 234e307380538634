package helpdesk

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Every error returned by a driver, the transport or the
// budget that falls into one of these classes matches it with errors.Is, so
// host code never needs to inspect HTTP status codes.
var (
	// ErrRateLimited means the vendor answered 429, or a budget refused to
	// wait as long as the caller allowed.
	ErrRateLimited = errors.New("helpdesk: rate limited")
	// ErrUnauthorized means the credentials were rejected or lack a permission.
	ErrUnauthorized = errors.New("helpdesk: unauthorized")
	// ErrNotFound means the conversation, ticket or other resource does not exist.
	ErrNotFound = errors.New("helpdesk: not found")
	// ErrConversationClosed means the vendor refuses updates to the
	// conversation because it is closed (for example a closed Zendesk ticket).
	ErrConversationClosed = errors.New("helpdesk: conversation closed")
	// ErrInvalidSignature means a webhook's signature or shared secret is
	// missing, stale or wrong.
	ErrInvalidSignature = errors.New("helpdesk: invalid webhook signature")
	// ErrInvalidPayload means a webhook body (or its content type) could not be
	// understood.
	ErrInvalidPayload = errors.New("helpdesk: invalid webhook payload")
	// ErrUnsupported means the driver's vendor cannot do what was asked; see
	// Capabilities.
	ErrUnsupported = errors.New("helpdesk: unsupported by this helpdesk")
	// ErrReplyWindowClosed means the channel no longer accepts a free-form
	// reply (WhatsApp's 24-hour window, Messenger and Instagram's 24 hours):
	// only an approved template reaches the customer. Drivers return it
	// before spending a request when they know the window is closed.
	ErrReplyWindowClosed = errors.New("helpdesk: reply window closed, a template is required")
	// ErrInvalidRequest means the vendor rejected the request as invalid
	// (validation errors, missing required fields). FieldError values wrap it.
	ErrInvalidRequest = errors.New("helpdesk: invalid request")
)

// APIError is a non-2xx answer from a vendor API. It keeps what is needed to
// debug the failure with the vendor's support (status and request id) and
// nothing secret: Body is an excerpt with credentials redacted.
type APIError struct {
	// Vendor names the helpdesk, e.g. "zendesk".
	Vendor string
	// Method and Path of the request (path without query string).
	Method string
	Path   string
	// StatusCode is the HTTP status.
	StatusCode int
	// RequestID is the vendor's request or correlation id, when it sent one.
	RequestID string
	// Code and Message are the vendor's error code and text, when the body
	// had them.
	Code    string
	Message string
	// RetryAfter is how long the vendor asked to wait (429 and 503), zero
	// when it did not say.
	RetryAfter time.Duration
	// Body is an excerpt of the response body with secrets redacted.
	Body string
	// Kind is the sentinel this error matches (ErrRateLimited, ErrNotFound,
	// ...); nil when none applies. Drivers may set it for vendor-specific
	// cases such as a closed ticket.
	Kind error
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Vendor)
	if b.Len() == 0 {
		b.WriteString("helpdesk")
	}
	fmt.Fprintf(&b, ": %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap lets errors.Is match the sentinel in Kind.
func (e *APIError) Unwrap() error { return e.Kind }

// FieldError reports that a vendor rejected a request because of one field,
// e.g. a Zendesk ticket field required to solve. It matches
// ErrInvalidRequest and wraps the underlying *APIError.
type FieldError struct {
	Field   string
	Problem string
	Err     error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("helpdesk: field %q: %s", e.Field, e.Problem)
}

// Unwrap returns ErrInvalidRequest and the underlying error (usually an
// *APIError) when there is one.
func (e *FieldError) Unwrap() []error {
	if e.Err == nil || e.Err == ErrInvalidRequest {
		return []error{ErrInvalidRequest}
	}
	return []error{ErrInvalidRequest, e.Err}
}

// PartialSendError is returned when a multi-part reply stopped at a failed
// part. Delivered parts reached the customer; the rest did not.
type PartialSendError struct {
	Delivered int
	Total     int
	Err       error
}

func (e *PartialSendError) Error() string {
	return fmt.Sprintf("helpdesk: sent %d of %d message parts: %v", e.Delivered, e.Total, e.Err)
}

func (e *PartialSendError) Unwrap() error { return e.Err }

// ErrUnconfirmed is matched (errors.Is) by a driver's error for a message
// that may or may not have reached the customer and that the driver will
// not send again: its vendor can neither be read back nor take an
// idempotency key (Klaviyo's texts), so sending it again could repeat it
// and not sending it may lose it. Reply counts such a part as settled in
// its progress and reports it, once the reply is complete, with an
// *UnconfirmedPartsError: a retry of the same reply, on any replica
// sharing the progress store, does not send it again.
var ErrUnconfirmed = errors.New("helpdesk: message may or may not have reached the customer, and is not sent again")

// UnconfirmedPartsError is returned by Reply when every part was sent but
// some the driver could not confirm (ErrUnconfirmed): the customer may
// miss them, and nothing will resend them. Retrying returns it again: a
// host would log it or tell an agent (an internal note) and go on.
type UnconfirmedPartsError struct {
	// Parts are the unconfirmed parts' numbers, 1-based, in order.
	Parts []int
	// Total is the number of parts of the reply.
	Total int
	// Err is the first unconfirmed part's error.
	Err error
}

func (e *UnconfirmedPartsError) Error() string {
	return fmt.Sprintf("helpdesk: sent %d message parts; part(s) %v may or may not have reached the customer and are not sent again: %v",
		e.Total, e.Parts, e.Err)
}

func (e *UnconfirmedPartsError) Unwrap() error { return e.Err }
