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
	req, err := readWebhookRequest(w, r, maxBytes)
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	return req, nil
}

// webhookRequest holds a WebhookRequest and the URL it points to, so that
// reading a delivery allocates them together.
type webhookRequest struct {
	req WebhookRequest
	url url.URL
}

// readWebhookRequest is ReadWebhookRequest without the copy of the
// header: req.Header is r.Header. WebhookHandler uses it, which owns r
// and reads none of its headers after the parser (drivers only read them).
func readWebhookRequest(w http.ResponseWriter, r *http.Request, maxBytes int64) (*WebhookRequest, error) {
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
	data, err := readBody(body, r.ContentLength)
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
	wr := &webhookRequest{url: *r.URL}
	u := &wr.url
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
	wr.req = WebhookRequest{Method: r.Method, URL: u, Header: r.Header, Body: data, ReceivedAt: time.Now()}
	return &wr.req, nil
}

// maxBodyPrealloc bounds the buffer readBody sizes from a declared
// length, so that a client declaring a large body it never sends does not
// get that much memory reserved for it: about what net/http itself holds
// per connection (its 4 KiB read and write buffers), and room for most
// vendors' payloads; a larger body grows the buffer as it arrives.
const maxBodyPrealloc = 8 << 10

// readBody reads r to the end as io.ReadAll does, into one buffer when
// the body has the declared length n (-1 when unknown): io.ReadAll starts
// at 512 bytes and grows.
func readBody(r io.Reader, n int64) ([]byte, error) {
	size := 512
	if n > 0 && n < maxBodyPrealloc {
		size = int(n) + 1 // the last read, which returns io.EOF, needs room
	} else if n >= maxBodyPrealloc {
		size = maxBodyPrealloc
	}
	b := make([]byte, 0, size)
	for {
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
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
