package zendesktest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func put(t *testing.T, srv *zendesktest.Server, id int64, body string, hdr ...string) answer {
	t.Helper()
	o := srv.Options()
	req, err := http.NewRequest(http.MethodPut, srv.Support.URL+"/api/v2/tickets/"+strconv.FormatInt(id, 10)+".json", bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(o.Email+"/token", o.APIToken)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return answer{resp.StatusCode, resp.Header, m}
}

func details(a answer) map[string]any {
	d, _ := a.body["details"].(map[string]any)
	return d
}

func TestTicketUpdateValidation(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	id := srv.CreateTicket("s", "hello")
	for name, tc := range map[string]struct {
		body  string
		field string
	}{
		"group as string":   {`{"ticket":{"group_id":"200"}}`, "group_id"},
		"public as string":  {`{"ticket":{"comment":{"body":"x","public":"true"}}}`, "comment"},
		"blank comment":     {`{"ticket":{"comment":{"body":" "}}}`, "comment"},
		"bad status":        {`{"ticket":{"status":"done"}}`, "status"},
		"assignee not in":   {`{"ticket":{"group_id":200}}`, "assignee"},
		"unknown group":     {`{"ticket":{"group_id":424242}}`, "group"},
		"assignee unknown":  {`{"ticket":{"assignee_id":1}}`, "assignee"},
		"bad updated stamp": {`{"ticket":{"updated_stamp":"yesterday"}}`, "updated_stamp"},
	} {
		a := put(t, srv, id, tc.body)
		require.Equal(t, http.StatusUnprocessableEntity, a.status, name)
		require.Equal(t, "RecordInvalid", a.body["error"], name)
		require.Contains(t, details(a), tc.field, name)
	}
	a := put(t, srv, id, `{"status":"open"}`)
	require.Equal(t, http.StatusBadRequest, a.status, "the body must be wrapped in ticket")

	// A valid handover: group with an explicit null assignee.
	a = put(t, srv, id, `{"ticket":{"group_id":200,"assignee_id":null,"comment":{"body":"moving","public":false}}}`)
	require.Equal(t, http.StatusOK, a.status)
	tk, _ := srv.Ticket(id)
	require.Equal(t, int64(200), tk.GroupID)
	require.Zero(t, tk.AssigneeID)
	require.False(t, tk.Comments[1].Public)
	require.Equal(t, srv.Options().BotUserID, tk.Comments[1].AuthorID, "comments default to the API user")

	// Collision protection.
	a = put(t, srv, id, `{"ticket":{"status":"solved","safe_update":true,"updated_stamp":"2001-01-01T00:00:00Z"}}`)
	require.Equal(t, http.StatusConflict, a.status)

	// Closed tickets refuse every update with Zendesk's 422.
	srv.SetStatus(id, "closed")
	a = put(t, srv, id, `{"ticket":{"comment":{"body":"hello?"}}}`)
	require.Equal(t, http.StatusUnprocessableEntity, a.status)
	require.Contains(t, details(a), "status")
}

func TestIdempotencyKeyReplay(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	id := srv.CreateTicket("s", "hello")
	body := `{"ticket":{"comment":{"body":"once","public":true}}}`
	a1 := put(t, srv, id, body, "Idempotency-Key", "k1")
	a2 := put(t, srv, id, body, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusOK, a2.status)
	require.Equal(t, "hit", a2.header.Get("X-Idempotency-Lookup"))
	require.Equal(t, a1.body, a2.body)
	tk, _ := srv.Ticket(id)
	require.Len(t, tk.Comments, 2)
	a3 := put(t, srv, id, `{"ticket":{"comment":{"body":"other"}}}`, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusBadRequest, a3.status)
}

func TestAuthAndRateLimitHeaders(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	id := srv.CreateTicket("s", "hello")
	req, _ := http.NewRequest(http.MethodGet, srv.Support.URL+"/api/v2/tickets/"+strconv.FormatInt(id, 10), nil)
	require.Equal(t, http.StatusUnauthorized, do(t, req).status)
	req.SetBasicAuth(srv.Options().Email, srv.Options().APIToken)
	require.Equal(t, http.StatusUnauthorized, do(t, req).status, "the user must be email/token")

	srv.RateLimit(1, time.Hour)
	require.Equal(t, http.StatusOK, put(t, srv, id, `{"ticket":{"status":"pending"}}`).status)
	a := put(t, srv, id, `{"ticket":{"status":"open"}}`)
	require.Equal(t, http.StatusTooManyRequests, a.status)
	for _, h := range []string{"Retry-After", "X-Rate-Limit", "X-Rate-Limit-Remaining", "Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset"} {
		require.NotEmpty(t, a.header.Get(h), h)
	}
	require.Equal(t, "0", a.header.Get("X-Rate-Limit-Remaining"))
	require.Equal(t, "APIRateLimitExceeded", a.body["error"])

	req, _ = http.NewRequest(http.MethodPost, srv.Sunshine.URL+"/v2/apps/x/conversations/y/messages", bytes.NewBufferString(`{}`))
	req.Header.Set("Content-Type", "application/json")
	a = do(t, req)
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Contains(t, a.body, "errors", "Sunshine's error shape")
}

func TestSignersMatchTheDriver(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	cfg := srv.Config()
	c, err := zendesk.New(cfg, &zendesk.Options{NoBudget: true})
	require.NoError(t, err)
	id := srv.CreateTicket("s", "hello")
	body := zendesktest.TriggerBody(srv.CustomerComment(id, 77, "hello"))
	events, err := c.ParseWebhook(context.Background(), zendesktest.NewTriggerWebhookRequest(cfg.WebhookSecrets[0], body, time.Now(), "inv"))
	require.NoError(t, err)
	require.True(t, events[0].IsCustomerMessage())

	convID, _ := srv.CreateConversation("oi")
	r := zendesktest.NewSunshineRequest(cfg.SunshineWebhookSecrets[0], zendesktest.SunshineDelivery(cfg.SunshineAppID,
		zendesktest.SunshineMessage{EventID: "e1", ConversationID: convID, MessageID: "m1", AuthorType: "user", Text: "oi", SourceType: "web"},
		zendesktest.SunshineMessage{EventID: "e2", ConversationID: convID, MessageID: "m2", AuthorType: "user", Text: "alô?", SourceType: "web"}))
	req, err := helpdesk.ReadWebhookRequest(nil, r, 0)
	require.NoError(t, err)
	events, err = c.ParseWebhook(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, "alô?", events[1].Message.Text)
}
