package zendesktest_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// Zendesk ignores properties it does not take on an update, such as a
// comment's read-only created_at that other Go clients send: the fake
// accepts them too, applies the rest, and records what it ignored.
func TestTicketUpdateAcceptsWhatZendeskIgnores(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	id := srv.CreateTicket("s", "hello")
	a := put(t, srv, id, `{"ticket":{"status":"pending","statuz":"open","comment":{"body":"thanks","public":true,"created_at":"2026-01-01T00:00:00Z","id":7}}}`)
	require.Equal(t, http.StatusOK, a.status)
	tk, _ := srv.Ticket(id)
	require.Equal(t, "pending", tk.Status)
	require.Equal(t, "thanks", tk.Comments[len(tk.Comments)-1].Body)
	require.Equal(t, []string{"comment.created_at", "comment.id", "ticket.statuz"}, srv.IgnoredFields())

	// What Zendesk refuses, the fake still refuses.
	a = put(t, srv, id, `{"ticket":{"comment":{"body":"x","created_at":"y","public":"true"}}}`)
	require.Equal(t, http.StatusUnprocessableEntity, a.status)
}

func TestSunshineMessageAcceptsUnknownProperties(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	o := srv.Options()
	conv, _ := srv.CreateConversation("hello")
	body := `{"author":{"type":"business"},"content":{"type":"text","text":"hi"},"schedule":"now"}`
	req, err := http.NewRequest("POST", srv.Sunshine.URL+"/v2/apps/"+o.SunshineAppID+"/conversations/"+conv+"/messages", bytes.NewBufferString(body))
	require.NoError(t, err)
	req.SetBasicAuth(o.SunshineKeyID, o.SunshineSecret)
	req.Header.Set("Content-Type", "application/json")
	a := do(t, req)
	require.Equal(t, http.StatusCreated, a.status, "%v", a.body)
	require.Equal(t, []string{"message.schedule"}, srv.IgnoredFields())
}
