package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Defaults.
const (
	DefaultMaxRetries       = 3
	DefaultMinBackoff       = 250 * time.Millisecond
	DefaultMaxBackoff       = 10 * time.Second
	DefaultMaxRetryWait     = 60 * time.Second
	DefaultMaxResponseBytes = 8 << 20
	// DefaultRequestTimeout bounds one attempt (not the budget wait)
	// when Options.HTTPClient is nil.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxIdleConnsPerHost is how many idle connections the
	// default transport keeps per vendor host: above the concurrency a
	// vendor's budget lets through, so busy sends reuse connections
	// (and their TLS sessions) instead of opening new ones. net/http's
	// default keeps 2.
	DefaultMaxIdleConnsPerHost = 64
	// DefaultBodyExcerpt is how much of an error body APIError keeps.
	DefaultBodyExcerpt = 512
)

// defaultRequestIDHeaders is Options.RequestIDHeaders' default.
var defaultRequestIDHeaders = []string{"X-Request-Id"}

// ErrorInfo is what Options.DecodeError found in a vendor's error body.
type ErrorInfo struct {
	Code      string
	Message   string
	RequestID string
}

// Options configures a Client. BaseURL is required.
type Options struct {
	// Vendor names the helpdesk in errors and logs, e.g. "zendesk".
	Vendor string
	// BaseURL is prefixed to every request path, e.g.
	// "https://acme.zendesk.com". A fake server's URL in tests.
	BaseURL string
	// Auth adds credentials (default NoAuth).
	Auth Auth
	// HTTPClient is used for requests (default: a client with a
	// DefaultRequestTimeout timeout on a transport keeping
	// DefaultMaxIdleConnsPerHost idle connections per host, shared by
	// every Client). Its Transport is wrapped, not replaced; a nil
	// Transport means that shared one.
	//
	// Its Timeout bounds each attempt from the moment the budget admits
	// it until the response body is read: the wait for the budget does
	// not count, so a long wait neither fails a request nor shortens the
	// vendor's time to answer. The budget wait is bounded by
	// Request.MaxWait and the context's deadline. Zero means no timeout.
	HTTPClient *http.Client
	// Logger receives one debug line per attempt and one warning per
	// retry; secrets are redacted. Default: silent.
	Logger *slog.Logger
	// Budget, when set, is waited on before every attempt and told about
	// every response.
	Budget Budget
	// MaxRetries is the number of retries after the first attempt (default
	// DefaultMaxRetries; -1 disables retries).
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// retries that have no Retry-After.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryWait caps how long a Retry-After or reset header may make a
	// retry wait; a longer wait is not retried but returned as an
	// *helpdesk.APIError with RetryAfter set (default DefaultMaxRetryWait).
	MaxRetryWait time.Duration
	// MaxResponseBytes caps how much of a response body is read (default
	// DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// Header is added to every request (e.g. Intercom-Version, revision).
	Header http.Header
	// RequestIDHeaders are the response headers holding the vendor's
	// request id, in order of preference (default: X-Request-Id). Drivers
	// whose vendor uses another header pass theirs.
	RequestIDHeaders []string
	// IdempotencyHeader is the header carrying Request.IdempotencyKey
	// (default "Idempotency-Key").
	IdempotencyHeader string
	// DecodeError reads a vendor error body (default: DecodeErrorBody,
	// which reads only the keys many APIs share). Drivers pass their
	// vendor's decoder.
	DecodeError func(status int, body []byte) ErrorInfo
	// Classify may adjust an *APIError before it is returned, e.g. set
	// Kind to helpdesk.ErrConversationClosed for a closed Zendesk ticket.
	Classify func(e *helpdesk.APIError)
	// RetryAfter reads how long to wait from a response, for vendors whose
	// headers differ from Retry-After (default: ParseRetryAfter).
	RetryAfter func(resp *http.Response, now time.Time) (time.Duration, bool)
	// Secrets are extra strings to redact besides the Auth's.
	Secrets []string
	// UserAgent is appended to "agentdesk/<version>".
	UserAgent string
}

// Client is the HTTP client every driver uses. It adds auth and the
// User-Agent, waits on the budget before each attempt, retries what is safe
// to retry honouring Retry-After, caps response bodies, turns non-2xx
// answers into *helpdesk.APIError and keeps secrets out of errors and logs.
// It is safe for concurrent use.
type Client struct {
	opts  Options
	base  *url.URL
	rc    *retryablehttp.Client
	log   *slog.Logger
	red   *Redactor
	ua    string
	idHdr []string
}

// New returns a Client.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("transport: BaseURL is required")
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("transport: BaseURL %q must be an absolute http(s) URL", opts.BaseURL)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("transport: BaseURL scheme %q is not http or https", base.Scheme)
	}
	if opts.MaxRetries < -1 || opts.MinBackoff < 0 || opts.MaxBackoff < 0 || opts.MaxRetryWait < 0 || opts.MaxResponseBytes < 0 {
		return nil, errors.New("transport: negative option")
	}
	if opts.Auth == nil {
		opts.Auth = NoAuth()
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	} else if opts.MaxRetries == -1 {
		opts.MaxRetries = 0
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxRetryWait == 0 {
		opts.MaxRetryWait = DefaultMaxRetryWait
	}
	if opts.MaxResponseBytes == 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.IdempotencyHeader == "" {
		opts.IdempotencyHeader = "Idempotency-Key"
	}
	if opts.DecodeError == nil {
		opts.DecodeError = DecodeErrorBody
	}
	if opts.RetryAfter == nil {
		opts.RetryAfter = ParseRetryAfter
	}
	if opts.Vendor == "" {
		opts.Vendor = "helpdesk"
	}
	c := &Client{opts: opts, base: base}
	c.red = NewRedactor(append(opts.Auth.Secrets(), opts.Secrets...)...)
	if bs, ok := opts.Auth.(*bearerSource); ok {
		bs.red = c.red
	}
	c.log = opts.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.ua = "agentdesk/" + helpdesk.Version
	if opts.UserAgent != "" {
		c.ua += " " + opts.UserAgent
	}
	c.idHdr = opts.RequestIDHeaders
	if len(c.idHdr) == 0 {
		c.idHdr = defaultRequestIDHeaders
	}

	hc := &http.Client{Timeout: DefaultRequestTimeout}
	if opts.HTTPClient != nil {
		cp := *opts.HTTPClient
		hc = &cp
	}
	inner := hc.Transport
	if inner == nil {
		inner = defaultTransport()
	}
	// The timeout moves below the budget wait (budgetTransport), so that
	// it bounds each attempt and not the time spent waiting for budget.
	hc.Transport = &budgetTransport{c: c, inner: inner, timeout: hc.Timeout}
	hc.Timeout = 0

	rc := retryablehttp.NewClient()
	rc.HTTPClient = hc
	rc.Logger = nil
	rc.RetryMax = opts.MaxRetries
	rc.RetryWaitMin = opts.MinBackoff
	rc.RetryWaitMax = opts.MaxBackoff
	rc.CheckRetry = c.checkRetry
	rc.Backoff = c.backoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c.rc = rc
	return c, nil
}

// Redactor returns the client's redactor, so drivers can redact their own
// log lines with the same secrets.
func (c *Client) Redactor() *Redactor { return c.red }

// Vendor returns the vendor name given in Options.
func (c *Client) Vendor() string { return c.opts.Vendor }

// Request describes one API call.
type Request struct {
	Method string
	// Path is appended to the base URL; it may contain a query string.
	Path  string
	Query url.Values
	// Body is encoded as JSON unless RawBody is set.
	Body    any
	RawBody []byte
	// ContentType defaults to application/json when there is a body.
	ContentType string
	Header      http.Header
	// Priority, Limits and MaxWait are passed to the budget.
	Priority Priority
	Limits   []string
	MaxWait  time.Duration
	// Idempotent marks a request that may be sent twice without harm (GET,
	// or a write the vendor deduplicates). Only idempotent requests are
	// retried after ambiguous failures (timeouts, 500, 502, 504).
	Idempotent bool
	// IdempotencyKey is sent in the idempotency header and makes the
	// request idempotent (unless Reconciled).
	IdempotencyKey string
	// Reconciled marks a write whose caller finds out by itself, reading
	// the vendor back, whether a failed attempt took effect (because the
	// vendor is not known to honour IdempotencyKey for it). Such a request
	// is resent only when it provably did not reach the vendor (a refused
	// connection, a 429): never after a timeout, a reset or a 5xx, a 503
	// included. Its IdempotencyKey is still sent, under a lower-case
	// header name, so that net/http does not resend it by itself after a
	// reset on a reused connection (it does for a request carrying
	// "Idempotency-Key").
	Reconciled bool
}

// Response is a successful answer.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// Attempts is how many times the request was sent.
	Attempts int
}

type ctxKey struct{}

type callState struct {
	req      *Request
	call     Call
	attempts int
}

// Do sends req and, on a 2xx answer, decodes the JSON body into out (when
// out is non-nil and the body is not empty). Non-2xx answers return an
// *helpdesk.APIError; transport failures a *RequestError.
func (c *Client) Do(ctx context.Context, req *Request, out any) (*Response, error) {
	if ctx == nil {
		return nil, errors.New("transport: nil context")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	rel, err := url.Parse(req.Path)
	if err != nil {
		return nil, fmt.Errorf("transport: bad path %q: %w", c.red.Redact(req.Path), err)
	}
	u := *c.base
	u.Path = c.base.Path + rel.Path
	u.RawPath = ""
	if rel.RawPath != "" {
		u.RawPath = c.base.EscapedPath() + rel.RawPath
	}
	q := rel.Query()
	for k, vs := range req.Query {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()

	var body []byte
	ctype := req.ContentType
	switch {
	case req.RawBody != nil:
		body = req.RawBody
	case req.Body != nil:
		body, err = json.Marshal(req.Body)
		if err != nil {
			return nil, fmt.Errorf("transport: encoding %s %s body: %w", method, rel.Path, err)
		}
		if ctype == "" {
			ctype = "application/json"
		}
	}
	var bodyArg any
	if body != nil {
		bodyArg = body
	}
	st := &callState{req: req, call: Call{Method: method, Path: rel.Path, Priority: req.Priority, Limits: req.Limits, MaxWait: req.MaxWait}}
	ctx = context.WithValue(ctx, ctxKey{}, st)
	// Whether any attempt was written whole, for RequestError.Written.
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}})
	rr, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), bodyArg)
	if err != nil {
		return nil, &RequestError{Vendor: c.opts.Vendor, Method: method, Path: rel.Path, Err: errors.New(c.red.Redact(err.Error()))}
	}
	for k, vs := range c.opts.Header {
		rr.Header[k] = append([]string(nil), vs...)
	}
	for k, vs := range req.Header {
		rr.Header[k] = append([]string(nil), vs...)
	}
	rr.Header.Set("User-Agent", c.ua)
	if rr.Header.Get("Accept") == "" {
		rr.Header.Set("Accept", "application/json")
	}
	if ctype != "" {
		rr.Header.Set("Content-Type", ctype)
	}
	switch {
	case req.IdempotencyKey != "" && req.Reconciled:
		rr.Header[strings.ToLower(c.opts.IdempotencyHeader)] = []string{req.IdempotencyKey}
	case req.IdempotencyKey != "":
		rr.Header.Set(c.opts.IdempotencyHeader, req.IdempotencyKey)
	}
	if err := c.opts.Auth.Apply(ctx, rr.Request); err != nil {
		return nil, &RequestError{Vendor: c.opts.Vendor, Method: method, Path: rel.Path, Err: errors.New("auth: " + c.red.Redact(err.Error()))}
	}

	resp, err := c.rc.Do(rr)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if ctx.Err() != nil {
			return nil, &RequestError{Vendor: c.opts.Vendor, Method: method, Path: rel.Path, Attempts: st.attempts, Written: wrote.Load(), Err: ctx.Err()}
		}
		var we *WaitRefusedError
		if errors.As(err, &we) {
			return nil, we.Err
		}
		return nil, &RequestError{Vendor: c.opts.Vendor, Method: method, Path: rel.Path, Attempts: st.attempts, Written: wrote.Load(), Err: redactErr(c.red, err)}
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponseBytes+1))
	if rerr != nil {
		return nil, &RequestError{Vendor: c.opts.Vendor, Method: method, Path: rel.Path, Attempts: st.attempts, Written: wrote.Load(), Err: redactErr(c.red, rerr)}
	}
	tooBig := int64(len(data)) > c.opts.MaxResponseBytes
	if tooBig {
		data = data[:c.opts.MaxResponseBytes]
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.apiError(method, rel.Path, resp, data)
	}
	if tooBig {
		return nil, &RequestError{Vendor: c.opts.Vendor, Method: method, Path: rel.Path, Attempts: st.attempts, Written: wrote.Load(), Err: fmt.Errorf("response body exceeds %d bytes", c.opts.MaxResponseBytes)}
	}
	r := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data, Attempts: st.attempts}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return r, &RequestError{Vendor: c.opts.Vendor, Method: method, Path: rel.Path, Attempts: st.attempts, Written: wrote.Load(), Err: fmt.Errorf("decoding response: %w", err)}
		}
	}
	return r, nil
}

func (c *Client) apiError(method, path string, resp *http.Response, body []byte) *helpdesk.APIError {
	e := &helpdesk.APIError{Vendor: c.opts.Vendor, Method: method, Path: path, StatusCode: resp.StatusCode}
	for _, h := range c.idHdr {
		if v := resp.Header.Get(h); v != "" {
			e.RequestID = v
			break
		}
	}
	info := c.opts.DecodeError(resp.StatusCode, body)
	e.Code = c.red.Redact(info.Code)
	e.Message = c.red.Redact(info.Message)
	if e.RequestID == "" {
		e.RequestID = info.RequestID
	}
	// A proxy or vendor echoing a credential in its id header must not
	// put it into errors and logs.
	e.RequestID = c.red.Redact(e.RequestID)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := c.opts.RetryAfter(resp, time.Now()); ok {
			e.RetryAfter = d
		}
	}
	excerpt := string(body)
	if len(excerpt) > DefaultBodyExcerpt*4 {
		excerpt = excerpt[:DefaultBodyExcerpt*4]
	}
	excerpt = c.red.Redact(excerpt)
	if len(excerpt) > DefaultBodyExcerpt {
		excerpt = excerpt[:DefaultBodyExcerpt] + "…"
	}
	e.Body = excerpt
	e.Kind = KindForStatus(resp.StatusCode)
	if c.opts.Classify != nil {
		c.opts.Classify(e)
	}
	return e
}

// RequestError is a failure that produced no HTTP answer (connection,
// timeout, cancelled context) or an unreadable one. Its text is redacted.
type RequestError struct {
	Vendor   string
	Method   string
	Path     string
	Attempts int
	// Written reports whether an attempt's request was written whole to
	// the connection (net/http's httptrace WroteRequest): when false,
	// the vendor cannot have acted on it (a refused dial, a cancelled
	// budget wait), and a write may be sent again without reading the
	// vendor back.
	Written bool
	Err     error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("%s: %s %s: %v", e.Vendor, e.Method, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr keeps the error chain (for errors.Is on context and net errors)
// while replacing its text with a redacted version: *url.Error embeds the
// full URL, query tokens included.
func redactErr(r *Redactor, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &redactedError{msg: r.Redact(err.Error()), err: err}
}

// WaitRefusedError carries a budget's refusal through the retry loop.
type WaitRefusedError struct{ Err error }

func (e *WaitRefusedError) Error() string { return e.Err.Error() }
func (e *WaitRefusedError) Unwrap() error { return e.Err }

// budgetTransport waits on the budget before every attempt and reports
// every response to it; it sits below the retry loop so retries are paced
// too.
type budgetTransport struct {
	c       *Client
	inner   http.RoundTripper
	timeout time.Duration // per attempt, after the budget wait; 0: none
}

// defaultTransport is the transport of Clients given no HTTPClient (or one
// without a Transport): net/http's defaults with an idle pool sized for a
// budget's concurrency, shared so that clients of one vendor host share
// connections.
var defaultTransport = sync.OnceValue(func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	t.MaxIdleConns = 4 * DefaultMaxIdleConnsPerHost
	return t
})

// cancelBody ends an attempt's timeout when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func (t *budgetTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	st, _ := r.Context().Value(ctxKey{}).(*callState)
	if st != nil {
		st.attempts++
	}
	c := t.c
	if c.opts.Budget != nil && st != nil {
		if err := c.opts.Budget.Wait(r.Context(), st.call); err != nil {
			if r.Body != nil {
				r.Body.Close()
			}
			return nil, &WaitRefusedError{Err: err}
		}
	}
	start := time.Now()
	cancel := context.CancelFunc(func() {})
	if t.timeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(r.Context(), t.timeout)
		r = r.WithContext(ctx)
	}
	resp, err := t.inner.RoundTrip(r)
	path := r.URL.Path
	if err != nil {
		cancel()
		c.log.Debug("request failed", "vendor", c.opts.Vendor, "method", r.Method, "path", path, "error", c.red.Redact(err.Error()))
		return nil, err
	}
	if c.opts.Budget != nil && st != nil {
		c.opts.Budget.Observe(st.call, resp.StatusCode, resp.Header)
	}
	c.log.Debug("request", "vendor", c.opts.Vendor, "method", r.Method, "path", path, "status", resp.StatusCode, "elapsed", time.Since(start))
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st, _ := ctx.Value(ctxKey{}).(*callState)
	idempotent := true
	if st != nil {
		m := st.call.Method
		idempotent = m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || st.req.Idempotent || st.req.IdempotencyKey != ""
		idempotent = idempotent && !st.req.Reconciled
	}
	if err != nil {
		var we *WaitRefusedError
		if errors.As(err, &we) {
			return false, err
		}
		if notSent(err) || idempotent {
			c.log.Warn("retrying after transport error", "vendor", c.opts.Vendor, "error", c.red.Redact(err.Error()))
			return true, nil
		}
		return false, err
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if resp.StatusCode == http.StatusServiceUnavailable && st != nil && st.req.Reconciled {
			return false, nil
		}
		if d, ok := c.opts.RetryAfter(resp, time.Now()); ok && d > c.opts.MaxRetryWait {
			return false, nil
		}
		c.log.Warn("retrying after vendor refusal", "vendor", c.opts.Vendor, "status", resp.StatusCode)
		return true, nil
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		if idempotent {
			c.log.Warn("retrying idempotent request", "vendor", c.opts.Vendor, "status", resp.StatusCode)
			return true, nil
		}
	}
	return false, nil
}

// notSent reports whether err proves the request never reached the server
// (so even a non-idempotent request may be resent).
func notSent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	return false
}

func (c *Client) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := c.opts.RetryAfter(resp, time.Now()); ok {
			if d > c.opts.MaxRetryWait {
				d = c.opts.MaxRetryWait
			}
			return d
		}
	}
	// Exponential with full jitter in [d/2, d].
	d := min << uint(attempt)
	if d <= 0 || d > max {
		d = max
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
