package hubspottest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

// The fake is as strict as HubSpot's documented bodies: auth, required
// fields, agent actors, unknown threads and tickets, and its error shape.
func TestServerRefuses(t *testing.T) {
	srv := hubspottest.NewServer(t)
	thread := strconv.FormatInt(srv.NewThread("hello"), 10)
	const send = "/conversations/v3/conversations/threads/%s/messages"
	msg := func(drop string) string {
		fields := map[string]string{
			"type": `"MESSAGE"`, "text": `"hi"`, "senderActorId": `"A-71260648"`, "channelId": `"1000"`, "channelAccountId": `"987654"`,
			"recipients": `[{"deliveryIdentifiers":[{"type":"HS_EMAIL_ADDRESS","value":"a@example.com"}]}]`, "attachments": `[]`,
		}
		delete(fields, drop)
		var parts []string
		for k, v := range fields {
			parts = append(parts, strconv.Quote(k)+":"+v)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	tests := []struct {
		name, method, token, path, body string
		status                          int
		category                        string
	}{
		{"wrong token", "POST", "pat-na1-wrong", send, msg(""), 401, "INVALID_AUTHENTICATION"},
		{"message without attachments", "POST", hubspottest.Token, send, msg("attachments"), 400, "VALIDATION_ERROR"},
		{"message without recipients", "POST", hubspottest.Token, send, msg("recipients"), 400, "VALIDATION_ERROR"},
		{"message without channel account", "POST", hubspottest.Token, send, msg("channelAccountId"), 400, "VALIDATION_ERROR"},
		{"message without sender", "POST", hubspottest.Token, send, msg("senderActorId"), 400, "VALIDATION_ERROR"},
		{"comment without text", "POST", hubspottest.Token, send, `{"type":"COMMENT","attachments":[]}`, 400, "VALIDATION_ERROR"},
		{"visitor as sender", "POST", hubspottest.Token, send, strings.Replace(msg(""), "A-71260648", "V-555", 1), 400, "VALIDATION_ERROR"},
		{"PATCH cannot assign", "PATCH", hubspottest.Token, "/conversations/v3/conversations/threads/%s", `{"assignedTo":"A-71260700"}`, 400, "VALIDATION_ERROR"},
		{"assign to a non-user", "PUT", hubspottest.Token, "/conversations/conversations/v3/threads/%s/assignee", `{"actorId":"A-1"}`, 400, "VALIDATION_ERROR"},
		{"unknown thread", "GET", hubspottest.Token, "/conversations/v3/conversations/threads/1", ``, 404, "OBJECT_NOT_FOUND"},
		{"user id as owner id", "PATCH", hubspottest.Token, "/crm/v3/objects/tickets/1", `{"properties":{"hubspot_owner_id":"71260700"}}`, 404, "OBJECT_NOT_FOUND"},
		{"event without properties", "POST", hubspottest.Token, "/events/v3/send", `{"eventName":"pe62515_x"}`, 400, "VALIDATION_ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := strings.Replace(tc.path, "%s", thread, 1)
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+path, strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			require.Equal(t, tc.status, resp.StatusCode, string(b))
			require.Contains(t, string(b), `"category":"`+tc.category+`"`)
			require.NotEmpty(t, resp.Header.Get(hubspot.RequestIDHeader))
		})
	}
	th, _ := srv.Thread(mustInt(thread))
	require.Len(t, th.Messages, 1, "refused requests change nothing")
}

// Rate limiting answers with HubSpot's headers and policy body.
func TestServerRateLimit(t *testing.T) {
	srv := hubspottest.NewServer(t)
	thread := strconv.FormatInt(srv.NewThread("hello"), 10)
	srv.FailNext(http.StatusTooManyRequests)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/conversations/v3/conversations/threads/"+thread, nil)
	req.Header.Set("Authorization", "Bearer "+hubspottest.Token)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Contains(t, string(b), `"policyName":"DAILY"`, "a one-hour wait is the daily limit")
	require.Equal(t, "0", resp.Header.Get(hubspot.HeaderDailyRemaining))
	require.Equal(t, "10000", resp.Header.Get(hubspot.HeaderInterval))
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// The message history answers what the server stored, newest first by
// default or oldest first with sort=createdAt, in pages joined by
// paging.next.after.
func TestServerMessageHistory(t *testing.T) {
	srv := hubspottest.NewServer(t)
	id := srv.NewThread("m0")
	thread := strconv.FormatInt(id, 10)
	for i := 1; i < 5; i++ {
		srv.CustomerDelivery(id, "m"+strconv.Itoa(i))
	}
	list := func(t *testing.T, query string) []string {
		var texts []string
		after := ""
		for {
			q := query
			if after != "" {
				q += "&after=" + after
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/conversations/v3/conversations/threads/"+thread+"/messages?"+q, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+hubspottest.Token)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			var page struct {
				Results []hubspot.Message `json:"results"`
				Paging  struct {
					Next struct {
						After string `json:"after"`
					} `json:"next"`
				} `json:"paging"`
			}
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
			resp.Body.Close()
			require.LessOrEqual(t, len(page.Results), 2)
			for _, m := range page.Results {
				texts = append(texts, m.Text)
			}
			if after = page.Paging.Next.After; after == "" {
				return texts
			}
		}
	}
	require.Equal(t, []string{"m4", "m3", "m2", "m1", "m0"}, list(t, "limit=2"))
	require.Equal(t, []string{"m4", "m3", "m2", "m1", "m0"}, list(t, "limit=2&sort=-createdAt"))
	require.Equal(t, []string{"m0", "m1", "m2", "m3", "m4"}, list(t, "limit=2&sort=createdAt"))
}
