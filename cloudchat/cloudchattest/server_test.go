package cloudchattest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

func do(t *testing.T, s *cloudchattest.Server, method, path, token, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("api_access_token", token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestServerAuthAndThrottle(t *testing.T) {
	now := time.Date(2026, 7, 14, 10, 0, 30, 0, time.UTC)
	s := cloudchattest.NewServer(t, &cloudchattest.Options{RequestsPerMinute: 3, Now: func() time.Time { return now }})
	code, body, _ := do(t, s, "GET", "/api/v1/accounts/1/agents", "wrong", "")
	require.Equal(t, 401, code)
	require.JSONEq(t, `{"error":"Invalid Access Token"}`, body)
	code, body, _ = do(t, s, "GET", "/api/v1/accounts/1/agents", s.BotToken(), "")
	require.Equal(t, 401, code)
	require.JSONEq(t, `{"error":"Access to this endpoint is not authorized for bots"}`, body)
	code, _, _ = do(t, s, "GET", "/api/v1/accounts/1/agents", s.UserToken(), "")
	require.Equal(t, 200, code)
	// VendorServer checks the token before the throttle, so the refused
	// token above did not count (Rack::Attack would have counted it).
	code, _, _ = do(t, s, "GET", "/api/v1/accounts/1/teams", s.UserToken(), "")
	require.Equal(t, 200, code)
	code, body, h := do(t, s, "GET", "/api/v1/accounts/1/agents", s.UserToken(), "")
	require.Equal(t, 429, code)
	require.Equal(t, "Retry later\n", body)
	require.Equal(t, "text/plain", h.Get("Content-Type"))
	require.Empty(t, h.Get("Retry-After"), "Chatwoot sends no Retry-After")
	require.Equal(t, 5, s.Requests())
}

func TestServerUnknownAssigneeUnassigns(t *testing.T) {
	s := cloudchattest.NewServer(t, nil)
	agent := s.AddAgent("Ana", "online")
	id := s.AddConversation(cloudchattest.Conversation{AssigneeID: agent, AssigneeType: "User"})
	code, body, _ := do(t, s, "POST", "/api/v1/accounts/1/conversations/"+itoa(id)+"/assignments", s.BotToken(), `{"assignee_id":424242}`)
	require.Equal(t, 200, code)
	require.Equal(t, "null", body)
	c, _ := s.Conversation(id)
	require.Zero(t, c.AssigneeID)
}

func TestSignerVerifies(t *testing.T) {
	sg := &cloudchattest.Signer{Secret: "s3cret", Now: func() time.Time { return time.Unix(1784020351, 0) }}
	body := cloudchattest.MessagePayload(cloudchattest.MessageEvent{ID: 1, Content: "hi", Conversation: cloudchattest.ConversationRef{ID: 5}})
	r := sg.Request(body, "")
	require.Equal(t, sg.Request(body, "").Header.Get("X-Chatwoot-Delivery"), r.Header.Get("X-Chatwoot-Delivery"), "same payload, same delivery id")
	require.True(t, strings.HasPrefix(r.Header.Get("X-Chatwoot-Signature"), "sha256="))
	require.Equal(t, "1784020351", r.Header.Get("X-Chatwoot-Timestamp"))
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte("1784020351." + string(body)))
	require.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), r.Header.Get("X-Chatwoot-Signature"), "Chatwoot signs <timestamp>.<body>")
	req, err := helpdesk.ReadWebhookRequest(nil, r, 0)
	require.NoError(t, err)
	req.ReceivedAt = time.Unix(1784020351, 0)
	at, err := driver.NewVerifier(0, "other", "s3cret").Verify(req, cloudchat.Scheme())
	require.NoError(t, err)
	require.Equal(t, time.Unix(1784020351, 0), at)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
