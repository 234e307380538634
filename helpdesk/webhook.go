package helpdesk

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultMaxWebhookBytes caps webhook bodies when no other limit is set.
// Vendors' deliveries are far smaller (Sunshine caps JSON at 100 KB).
const DefaultMaxWebhookBytes = 1 << 20

// WebhookRequest is a webhook delivery as a driver needs it to verify and
// parse it: the raw body bytes (signatures are computed over them, never over
// re-encoded JSON), the headers, and the method and URL the vendor called.
type WebhookRequest struct {
	Method string
	// URL is the URL the vendor called, as the vendor saw it. Behind a
	// proxy that rewrites host or scheme, set it from configuration
	// (HubSpot signs the full URI).
	URL    *url.URL
	Header http.Header
	Body   []byte
	// ReceivedAt is when the delivery arrived; timestamp tolerance checks
	// use it.
	ReceivedAt time.Time
}

// WebhookError is the typed error for rejected deliveries. It matches
// ErrInvalidSignature or ErrInvalidPayload (Kind) with errors.Is, and its
// message never contains secrets or body content.
type WebhookError struct {
	Kind   error
	Reason string
	// Status is the HTTP status the webhook handler answers with.
	Status int
}

func (e *WebhookError) Error() string {
	if e.Kind == nil {
		return "helpdesk: webhook: " + e.Reason
	}
	return e.Kind.Error() + ": " + e.Reason
}

// Unwrap returns the sentinel.
func (e *WebhookError) Unwrap() error { return e.Kind }

// invalidPayload returns a *WebhookError matching ErrInvalidPayload.
func invalidPayload(format string, args ...any) error {
	return &WebhookError{Kind: ErrInvalidPayload, Reason: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// ReadWebhookRequest reads r's body, at most maxBytes of it (0 means
// DefaultMaxWebhookBytes), and returns a WebhookRequest. Oversized bodies give
// a *WebhookError with status 413 matching ErrInvalidPayload; an empty body
// gives ErrInvalidPayload too.
func ReadWebhookRequest(w http.ResponseWriter, r *http.Request, maxBytes int64) (*WebhookRequest, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxWebhookBytes
	}
	if r.ContentLength > maxBytes {
		return nil, &WebhookError{Kind: ErrInvalidPayload, Reason: fmt.Sprintf("body of %d bytes exceeds %d", r.ContentLength, maxBytes), Status: http.StatusRequestEntityTooLarge}
	}
	var body io.Reader = r.Body
	if w != nil {
		body = http.MaxBytesReader(w, r.Body, maxBytes)
	} else {
		body = io.LimitReader(r.Body, maxBytes+1)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &WebhookError{Kind: ErrInvalidPayload, Reason: fmt.Sprintf("body exceeds %d bytes", maxBytes), Status: http.StatusRequestEntityTooLarge}
		}
		return nil, &WebhookError{Kind: ErrInvalidPayload, Reason: "reading body: " + err.Error(), Status: http.StatusBadRequest}
	}
	if int64(len(data)) > maxBytes {
		return nil, &WebhookError{Kind: ErrInvalidPayload, Reason: fmt.Sprintf("body exceeds %d bytes", maxBytes), Status: http.StatusRequestEntityTooLarge}
	}
	if len(data) == 0 {
		return nil, invalidPayload("empty body")
	}
	u := *r.URL
	if u.Host == "" {
		u.Host = r.Host
	}
	if u.Scheme == "" {
		if r.TLS != nil {
			u.Scheme = "https"
		} else {
			u.Scheme = "http"
		}
	}
	return &WebhookRequest{Method: r.Method, URL: &u, Header: r.Header.Clone(), Body: data, ReceivedAt: time.Now()}, nil
}

// RequireJSON returns an error matching ErrInvalidPayload (status 415) unless
// the request's Content-Type is JSON (application/json or any +json type).
// A missing Content-Type is accepted, since some vendors omit it.
func (r *WebhookRequest) RequireJSON() error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return &WebhookError{Kind: ErrInvalidPayload, Reason: "malformed Content-Type", Status: http.StatusUnsupportedMediaType}
	}
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		return nil
	}
	return &WebhookError{Kind: ErrInvalidPayload, Reason: "Content-Type " + mt + " is not JSON", Status: http.StatusUnsupportedMediaType}
}

// WebhookStatus returns the HTTP status a webhook endpoint should answer for
// err, whether ParseWebhook or the host's event handling returned it: 4xx
// for bad input (so the vendor does not retry a forgery), and 500 for
// anything else, the status WebhookHandler answers in synchronous mode when
// the event function fails. 500 is the one failure status every vendor
// redelivers on: Chatwoot's agent-bot webhooks retry only 429 and 500 (not
// 503); HubSpot retries any 4xx or 5xx and Sunshine Conversations any
// status but 400, 401, 403, 404 and 406; Zendesk and Intercom retry failed
// deliveries without publishing the exact list.
func WebhookStatus(err error) int {
	var we *WebhookError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &we) && we.Status != 0:
		return we.Status
	case errors.Is(err, ErrInvalidSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrInvalidPayload):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
