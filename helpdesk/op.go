package helpdesk

import (
	"errors"
	"reflect"
)

// Signature errors: a *WebhookError for a delivery that could not be
// authenticated matches exactly one of these, and every one of them
// matches ErrInvalidSignature, so a host that only cares about "forged or
// not" keeps using ErrInvalidSignature.
var (
	// ErrSignatureMissing: the signature (or shared-secret) header, or
	// the signed timestamp, is absent, or no secret is configured.
	ErrSignatureMissing error = &signatureError{"helpdesk: webhook signature missing"}
	// ErrSignatureMismatch: the signature is malformed or matches none of
	// the configured secrets.
	ErrSignatureMismatch error = &signatureError{"helpdesk: webhook signature mismatch"}
	// ErrSignatureStale: the signature is valid but its time is older than
	// the tolerance (a replay, or a delivery held up too long).
	ErrSignatureStale error = &signatureError{"helpdesk: webhook signature too old"}
	// ErrSignatureFuture: the signature is valid but its time is further in
	// the future than the tolerance (a clock far off, or a forgery
	// prepared in advance).
	ErrSignatureFuture error = &signatureError{"helpdesk: webhook signature time in the future"}
)

// signatureError is a distinct signature failure that also matches
// ErrInvalidSignature.
type signatureError struct{ msg string }

func (e *signatureError) Error() string        { return e.msg }
func (e *signatureError) Is(target error) bool { return target == ErrInvalidSignature }

// Op names a Helpdesk operation in an *OpError.
type Op string

// Operations.
const (
	OpSendMessage  Op = "send message"
	OpResolve      Op = "resolve"
	OpReassign     Op = "reassign"
	OpParseWebhook Op = "parse webhook"
	// OpCreateConversation opens a conversation (CreateConversation).
	OpCreateConversation Op = "create conversation"
)

// OpError is the error every driver's Helpdesk methods return: the
// operation, vendor and conversation, around the cause (an *APIError, a
// *FieldError, a context error...). It is added once, at the boundary
// between the portable core and the driver, so errors.Is and errors.As see
// through it to the sentinels and typed errors beneath.
type OpError struct {
	Op     Op
	Vendor string
	// Conversation is the conversation's id ("" for webhooks).
	Conversation string
	Err          error
}

func (e *OpError) Error() string {
	s := e.Vendor
	if s == "" {
		s = "helpdesk"
	}
	s += ": " + string(e.Op)
	if e.Conversation != "" {
		s += " (conversation " + e.Conversation + ")"
	}
	if e.Err == nil {
		return s
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// As reaches the vendor's own client type behind h, for the extras the
// portable interface does not have: with a Helpdesk from zendesk.New,
//
//	var zc *zendesk.Client
//	if helpdesk.As(h, &zc) { zc.GetTicket(...) }
//
// It reports false when h does not offer such a type.
func As(h Helpdesk, target any) bool {
	if a, ok := h.(interface{ As(any) bool }); ok {
		return a.As(target)
	}
	return false
}

// ErrorAs is errors.As extended with the vendor error types the driver
// behind h offers: it first tries errors.As, then asks the driver.
func ErrorAs(h Helpdesk, err error, target any) bool {
	if err == nil {
		return false
	}
	if asTarget(target) && errors.As(err, target) {
		return true
	}
	if a, ok := h.(interface{ ErrorAs(error, any) bool }); ok {
		return a.ErrorAs(err, target)
	}
	return false
}

var errorType = reflect.TypeFor[error]()

// asTarget reports whether errors.As accepts target (it panics otherwise).
func asTarget(target any) bool {
	t := reflect.TypeOf(target)
	if t == nil || t.Kind() != reflect.Pointer || reflect.ValueOf(target).IsNil() {
		return false
	}
	e := t.Elem()
	return e.Kind() == reflect.Interface || e.Implements(errorType)
}
