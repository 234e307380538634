package intercomtest_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

func do(t *testing.T, srv *intercomtest.Server, method, path, body string, hdr map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+intercomtest.DefaultToken)
	req.Header.Set("Intercom-Version", intercomtest.DefaultVersion)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func errorCode(out map[string]any) string {
	errs, _ := out["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["code"].(string)
}

func TestServerIsAsStrictAsIntercom(t *testing.T) {
	srv := intercomtest.NewServer(t, nil)
	id := srv.AddConversation(intercomtest.Conversation{})
	reply := `{"message_type":"comment","type":"admin","admin_id":"` + intercomtest.DefaultBotAdminID + `","body":"<p>hi</p>"}`

	resp, out := do(t, srv, "POST", "/conversations/"+id+"/reply", reply, map[string]string{"Authorization": "Bearer wrong"})
	require.Equal(t, 401, resp.StatusCode)
	require.Equal(t, "error.list", out["type"])
	require.Equal(t, "unauthorized", errorCode(out))

	resp, out = do(t, srv, "POST", "/conversations/"+id+"/reply", reply, map[string]string{"Intercom-Version": ""})
	require.Equal(t, 400, resp.StatusCode)
	require.Equal(t, "intercom_version_invalid", errorCode(out))

	for _, bad := range []string{
		`{"message_type":"comment","type":"admin","body":"x"}`,                                          // no admin
		`{"message_type":"comment","type":"admin","admin_id":"1","body":"x"}`,                           // unknown admin
		`{"message_type":"comment","type":"admin","admin_id":"` + intercomtest.DefaultBotAdminID + `"}`, // no body
		`{"message_type":"close","type":"admin","admin_id":"` + intercomtest.DefaultBotAdminID + `"}`,   // close via /reply is 1.x
	} {
		resp, _ = do(t, srv, "POST", "/conversations/"+id+"/reply", bad, nil)
		require.GreaterOrEqual(t, resp.StatusCode, 400, bad)
	}
	resp, _ = do(t, srv, "POST", "/conversations/404/reply", reply, nil)
	require.Equal(t, 404, resp.StatusCode)

	resp, out = do(t, srv, "POST", "/conversations/"+id+"/reply", reply, nil)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "conversation", out["type"])
	c, _ := srv.Conversation(id)
	require.Len(t, c.Parts, 1)
	require.Equal(t, "hi", c.Parts[0].Text())
}

func TestServerRateLimitsLikeIntercom(t *testing.T) {
	now := time.Unix(1767225603, 0)
	srv := intercomtest.NewServer(t, &intercomtest.Options{Now: func() time.Time { return now }})
	srv.RateLimit(1, 10*time.Second)
	resp, _ := do(t, srv, "GET", "/me", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "1", resp.Header.Get("X-RateLimit-Limit"), "every answer reports the window")
	require.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	require.Equal(t, "1767225610", resp.Header.Get("X-RateLimit-Reset"))
	resp, out := do(t, srv, "GET", "/me", "", nil)
	require.Equal(t, 429, resp.StatusCode)
	require.Equal(t, "rate_limit_exceeded", errorCode(out))
	require.Empty(t, resp.Header.Get("Retry-After"), "Intercom sends no Retry-After")
	require.Equal(t, strconv.FormatInt(1767225610, 10), resp.Header.Get("X-RateLimit-Reset"), "reset is the Unix time the 10-second window ends")
	require.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	require.NotEmpty(t, resp.Header.Get("X-Request-Id"))
}

func TestPayloadBodies(t *testing.T) {
	c := intercomtest.Conversation{ID: "1", Source: intercomtest.Part{ID: "2", Body: "<p>Hi &amp; bye</p>"}}
	for _, tc := range []struct {
		plain bool
		want  string
	}{{false, "<p>Hi &amp; bye</p>"}, {true, "Hi & bye"}} {
		var n struct {
			Data struct {
				Item struct {
					Source struct {
						Body string `json:"body"`
					} `json:"source"`
				} `json:"item"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(intercomtest.Payload(intercomtest.Event{Topic: "conversation.user.created", Conversation: c, PlainText: tc.plain}), &n))
		require.Equal(t, tc.want, n.Data.Item.Source.Body)
	}
}

// A write that fails after the fake processed it is there when the
// conversation is read back, with its author, type, body and attachments,
// as the driver's read-back of an ambiguous failure needs.
func TestReadBackSeesWritesThatFailedAfterProcessing(t *testing.T) {
	for _, f := range []drivertest.Fault{drivertest.Fault500After, drivertest.Fault503After} {
		t.Run(f.String(), func(t *testing.T) {
			srv := intercomtest.NewServer(t, nil)
			id := srv.AddConversation(intercomtest.Conversation{})
			srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{f}})
			reply := `{"message_type":"comment","type":"admin","admin_id":"` + intercomtest.DefaultBotAdminID +
				`","body":"<p>Refund issued.</p>","attachment_urls":["https://img.example/r.png?s=1"]}`
			resp, _ := do(t, srv, "POST", "/conversations/"+id+"/reply", reply, nil)
			require.GreaterOrEqual(t, resp.StatusCode, 500)
			srv.InjectFaults(drivertest.FaultPlan{})

			resp, out := do(t, srv, "GET", "/conversations/"+id, "", nil)
			require.Equal(t, 200, resp.StatusCode)
			raw, err := json.Marshal(out["conversation_parts"])
			require.NoError(t, err)
			var list struct {
				Parts []struct {
					ID          string `json:"id"`
					PartType    string `json:"part_type"`
					Body        string `json:"body"`
					CreatedAt   int64  `json:"created_at"`
					Author      struct{ Type, ID string }
					Attachments []struct{ Type, Name, URL string }
				} `json:"conversation_parts"`
			}
			require.NoError(t, json.Unmarshal(raw, &list))
			require.Len(t, list.Parts, 1)
			p := list.Parts[0]
			require.NotEmpty(t, p.ID)
			require.Positive(t, p.CreatedAt)
			require.Equal(t, []string{"comment", "<p>Refund issued.</p>", "admin", intercomtest.DefaultBotAdminID},
				[]string{p.PartType, p.Body, p.Author.Type, p.Author.ID})
			require.Equal(t, []struct{ Type, Name, URL string }{{"upload", "r.png", "https://img.example/r.png?s=1"}}, p.Attachments)
		})
	}
}
