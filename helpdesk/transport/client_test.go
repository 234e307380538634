package transport_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

const secretToken = "tok_live_9f8e7d6c5b4a"

func newClient(t *testing.T, url string, mod ...func(*transport.Options)) *transport.Client {
	t.Helper()
	o := transport.Options{Vendor: "acme", BaseURL: url, Auth: transport.Bearer(secretToken), MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	for _, m := range mod {
		m(&o)
	}
	c, err := transport.New(o)
	require.NoError(t, err)
	return c
}

type recBudget struct {
	mu       sync.Mutex
	waits    int
	observed []int
	refuse   error
}

func (b *recBudget) Wait(ctx context.Context, c transport.Call) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waits++
	return b.refuse
}

func (b *recBudget) Observe(c transport.Call, status int, h http.Header) {
	b.mu.Lock()
	b.observed = append(b.observed, status)
	b.mu.Unlock()
}

func TestDoDecodesAndSendsHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Bearer "+secretToken, r.Header.Get("Authorization"))
		require.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), "agentdesk/"+helpdesk.Version))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.Equal(t, "2.16", r.Header.Get("Intercom-Version"))
		require.Equal(t, "/base/api/things/7", r.URL.Path)
		require.Equal(t, "b", r.URL.Query().Get("a"))
		body, _ := io.ReadAll(r.Body)
		require.JSONEq(t, `{"name":"x"}`, string(body))
		w.Write([]byte(`{"id":7}`))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/base", func(o *transport.Options) { o.Header = http.Header{"Intercom-Version": {"2.16"}} })
	var out struct{ ID int }
	resp, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/api/things/7?a=b", Body: map[string]string{"name": "x"}}, &out)
	require.NoError(t, err)
	require.Equal(t, 7, out.ID)
	require.Equal(t, 1, resp.Attempts)
}

func TestRetryAfterHonouredAndBudgetPacesRetries(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "0.05")
			w.WriteHeader(429)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	b := &recBudget{}
	c := newClient(t, srv.URL, func(o *transport.Options) { o.Budget = b })
	start := time.Now()
	resp, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/x", Body: map[string]int{}}, nil)
	require.NoError(t, err)
	require.Equal(t, 2, resp.Attempts, "a 429 is retried even for a POST: the vendor did not process it")
	require.GreaterOrEqual(t, time.Since(start), 45*time.Millisecond, "Retry-After must be honoured")
	require.Equal(t, 2, b.waits, "the budget is waited on before every attempt")
	require.Equal(t, []int{429, 200}, b.observed)
}

func TestLongRetryAfterReturnedNotWaited(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.Header().Set("X-Request-Id", "req-123")
		w.WriteHeader(429)
		w.Write([]byte(`{"errors":[{"code":"TooManyRequests","detail":"slow down"}]}`))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	start := time.Now()
	_, err := c.Do(context.Background(), &transport.Request{Path: "/x"}, nil)
	require.Less(t, time.Since(start), time.Second)
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, time.Hour, ae.RetryAfter)
	require.Equal(t, "req-123", ae.RequestID)
	require.Equal(t, "TooManyRequests", ae.Code)
	require.Equal(t, "slow down", ae.Message)
	require.Equal(t, "acme", ae.Vendor)
}

func TestAmbiguousFailuresRetriedOnlyWhenIdempotent(t *testing.T) {
	for _, tc := range []struct {
		name     string
		req      transport.Request
		attempts int32
	}{
		{"POST without key", transport.Request{Method: "POST", Path: "/x", Body: map[string]int{}}, 1},
		{"POST with idempotency key", transport.Request{Method: "POST", Path: "/x", Body: map[string]int{}, IdempotencyKey: "k1"}, 4},
		{"PUT marked idempotent", transport.Request{Method: "PUT", Path: "/x", Body: map[string]int{}, Idempotent: true}, 4},
		{"GET", transport.Request{Method: "GET", Path: "/x"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			var keys []string
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				mu.Lock()
				keys = append(keys, r.Header.Get("Idempotency-Key"))
				mu.Unlock()
				w.WriteHeader(502)
			}))
			defer srv.Close()
			c := newClient(t, srv.URL)
			req := tc.req
			_, err := c.Do(context.Background(), &req, nil)
			var ae *helpdesk.APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, 502, ae.StatusCode)
			require.Equal(t, tc.attempts, n.Load())
			if tc.req.IdempotencyKey != "" {
				for _, k := range keys {
					require.Equal(t, tc.req.IdempotencyKey, k, "every attempt carries the same key")
				}
			}
		})
	}
}

func TestConnectionRefusedIsRetriedForPost(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := newClient(t, url, func(o *transport.Options) { o.MaxRetries = 2 })
	_, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/x?api_key=" + secretToken, Body: map[string]int{}}, nil)
	var re *transport.RequestError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 3, re.Attempts, "a refused connection never reached the vendor, so it is retried")
	require.NotContains(t, err.Error(), secretToken)
}

func TestSecretsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write([]byte(`{"error":"bad token ` + secretToken + `","access_token":"other-secret-value","password":"hunter22"}`))
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c := newClient(t, srv.URL, func(o *transport.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := c.Do(context.Background(), &transport.Request{Path: "/x"}, nil)
	require.ErrorIs(t, err, helpdesk.ErrUnauthorized)
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae)
	for _, s := range []string{err.Error(), ae.Body, ae.Message, logs.String()} {
		require.NotContains(t, s, secretToken)
		require.NotContains(t, s, "other-secret-value")
		require.NotContains(t, s, "hunter22")
	}
	require.Contains(t, ae.Body, transport.Redacted)
}

func TestResponseBodyCapped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("a"), 4096))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(o *transport.Options) { o.MaxResponseBytes = 1024 })
	_, err := c.Do(context.Background(), &transport.Request{Path: "/x"}, nil)
	require.ErrorContains(t, err, "exceeds 1024 bytes")
}

func TestBudgetRefusalSpendsNoRequest(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	defer srv.Close()
	refusal := errors.Join(helpdesk.ErrRateLimited, errors.New("would wait 3s"))
	c := newClient(t, srv.URL, func(o *transport.Options) { o.Budget = &recBudget{refuse: refusal} })
	_, err := c.Do(context.Background(), &transport.Request{Method: "POST", Path: "/x", MaxWait: time.Millisecond}, nil)
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	require.Zero(t, n.Load())
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, &transport.Request{Path: "/x"}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
}

func TestNewValidates(t *testing.T) {
	for _, o := range []transport.Options{
		{},
		{BaseURL: "acme.zendesk.com"},
		{BaseURL: "ftp://x"},
		{BaseURL: "http://x", MaxRetries: -2},
	} {
		_, err := transport.New(o)
		require.Error(t, err, "%+v", o)
	}
}

func TestRetryAfterValue(t *testing.T) {
	now := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"0.05", 50 * time.Millisecond, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"2.0000019", 2*time.Second + time.Microsecond, true}, // rounded down to the µs
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(1000 * time.Hour).Format(http.TimeFormat), transport.MaxRetryAfter, true},
		{"Wednesday, 01-Jul-26 10:00:30 GMT", 30 * time.Second, true}, // RFC 850
		{"Wed Jul  1 10:00:30 2026", 30 * time.Second, true},          // asctime
		{"86400", transport.MaxRetryAfter, true},
		{"86401", transport.MaxRetryAfter, true},
		{"99999999999999999999999999", transport.MaxRetryAfter, true},
		{"99999999999999999999999999.5", transport.MaxRetryAfter, true},
		{"", 0, false},
		{"   ", 0, false},
		{"-1", 0, false},
		{"-0.5", 0, false},
		{"+3", 0, false},
		{"1e3", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{".5", 0, false},
		{"5.", 0, false},
		{"1.2.3", 0, false},
		{"0x10", 0, false},
		{"1,5", 0, false},
		{"soon", 0, false},
		{"12 seconds", 0, false},
	} {
		d, ok := transport.RetryAfterValue(tc.v, now)
		require.Equal(t, tc.ok, ok, "%q", tc.v)
		require.Equal(t, tc.want, d, "%q", tc.v)

		// The response path reads the header with the same parser.
		h := http.Header{}
		h.Set("Retry-After", tc.v)
		d, ok = transport.ParseRetryAfter(&http.Response{Header: h}, now)
		require.Equal(t, tc.ok, ok, "%q", tc.v)
		require.Equal(t, tc.want, d, "%q", tc.v)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second, true},
		{http.Header{"Ratelimit-Reset": {"12"}}, 12 * time.Second, true},
		{http.Header{"Retry-After": {"3"}, "Ratelimit-Reset": {"12"}}, 3 * time.Second, true},
		{http.Header{"Retry-After": {"soon"}, "Ratelimit-Reset": {"12"}}, 12 * time.Second, true},
		{http.Header{"Ratelimit-Reset": {"999999999999"}}, transport.MaxRetryAfter, true},
		{http.Header{"Ratelimit-Reset": {"-3"}}, 0, false},
		{http.Header{"Ratelimit-Reset": {"1.5"}}, 0, false},
		// Vendor reset headers (Unix times and the like) are the driver's
		// business: it passes its own Options.RetryAfter.
		{http.Header{"X-Ratelimit-Reset": {"1782900010"}}, 0, false},
		{http.Header{"Retry-After": {"soon"}}, 0, false},
		{http.Header{}, 0, false},
	} {
		d, ok := transport.ParseRetryAfter(&http.Response{Header: tc.h}, now)
		require.Equal(t, tc.ok, ok, "%v", tc.h)
		require.Equal(t, tc.want, d, "%v", tc.h)
	}
	d, ok := transport.ParseRetryAfter(nil, now)
	require.False(t, ok)
	require.Zero(t, d)
}

func FuzzRetryAfterValue(f *testing.F) {
	for _, v := range []string{"0", "0.05", "-1", "1e9", "99999999999999999999", "Sun, 01 Mar 2026 12:01:00 GMT", "x"} {
		f.Add(v)
	}
	now := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := transport.RetryAfterValue(v, now)
		if d < 0 || d > transport.MaxRetryAfter || (!ok && d != 0) {
			t.Fatalf("RetryAfterValue(%q) = %s, %v", v, d, ok)
		}
	})
}

func TestDecodeErrorBody(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		body string
		want transport.ErrorInfo
	}{
		{`{"message":"Email has already been taken","attributes":["email"]}`, transport.ErrorInfo{Message: "Email has already been taken"}},
		{`{"error":"Access to this endpoint is not authorized for bots"}`, transport.ErrorInfo{Message: "Access to this endpoint is not authorized for bots"}},
		{`{"error":"invalid_token","message":"The token expired"}`, transport.ErrorInfo{Message: "The token expired"}},
		{`{"error":{"code":404,"message":"No such conversation"}}`, transport.ErrorInfo{Code: "404", Message: "No such conversation"}},
		{`{"errors":[{"status":429,"code":"throttled","detail":"Request was throttled.","title":"Throttled"}]}`, transport.ErrorInfo{Code: "throttled", Message: "Request was throttled."}},
		{`{"errors":[{"code":"bad_request","title":"Invalid author"}]}`, transport.ErrorInfo{Code: "bad_request", Message: "Invalid author"}},
		{`{"request_id":"r1","errors":[{"code":"not_found","message":"Resource Not Found"}]}`, transport.ErrorInfo{Code: "not_found", Message: "Resource Not Found", RequestID: "r1"}},
		{`{"errors":["Invalid login credentials"]}`, transport.ErrorInfo{Message: "Invalid login credentials"}},
		{`{"errors":[]}`, transport.ErrorInfo{}},
		{`{"message":null,"error":false,"errors":{"x":1}}`, transport.ErrorInfo{}},
		{"Retry later\n", transport.ErrorInfo{Message: "Retry later"}},
		{"<html>\n<body>502</body>", transport.ErrorInfo{Message: "<html>"}},
		{long, transport.ErrorInfo{Message: long[:200]}},
		{`{"message": "unterminated`, transport.ErrorInfo{Message: `{"message": "unterminated`}},
		{``, transport.ErrorInfo{}},
		// Vendor-specific keys are the driver's DecodeError's business:
		// the core reads only the shared ones.
		{`{"error":"RecordInvalid","description":"Record validation errors"}`, transport.ErrorInfo{Message: "RecordInvalid"}},
		{`{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c-9"}`, transport.ErrorInfo{Message: "You have reached your daily limit."}},
	} {
		require.Equal(t, tc.want, transport.DecodeErrorBody(400, []byte(tc.body)), tc.body)
	}
}

func TestDefaultRequestIDHeader(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Vendor-Request-Id", "vendor-1")
		w.Header().Set("X-Request-Id", "generic-1")
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		headers []string
		want    string
	}{
		{nil, "generic-1"},
		{[]string{"X-Vendor-Request-Id"}, "vendor-1"},
		{[]string{"X-Missing", "X-Request-Id"}, "generic-1"},
	} {
		c, err := transport.New(transport.Options{BaseURL: srv.URL, RequestIDHeaders: tc.headers, MaxRetries: -1})
		require.NoError(t, err)
		_, err = c.Do(context.Background(), &transport.Request{Path: "/x"}, nil)
		var ae *helpdesk.APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, tc.want, ae.RequestID, "%v", tc.headers)
	}
}

func TestRedactor(t *testing.T) {
	r := transport.NewRedactor("s3cr3t-value")
	in := `{"api_key":"abc","pubsub_token":"zzz","name":"ok"} Bearer eyJhbGciOi.x.y url?token=abc&x=1 s3cr3t-value`
	out := r.Redact(in)
	for _, s := range []string{"abc", "zzz", "eyJhbGciOi", "s3cr3t-value"} {
		require.NotContains(t, out, s)
	}
	require.Contains(t, out, `"name":"ok"`)
	require.Contains(t, out, "x=1")

	// Authorization schemes, including vendors' "<name>-api-key" ones.
	for _, in := range []string{"Bearer abc.def", "Basic dXNlcjpwYXNz", "Klaviyo-API-Key pk_123abc", "Acme-Desk-Api-Key k-77"} {
		out := transport.NewRedactor().Redact("Authorization: " + in)
		_, secret, _ := strings.Cut(in, " ")
		require.NotContains(t, out, secret, in)
	}
	require.Equal(t, "the api-key is missing", transport.NewRedactor().Redact("the api-key is missing"))
}

func BenchmarkDo(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ticket":{"id":123,"status":"open"}}`))
	}))
	defer srv.Close()
	body := map[string]any{"ticket": map[string]any{"comment": map[string]any{"body": "hello", "public": true}}}
	b.Run("transport", func(b *testing.B) {
		c, _ := transport.New(transport.Options{BaseURL: srv.URL, Auth: transport.Basic("a@b.c/token", "x"), Budget: &recBudget{}})
		var out map[string]any
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Do(context.Background(), &transport.Request{Method: "PUT", Path: "/api/v2/tickets/123", Body: body, Idempotent: true}, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net/http baseline", func(b *testing.B) {
		hc := &http.Client{}
		var out map[string]any
		b.ReportAllocs()
		for b.Loop() {
			data, _ := jsonMarshal(body)
			req, _ := http.NewRequest("PUT", srv.URL+"/api/v2/tickets/123", bytes.NewReader(data))
			req.SetBasicAuth("a@b.c/token", "x")
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			d, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			_ = jsonUnmarshal(d, &out)
		}
	})
}
