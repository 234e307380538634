package zendesk

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

func TestTicketUpdateJSON(t *testing.T) {
	for _, tc := range []struct {
		upd  ticketUpdate
		want string
	}{
		{reassignUpdate(helpdesk.TargetGroup, 200), `{"status":"open","group_id":200,"assignee_id":null}`},
		{reassignUpdate(helpdesk.TargetAgent, 501), `{"status":"open","assignee_id":501}`},
		{ticketUpdate{Comment: &comment{Body: "hi", Public: true, AuthorID: 9}, Status: "solved"}, `{"comment":{"body":"hi","public":true,"author_id":9},"status":"solved"}`},
		{ticketUpdate{Comment: &comment{Body: "note", Public: false}}, `{"comment":{"body":"note","public":false}}`},
		{ticketUpdate{Status: "closed", SafeUpdate: true, UpdatedStamp: "2026-07-01T10:00:00Z"}, `{"status":"closed","safe_update":true,"updated_stamp":"2026-07-01T10:00:00Z"}`},
	} {
		b, err := json.Marshal(tc.upd)
		require.NoError(t, err)
		require.JSONEq(t, tc.want, string(b))
		require.Equal(t, tc.want, string(b))
	}
}

func TestFieldErrorFromTruncatedBody(t *testing.T) {
	info := decodeError(422, []byte(`{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"x"}],"assignee":[{"description":"Assignee: is not a member of the group"}]}}`))
	require.Equal(t, "RecordInvalid", info.Code)
	require.Equal(t, "Record validation errors (assignee: Assignee: is not a member of the group; base: x)", info.Message)
	ae := &helpdesk.APIError{StatusCode: http.StatusUnprocessableEntity, Message: info.Message, Body: `{"error":"RecordInvalid","descr…`, Kind: helpdesk.ErrInvalidRequest}
	var fe *helpdesk.FieldError
	require.ErrorAs(t, fieldError(ae), &fe)
	require.Equal(t, "assignee", fe.Field)
	require.Equal(t, "Assignee: is not a member of the group", fe.Problem)

	closed := &helpdesk.APIError{StatusCode: 422, Message: decodeError(422, []byte(`{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Status: closed prevents ticket update"}]}}`)).Message}
	classifySupport(closed)
	require.ErrorIs(t, closed, helpdesk.ErrConversationClosed)
	require.Same(t, error(closed), fieldError(closed))

	forbidden := decodeError(403, []byte(`{"error":{"title":"Forbidden","message":"You do not have access"}}`))
	require.Equal(t, "Forbidden", forbidden.Code)
	require.Equal(t, "You do not have access", forbidden.Message)
}

func TestDecodeErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want transport.ErrorInfo
	}{
		{"support", `{"error":"RecordNotFound","description":"Not found"}`, transport.ErrorInfo{Code: "RecordNotFound", Message: "Not found"}},
		{"support code only", `{"error":"Couldn't authenticate you"}`, transport.ErrorInfo{Code: "Couldn't authenticate you"}},
		{"sunshine", `{"errors":[{"code":"conversation_not_found","title":"Conversation not found"},{"code":"x","title":"y"}]}`,
			transport.ErrorInfo{Code: "conversation_not_found", Message: "Conversation not found"}},
		{"html", "<html>\n<body>502 Bad Gateway</body>", transport.ErrorInfo{Message: "<html>"}},
		{"plain", "upstream timed out\nmore", transport.ErrorInfo{Message: "upstream timed out"}},
		{"empty", "", transport.ErrorInfo{}},
	} {
		require.Equal(t, tc.want, decodeError(500, []byte(tc.body)), tc.name)
	}
}

func TestEscapeControlInStrings(t *testing.T) {
	out, changed := escapeControlInStrings([]byte("{\"a\":\"x\ny\t\\\"z\x01\"}\n"))
	require.True(t, changed)
	require.Equal(t, "{\"a\":\"x\\ny\\t\\\"z\\u0001\"}\n", string(out))
	_, changed = escapeControlInStrings([]byte("{\n\"a\": 1\n}"))
	require.False(t, changed, "whitespace between tokens is valid JSON")
}

func TestRecentMapForgetsOldest(t *testing.T) {
	r := newRecentMap(2)
	require.Equal(t, "1", r.putIfAbsent("a", "1"))
	require.Equal(t, "1", r.putIfAbsent("a", "2"))
	r.putIfAbsent("b", "x")
	r.putIfAbsent("c", "y")
	_, ok := r.get("a")
	require.False(t, ok)
	v, _ := r.get("c")
	require.Equal(t, "y", v)
}

// BenchmarkParseTriggerNoVerify is ParseTrigger's work after the signature
// check: decoding the body and building the event.
func BenchmarkParseTriggerNoVerify(b *testing.B) {
	body, err := os.ReadFile("testdata/trigger_seed.json")
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(Config{Subdomain: "acme", Email: "bot@acme.example", APIToken: "tok-123456", BotUserID: 9001, N2GroupID: 200,
		WebhookSecrets: []string{"s"}, BaseURL: "http://127.0.0.1:1"}, &Options{NoBudget: true})
	if err != nil {
		b.Fatal(err)
	}
	req := &helpdesk.WebhookRequest{Header: http.Header{"Content-Type": {"application/json"}, HeaderInvocationID: {"inv"}}, Body: body}
	ts := time.Now()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := requireJSON(req); err != nil {
			b.Fatal(err)
		}
		var p TriggerPayload
		if err := decodeTrigger(req.Body, &p); err != nil {
			b.Fatal(err)
		}
		if _, err := c.triggerEvent(req, &p, ts); err != nil {
			b.Fatal(err)
		}
	}
}
