package zendesktest_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// fakeClock is a settable clock for the fake's windows.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func get(t *testing.T, srv *zendesktest.Server, id int64) answer {
	t.Helper()
	o := srv.Options()
	req, err := http.NewRequest(http.MethodGet, srv.Support.URL+"/api/v2/tickets/"+strconv.FormatInt(id, 10)+".json", nil)
	require.NoError(t, err)
	req.SetBasicAuth(o.Email+"/token", o.APIToken)
	return do(t, req)
}

// The account limit counts every request, the Update Ticket limit only
// ticket updates; each answer says what is left of both, and the excess
// gets Zendesk's 429 with Retry-After until the window ends.
func TestLimitsLikeZendesk(t *testing.T) {
	minute := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: minute.Add(18 * time.Second)}
	srv := zendesktest.NewServer(t, &zendesktest.Options{Now: clock.Now, Limits: zendesktest.Limits{Account: 8, TicketUpdates: 3}})
	id := srv.CreateTicket("s", "hello")

	a := get(t, srv, id)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "8", a.header.Get("X-Rate-Limit"))
	require.Equal(t, "7", a.header.Get("X-Rate-Limit-Remaining"))
	require.Equal(t, "42", a.header.Get("Ratelimit-Reset"))
	require.Empty(t, a.header.Get("Zendesk-RateLimit-tickets-update"), "only ticket updates report the endpoint limit")

	for i := range 3 {
		a = put(t, srv, id, `{"ticket":{"comment":{"body":"part `+strconv.Itoa(i)+`"}}}`)
		require.Equal(t, http.StatusOK, a.status)
		require.Equal(t, "total=3; remaining="+strconv.Itoa(2-i)+"; resets=42", a.header.Get("Zendesk-RateLimit-tickets-update"))
	}
	a = put(t, srv, id, `{"ticket":{"comment":{"body":"one too many"}}}`)
	require.Equal(t, http.StatusTooManyRequests, a.status)
	require.Equal(t, "42", a.header.Get("Retry-After"))
	require.Equal(t, "total=3; remaining=0; resets=42", a.header.Get("Zendesk-RateLimit-tickets-update"))
	require.Equal(t, "3", a.header.Get("X-Rate-Limit-Remaining"), "the account limit is not spent")
	require.Equal(t, "APIRateLimitExceeded", a.body["error"])
	tk, _ := srv.Ticket(id)
	require.Len(t, tk.Comments, 4, "a refused update changes nothing")

	// The driver's header reader sees both limits as the budget needs them.
	fb := zendesk.Headers(a.status, a.header, clock.Now())
	require.Empty(t, cmp.Diff([]budget.Quota{
		{Total: 8, Remaining: 3, Reset: 42 * time.Second},
		{Limit: zendesk.LimitTicketsUpdate, Total: 3, Remaining: 0, Reset: 42 * time.Second},
	}, fb.Quotas))
	require.Equal(t, 42*time.Second, fb.RetryAfter)

	// Reads still go until the account limit is spent.
	for range 3 {
		require.Equal(t, http.StatusOK, get(t, srv, id).status)
	}
	a = get(t, srv, id)
	require.Equal(t, http.StatusTooManyRequests, a.status)
	require.Equal(t, "0", a.header.Get("X-Rate-Limit-Remaining"))
	require.Equal(t, 2, srv.RateLimited())

	// The next window starts afresh.
	clock.Set(minute.Add(time.Minute))
	a = put(t, srv, id, `{"ticket":{"status":"pending"}}`)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "total=3; remaining=2; resets=60", a.header.Get("Zendesk-RateLimit-tickets-update"))
	require.Equal(t, "7", a.header.Get("X-Rate-Limit-Remaining"))
}

// Zendesk allows one user 30 updates of one ticket per 10 minutes.
func TestLimitsPerTicket(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)}
	srv := zendesktest.NewServer(t, &zendesktest.Options{Now: clock.Now, Limits: zendesktest.ZendeskLimits(2500)})
	require.Equal(t, 300, srv.Limits().TicketUpdates, "High Volume")
	busy, other := srv.CreateTicket("s", "hello"), srv.CreateTicket("s", "hello")
	for i := range 30 {
		clock.Set(clock.Now().Add(2 * time.Second))
		require.Equal(t, http.StatusOK, put(t, srv, busy, `{"ticket":{"comment":{"body":"n`+strconv.Itoa(i)+`"}}}`).status, i)
	}
	a := put(t, srv, busy, `{"ticket":{"comment":{"body":"31st"}}}`)
	require.Equal(t, http.StatusTooManyRequests, a.status)
	require.Equal(t, strconv.Itoa(600-60), a.header.Get("Retry-After"))
	require.Equal(t, http.StatusOK, put(t, srv, other, `{"ticket":{"comment":{"body":"another ticket"}}}`).status)
}

// RateLimit sets the account limit and keeps the others; a fake made
// without limits never refuses.
func TestRateLimitKeepsOtherLimits(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	require.Equal(t, zendesktest.Limits{Window: time.Minute, TicketWindow: 10 * time.Minute}, srv.Limits())
	srv.SetLimits(zendesktest.Limits{TicketUpdates: 100})
	srv.RateLimit(600, time.Minute)
	require.Equal(t, zendesktest.Limits{Account: 600, TicketUpdates: 100, Window: time.Minute, TicketWindow: 10 * time.Minute}, srv.Limits())
}
