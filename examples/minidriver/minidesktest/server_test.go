package minidesktest_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/examples/minidriver/minidesktest"
)

// The fake is as strict as Minidesk: auth, required fields, unknown and
// closed tickets.
func TestServerRefuses(t *testing.T) {
	srv := minidesktest.NewServer(t)
	open := srv.NewTicket("hello")
	closed := srv.NewTicket("bye")
	srv.Close(closed)
	tests := []struct {
		name, token, path, body string
		status                  int
		code                    string
	}{
		{"wrong token", "nope", "/v1/tickets/%d/replies", `{"body":"hi"}`, 401, "unauthorized"},
		{"reply without body", minidesktest.Token, "/v1/tickets/%d/replies", `{"internal":true}`, 422, "invalid_request"},
		{"reply with a number body", minidesktest.Token, "/v1/tickets/%d/replies", `{"body":5}`, 422, "invalid_request"},
		{"assign to both", minidesktest.Token, "/v1/tickets/%d/assign", `{"team_id":10,"agent_id":20}`, 422, "invalid_request"},
		{"assign to an unknown agent", minidesktest.Token, "/v1/tickets/%d/assign", `{"agent_id":99}`, 422, "invalid_request"},
		{"unknown ticket", minidesktest.Token, "/v1/tickets/1/close", ``, 404, "not_found"},
		{"reply to a closed ticket", minidesktest.Token, "/v1/tickets/closed/replies", `{"body":"hi"}`, 409, "ticket_closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := strings.Replace(tc.path, "%d", itoa(open), 1)
			path = strings.Replace(path, "closed", itoa(closed), 1)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			require.Equal(t, tc.status, resp.StatusCode, string(b))
			require.Contains(t, string(b), `"code":"`+tc.code+`"`)
			require.NotEmpty(t, resp.Header.Get("X-Request-Id"))
		})
	}
	tk, _ := srv.Ticket(open)
	require.Len(t, tk.Replies, 1, "refused requests change nothing")
}

func itoa(n int) string { return strconv.Itoa(n) }

// GET .../replies lists every reply and note, oldest first, with its
// author, as the driver's read-back expects.
func TestServerListsReplies(t *testing.T) {
	srv := minidesktest.NewServer(t)
	id := srv.NewTicket("hello")
	get := func(ticket string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v1/tickets/"+ticket+"/replies", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+minidesktest.Token)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := get(itoa(id))
	require.Equal(t, http.StatusOK, status, body)
	tk, _ := srv.Ticket(id)
	require.JSONEq(t, `{"replies":[{"id":`+itoa(tk.Replies[0].ID)+`,"body":"hello","internal":false,`+
		`"author":{"type":"customer","id":500},"created_at":"`+tk.Replies[0].CreatedAt.Format(time.RFC3339Nano)+`"}]}`, body)
	status, body = get("1")
	require.Equal(t, http.StatusNotFound, status, body)
}
