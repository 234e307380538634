package klaviyotest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
)

func do(t *testing.T, srv *klaviyotest.Server, method, path, body string, edit func(*http.Request)) *http.Response {
	t.Helper()
	r, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Authorization", "Klaviyo-API-Key "+klaviyotest.APIKey)
	r.Header.Set("revision", klaviyo.DefaultRevision)
	if body != "" {
		r.Header.Set("Content-Type", klaviyo.MediaType)
	}
	if edit != nil {
		edit(r)
	}
	res, err := srv.Client().Do(r)
	require.NoError(t, err)
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func event(uniqueID, at string) string {
	uid := ""
	if uniqueID != "" {
		uid = `,"unique_id":"` + uniqueID + `"`
	}
	return `{"data":{"type":"event","attributes":{"properties":{},"time":"` + at + `"` + uid +
		`,"metric":{"data":{"type":"metric","attributes":{"name":"Opened Ticket"}}},` +
		`"profile":{"data":{"type":"profile","attributes":{"email":"a@example.com"}}}}}}`
}

// The fake is as strict as Klaviyo: key, revision and media type.
func TestRequestChecks(t *testing.T) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{})
	tests := []struct {
		name   string
		edit   func(*http.Request)
		status int
	}{
		{"valid", nil, http.StatusAccepted},
		{"public key", func(r *http.Request) { r.Header.Set("Authorization", "Klaviyo-API-Key AbC123") }, http.StatusUnauthorized},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+klaviyotest.APIKey) }, http.StatusUnauthorized},
		{"no revision", func(r *http.Request) { r.Header.Del("revision") }, http.StatusBadRequest},
		{"plain JSON", func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, http.StatusUnsupportedMediaType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, srv, http.MethodPost, "/api/events", event("u-"+tc.name, "2026-07-01T10:00:00Z"), tc.edit)
			require.Equal(t, tc.status, res.StatusCode)
		})
	}
	res := do(t, srv, http.MethodGet, "/api/profiles/01P/conversations", "", func(r *http.Request) { r.Header.Set("revision", "2026-04-15") })
	require.Equal(t, http.StatusNotFound, res.StatusCode, "the plural endpoint starts with revision 2026-07-15")
}

// Events are deduplicated on profile, metric and unique_id, and without a
// unique_id on the time in seconds, as Klaviyo silently does.
func TestEventDedupe(t *testing.T) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{})
	for _, b := range []string{
		event("", "2026-07-01T10:00:00.100Z"),
		event("", "2026-07-01T10:00:00.900Z"), // same second: dropped
		event("a", "2026-07-01T10:00:00Z"),
		event("b", "2026-07-01T10:00:00Z"),
		event("a", "2026-07-01T10:00:05Z"), // same unique_id: dropped
	} {
		require.Equal(t, http.StatusAccepted, do(t, srv, http.MethodPost, "/api/events", b, nil).StatusCode)
	}
	require.Len(t, srv.Events(), 3)
	require.Equal(t, 2, srv.Duplicates())
	bad := strings.Replace(event("c", "2026-07-01T10:00:00Z"), `"email":"a@example.com"`, `"phone_number":"5511987654321"`, 1)
	require.Equal(t, http.StatusBadRequest, do(t, srv, http.MethodPost, "/api/events", bad, nil).StatusCode, "phone numbers must be E.164")
}

// Tier limits: fixed burst and steady windows, RateLimit-* on success and
// only Retry-After on a 429.
func TestTierLimits(t *testing.T) {
	now := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	srv := klaviyotest.NewServer(t, klaviyotest.Options{Now: func() time.Time { return now }})
	for i := range 15 {
		res := do(t, srv, http.MethodGet, "/api/webhook-topics", "", nil)
		if i > 0 {
			require.Equal(t, http.StatusTooManyRequests, res.StatusCode, "tier XS allows one request a second")
			require.Equal(t, "1", res.Header.Get("Retry-After"))
			require.Empty(t, res.Header.Get(klaviyo.HeaderRemaining), "a 429 carries no RateLimit-* headers")
			break
		}
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "15", res.Header.Get(klaviyo.HeaderLimit))
		require.Equal(t, "14", res.Header.Get(klaviyo.HeaderRemaining))
		require.Equal(t, "60", res.Header.Get(klaviyo.HeaderReset))
	}
	for i := range 14 {
		now = now.Add(time.Second)
		require.Equal(t, http.StatusOK, do(t, srv, http.MethodGet, "/api/webhook-topics", "", nil).StatusCode, "second %d", i)
	}
	now = now.Add(time.Second)
	res := do(t, srv, http.MethodGet, "/api/webhook-topics", "", nil)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode, "15 a minute spent")
	require.Equal(t, "45", res.Header.Get("Retry-After"), "until the minute's window ends")
}
