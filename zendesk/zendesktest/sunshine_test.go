package zendesktest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

type listed struct {
	Messages []struct {
		ID       string `json:"id"`
		Received string `json:"received"`
		Author   struct {
			Type string `json:"type"`
		} `json:"author"`
		Content struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"messages"`
	Meta struct {
		HasMore      bool   `json:"hasMore"`
		BeforeCursor string `json:"beforeCursor"`
		AfterCursor  string `json:"afterCursor"`
	} `json:"meta"`
	Links struct {
		Prev string `json:"prev"`
		Next string `json:"next"`
	} `json:"links"`
}

func listMessages(t *testing.T, srv *zendesktest.Server, convID string, q url.Values) (int, listed) {
	t.Helper()
	o := srv.Options()
	u := srv.Sunshine.URL + "/v2/apps/" + o.SunshineAppID + "/conversations/" + convID + "/messages"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	req.SetBasicAuth(o.SunshineKeyID, o.SunshineSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out listed
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	}
	return resp.StatusCode, out
}

// List Messages pages backwards from the newest 100 messages, oldest
// first within a page, as Sunshine documents it.
func TestSunshineListMessagesPages(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	convID, _ := srv.CreateConversation("message 0")
	for i := 1; i < 250; i++ {
		srv.AddUserMessage(convID, fmt.Sprintf("message %d", i))
	}
	texts := func(l listed) (first, last string, n int) {
		return l.Messages[0].Content.Text, l.Messages[len(l.Messages)-1].Content.Text, len(l.Messages)
	}

	status, page := listMessages(t, srv, convID, nil)
	require.Equal(t, http.StatusOK, status)
	first, last, n := texts(page)
	require.Equal(t, []any{"message 150", "message 249", 100}, []any{first, last, n})
	require.True(t, page.Meta.HasMore)
	require.Equal(t, page.Messages[0].ID, page.Meta.BeforeCursor)
	require.Contains(t, page.Links.Prev, "page[before]="+page.Meta.BeforeCursor)
	require.Empty(t, page.Links.Next)
	require.Equal(t, "user", page.Messages[0].Author.Type)
	require.NotEmpty(t, page.Messages[0].Received)

	status, page = listMessages(t, srv, convID, url.Values{"page[before]": {page.Meta.BeforeCursor}})
	require.Equal(t, http.StatusOK, status)
	first, last, n = texts(page)
	require.Equal(t, []any{"message 50", "message 149", 100}, []any{first, last, n})
	require.True(t, page.Meta.HasMore)

	status, page = listMessages(t, srv, convID, url.Values{"page[before]": {page.Meta.BeforeCursor}})
	require.Equal(t, http.StatusOK, status)
	first, last, n = texts(page)
	require.Equal(t, []any{"message 0", "message 49", 50}, []any{first, last, n})
	require.False(t, page.Meta.HasMore)
	require.Empty(t, page.Meta.BeforeCursor)

	status, after := listMessages(t, srv, convID, url.Values{"page[after]": {page.Messages[49].ID}})
	require.Equal(t, http.StatusOK, status)
	first, last, n = texts(after)
	require.Equal(t, []any{"message 50", "message 149", 100}, []any{first, last, n})
	require.True(t, after.Meta.HasMore)

	status, _ = listMessages(t, srv, convID, url.Values{"page[before]": {page.Messages[0].ID}, "page[after]": {page.Messages[0].ID}})
	require.Equal(t, http.StatusBadRequest, status, "only one cursor")
	status, _ = listMessages(t, srv, "c-unknown", nil)
	require.Equal(t, http.StatusNotFound, status)
}
