package cloudchat_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

func convOf(id int64, ch helpdesk.Channel, extra map[string]string) helpdesk.Conversation {
	return helpdesk.Conversation{Vendor: "cloudchat", Account: "1", ID: strconv.FormatInt(id, 10), Channel: ch, Extra: extra}
}

func TestSendMessageLimits(t *testing.T) {
	e := newEnv(t, nil)
	id := e.srv.AddConversation(cloudchattest.Conversation{Channel: "Channel::Whatsapp", CanReply: true})
	ctx := context.Background()
	before := e.srv.Requests()

	_, err := e.client.SendMessage(ctx, convOf(id, helpdesk.ChannelWhatsApp, nil), helpdesk.Message{Text: strings.Repeat("a", 4097)})
	var tl *cloudchat.TooLongError
	require.ErrorAs(t, err, &tl)
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Equal(t, cloudchat.TooLongError{Channel: helpdesk.ChannelWhatsApp, Limit: 4096, Unit: cloudchat.Runes, Length: 4097}, *tl)

	// Instagram counts bytes: 334 three-byte runes are 1002 bytes.
	_, err = e.client.SendMessage(ctx, convOf(id, helpdesk.ChannelInstagram, nil), helpdesk.Message{Text: strings.Repeat("€", 334)})
	require.ErrorAs(t, err, &tl)
	require.Equal(t, cloudchat.Bytes, tl.Unit)

	// Outside the 24-hour window a plain reply needs a template.
	closed := convOf(id, helpdesk.ChannelWhatsApp, map[string]string{cloudchat.ExtraCanReply: "false"})
	_, err = e.client.SendMessage(ctx, closed, helpdesk.Message{Text: "hello again"})
	require.ErrorIs(t, err, cloudchat.ErrTemplateRequired)
	require.ErrorIs(t, err, helpdesk.ErrReplyWindowClosed, "the portable sentinel matches too")
	require.Contains(t, err.Error(), "24-hour")

	_, err = e.client.SendMessage(ctx, convOf(id, helpdesk.ChannelWhatsApp, nil), helpdesk.Message{Text: "x", Attachments: []helpdesk.Attachment{{URL: "https://x.test/a.png"}}})
	require.ErrorIs(t, err, helpdesk.ErrUnsupported)
	_, err = e.client.SendMessage(ctx, helpdesk.Conversation{Vendor: "cloudchat", ID: "abc"}, helpdesk.Message{Text: "x"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Equal(t, before, e.srv.Requests(), "local refusals must not spend requests")

	// A note in a closed window is still allowed, and exactly at the limit passes.
	_, err = e.client.SendMessage(ctx, closed, helpdesk.Message{Text: "note", Internal: true})
	require.NoError(t, err)
	_, err = e.client.SendMessage(ctx, convOf(id, helpdesk.ChannelWhatsApp, nil), helpdesk.Message{Text: strings.Repeat("é", 4096), IdempotencyKey: "k-1"})
	require.NoError(t, err)
	c, _ := e.srv.Conversation(id)
	require.Equal(t, "k-1", c.Messages[len(c.Messages)-1].EchoID)
	require.Equal(t, []string{"k-1"}, e.srv.EchoIDs(), "the idempotency key travels as echo_id")
}

func TestSendMessageResolve(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	before := e.srv.Requests()
	r, err := e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Bye!", Resolve: true})
	require.NoError(t, err)
	require.True(t, r.Resolved)
	require.NotEmpty(t, r.MessageID)
	require.Equal(t, 2, e.srv.Requests()-before)

	conv = e.newConversation(t)
	e.srv.FailNext(0) // no-op guard
	e.srv.FailNext(http.StatusNotFound)
	_, err = e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Bye!", Resolve: true})
	require.ErrorIs(t, err, helpdesk.ErrNotFound)
}

func TestFloodGuardIsRateLimit(t *testing.T) {
	now := time.Date(2026, 7, 14, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, func(_ *cloudchat.Config, co *cloudchat.Options, so *cloudchattest.Options) {
		so.Now = func() time.Time { return now }
		co.ConversationLimit = -1 // let the server's own guard answer
		co.NoBudget = true        // and send the 201 messages at once
	})
	conv := e.newConversation(t)
	for i := 0; i < 200; i++ {
		_, err := e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "m"})
		require.NoError(t, err)
	}
	_, err := e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "one too many"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	var api *helpdesk.APIError
	require.ErrorAs(t, err, &api)
	require.Equal(t, 422, api.StatusCode)
}

func TestThrottle429(t *testing.T) {
	now := time.Date(2026, 7, 14, 10, 0, 45, 0, time.UTC)
	e := newEnv(t, func(_ *cloudchat.Config, _ *cloudchat.Options, so *cloudchattest.Options) {
		so.Now = func() time.Time { return now }
		so.RequestsPerMinute = 2
	})
	conv := e.newConversation(t)
	ctx := context.Background()
	require.NoError(t, e.client.Resolve(ctx, conv))
	require.NoError(t, e.client.Resolve(ctx, conv))
	err := e.client.Resolve(ctx, conv)
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	var api *helpdesk.APIError
	require.ErrorAs(t, err, &api)
	require.Equal(t, "Retry later", api.Message)
	require.Positive(t, api.RetryAfter)
	require.LessOrEqual(t, api.RetryAfter, time.Minute)
}

func TestRetryAfterMinuteBoundary(t *testing.T) {
	at := func(sec, nsec int) time.Time { return time.Date(2026, 7, 14, 10, 0, sec, nsec, time.UTC) }
	resp := func(h http.Header) *http.Response { return &http.Response{StatusCode: 429, Header: h} }
	cases := []struct {
		name string
		resp *http.Response
		now  time.Time
		want time.Duration
	}{
		{"local clock", resp(http.Header{}), at(45, 0), 15 * time.Second},
		{"local clock mid-second", resp(http.Header{}), at(45, 500e6), 14500 * time.Millisecond},
		{"on the boundary waits a full window", resp(http.Header{}), at(0, 0), time.Minute},
		{"server Date wins over a skewed local clock", resp(http.Header{"Date": {at(50, 0).Format(http.TimeFormat)}}), at(10, 0), 10 * time.Second},
		{"a proxy's Retry-After wins", resp(http.Header{"Retry-After": {"3"}}), at(10, 0), 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := cloudchat.RetryAfter(tc.resp, tc.now)
			require.True(t, ok)
			require.Equal(t, tc.want, d)
		})
	}
	_, ok := cloudchat.RetryAfter(&http.Response{StatusCode: 500, Header: http.Header{}}, at(1, 0))
	require.False(t, ok)
}

func TestReassignOrderAndHandOff(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	id, _ := strconv.ParseInt(conv.ID, 10, 64)
	err := e.client.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(e.team, 10),
		Notice: "A specialist will take over.", Note: "Billing dispute, customer verified."})
	require.NoError(t, err)
	c, _ := e.srv.Conversation(id)
	require.Equal(t, "open", c.Status, "hand-off opens the pending conversation")
	require.Equal(t, e.team, c.TeamID)
	n := len(c.Messages)
	require.Equal(t, "A specialist will take over.", c.Messages[n-2].Content)
	require.False(t, c.Messages[n-2].Private)
	require.Equal(t, "Billing dispute, customer verified.", c.Messages[n-1].Content)
	require.True(t, c.Messages[n-1].Private)
	for _, p := range []string{"POST /api/v1/accounts/1/conversations/" + conv.ID + "/assignments", "POST /api/v1/accounts/1/conversations/" + conv.ID + "/toggle_status"} {
		require.Equal(t, 1, e.srv.RequestsTo(p), p)
	}
}

func TestReassignAutoAssignsOnlineTeamMember(t *testing.T) {
	e := newEnv(t, nil)
	offline := e.srv.AddAgent("Bruno", "offline")
	team := e.srv.AddTeam("N2", offline, e.agent)
	id := e.srv.AddConversation(cloudchattest.Conversation{AssigneeID: cloudchattest.DefaultBotID, AssigneeType: "AgentBot", AutoAssign: true, CanReply: true})
	require.NoError(t, e.client.Reassign(context.Background(), convOf(id, helpdesk.ChannelAPI, nil), helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(team, 10)}))
	c, _ := e.srv.Conversation(id)
	require.Equal(t, e.agent, c.AssigneeID, "round robin picks the online member of the team set before opening")
	require.Equal(t, "User", c.AssigneeType)
}

func TestReassignUnknownAgentTrap(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	id, _ := strconv.ParseInt(conv.ID, 10, 64)
	err := e.client.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "999999"})
	require.ErrorIs(t, err, cloudchat.ErrUnknownAssignee)
	require.ErrorIs(t, err, helpdesk.ErrNotFound)
	c, _ := e.srv.Conversation(id)
	require.Equal(t, "pending", c.Status, "the hand-off must not go on after a failed assignment")
	require.Zero(t, e.srv.RequestsTo("POST /api/v1/accounts/1/conversations/"+conv.ID+"/toggle_status"))

	err = e.client.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "12x"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
}

func TestTemplates(t *testing.T) {
	e := newEnv(t, nil)
	id := e.srv.AddConversation(cloudchattest.Conversation{Channel: "Channel::Whatsapp"})
	conv := convOf(id, helpdesk.ChannelWhatsApp, map[string]string{cloudchat.ExtraCanReply: "false"})
	tpl := cloudchat.Template{Name: "order_update", Category: "utility", Language: "pt_BR", Body: map[string]string{"1": "Maria"},
		Buttons: []cloudchat.TemplateButton{{Type: "url", Parameter: "abc"}}}
	r, err := e.client.SendTemplate(context.Background(), conv, tpl)
	require.NoError(t, err)
	require.NotEmpty(t, r.MessageID)
	c, _ := e.srv.Conversation(id)
	got := c.Messages[len(c.Messages)-1].Template
	want := map[string]any{"name": "order_update", "category": "UTILITY", "language": "pt_BR",
		"processed_params": map[string]any{"body": map[string]any{"1": "Maria"}, "buttons": []any{map[string]any{"type": "url", "parameter": "abc"}}}}
	require.Empty(t, cmp.Diff(want, got))

	twilio := convOf(id, helpdesk.ChannelWhatsAppTwilio, nil)
	_, err = e.client.SendTemplate(context.Background(), twilio, cloudchat.Template{Name: "hello", Category: "MARKETING", Language: "en", Body: map[string]string{"1": "x"}})
	require.NoError(t, err)
	c, _ = e.srv.Conversation(id)
	require.Equal(t, map[string]any{"1": "x"}, c.Messages[len(c.Messages)-1].Template["processed_params"], "Twilio takes a flat map")

	before := e.srv.Requests()
	for _, bad := range []cloudchat.Template{
		{Name: "Order-Update", Category: "UTILITY", Language: "pt_BR"},
		{Name: "order update", Category: "UTILITY", Language: "pt_BR"},
		{Name: "", Category: "UTILITY", Language: "pt_BR"},
		{Name: "ok", Category: "AUTHENTICATIONX", Language: "pt_BR"},
		{Name: "ok", Category: "UTILITY"},
	} {
		_, err := e.client.SendTemplate(context.Background(), conv, bad)
		var fe *helpdesk.FieldError
		require.ErrorAs(t, err, &fe, "%+v", bad)
		require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	}
	require.Equal(t, before, e.srv.Requests())
}

func TestNormalizePhone(t *testing.T) {
	cases := []struct{ in, cc, want string }{
		{"+55 11 98765-4321", "", "+5511987654321"},
		{"+55 (11) 6083-2431", "", "+5511960832431"}, // ninth digit added
		{"+55 11 3083-2431", "", "+551130832431"},    // landline unchanged
		{"(11) 96083-2431", "55", "+5511960832431"},
		{"011 6083 2431", "55", "+5511960832431"},
		{"0055 11 98765 4321", "", "+5511987654321"},
		{"whatsapp:+14155550100", "", "+14155550100"},
		{"+1 415.555.0100", "", "+14155550100"},
	}
	for _, tc := range cases {
		got, err := cloudchat.NormalizePhone(tc.in, tc.cc)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"", "abc", "11 98765-4321", "+0 123", "+55 11 12345", "+1234567890123456", "+55 11 9876 54321 0"} {
		_, err := cloudchat.NormalizePhone(bad, "")
		var fe *helpdesk.FieldError
		require.ErrorAs(t, err, &fe, bad)
		require.Equal(t, "phone_number", fe.Field)
		require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	}
}

func TestUpsertContact(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	existing := e.srv.AddContact(cloudchattest.Contact{Name: "Maria", PhoneNumber: "+5511960832431", Labels: []string{"vip"}})

	// Found by phone written without the ninth digit; labels added, not replaced.
	ct, err := e.client.UpsertContact(ctx, cloudchat.ContactInput{Phone: "+55 11 6083-2431", Email: "maria@example.test", Labels: []string{"lead", "VIP"}})
	require.NoError(t, err)
	require.Equal(t, existing, ct.ID)
	require.False(t, ct.Created)
	got, _ := e.srv.Contact(existing)
	require.Equal(t, []string{"vip", "lead"}, got.Labels)
	require.Equal(t, "maria@example.test", got.Email)
	require.Equal(t, "Maria", got.Name, "empty fields never erase")

	// Not found: created in the configured inbox.
	ct, err = e.client.UpsertContact(ctx, cloudchat.ContactInput{Identifier: "crm-42", Name: "João", Phone: "+1 415 555 0100"})
	require.NoError(t, err)
	require.True(t, ct.Created)
	require.Equal(t, "+14155550100", ct.Phone)
	require.Len(t, e.srv.Contacts(), 2)

	// A malformed phone fails before any request.
	before := e.srv.Requests()
	_, err = e.client.UpsertContact(ctx, cloudchat.ContactInput{Phone: "call me maybe"})
	var fe *helpdesk.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "phone_number", fe.Field)
	_, err = e.client.UpsertContact(ctx, cloudchat.ContactInput{Name: "nobody"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Equal(t, before, e.srv.Requests())
}

func TestUserTokenEndpoints(t *testing.T) {
	ctx := context.Background()
	t.Run("no user token: refused locally", func(t *testing.T) {
		e := newEnv(t, func(c *cloudchat.Config, _ *cloudchat.Options, so *cloudchattest.Options) {
			c.UserToken = ""
			c.ServerVersion = "" // detected from GET /api
			so.Version = "4.14.0"
		})
		conv := e.newConversation(t)
		_, err := e.client.ListTeams(ctx)
		require.ErrorIs(t, err, cloudchat.ErrUserTokenRequired)
		require.ErrorIs(t, err, helpdesk.ErrUnauthorized)
		_, err = e.client.UpsertContact(ctx, cloudchat.ContactInput{Email: "a@b.test"})
		require.ErrorIs(t, err, cloudchat.ErrUserTokenRequired)
		before := e.srv.Requests()
		_, err = e.client.AddLabels(ctx, conv, "x")
		require.ErrorIs(t, err, cloudchat.ErrUserTokenRequired, "bots read labels only from 4.14.2")
		require.Equal(t, 1, e.srv.RequestsTo("GET /api"), "only the version probe was sent")
		_, err = e.client.AddLabels(ctx, conv, "x")
		require.ErrorIs(t, err, cloudchat.ErrUserTokenRequired)
		require.Equal(t, before+1, e.srv.Requests(), "the version is read once")
		v, err := e.client.Version(ctx)
		require.NoError(t, err)
		require.Equal(t, "4.14.0", v)
	})
	t.Run("bot token on 4.15 may label", func(t *testing.T) {
		e := newEnv(t, func(c *cloudchat.Config, _ *cloudchat.Options, _ *cloudchattest.Options) { c.UserToken = "" })
		conv := e.newConversation(t)
		labels, err := e.client.AddLabels(ctx, conv, "billing", "Billing", "n2")
		require.NoError(t, err)
		require.Equal(t, []string{"billing", "n2"}, labels)
	})
	t.Run("the fake refuses bots on user-only endpoints like Chatwoot", func(t *testing.T) {
		e := newEnv(t, nil)
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/accounts/1/teams", nil)
		req.Header.Set("api_access_token", cloudchattest.DefaultBotToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		require.Equal(t, 401, resp.StatusCode)
		require.JSONEq(t, `{"error":"Access to this endpoint is not authorized for bots"}`, b.String())
	})
}

func TestLabelsMerge(t *testing.T) {
	e := newEnv(t, nil)
	id := e.srv.AddConversation(cloudchattest.Conversation{Labels: []string{"vip"}})
	conv := convOf(id, helpdesk.ChannelAPI, nil)
	labels, err := e.client.AddLabels(context.Background(), conv, "billing")
	require.NoError(t, err)
	require.Equal(t, []string{"vip", "billing"}, labels)
	before := e.srv.Requests()
	_, err = e.client.AddLabels(context.Background(), conv, "VIP")
	require.NoError(t, err)
	require.Equal(t, 1, e.srv.Requests()-before, "nothing new: read only")
}

func TestTeamsAgentsAvailability(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	busy := e.srv.AddAgent("Carla", "busy")
	offTeam := e.srv.AddTeam("Night shift", busy)
	teams, err := e.client.ListTeams(ctx)
	require.NoError(t, err)
	require.Len(t, teams, 2)
	agents, err := e.client.ListAgents(ctx)
	require.NoError(t, err)
	require.Len(t, agents, 2)
	require.True(t, agents[0].Online())

	ok, err := e.client.Available(ctx, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(e.team, 10)})
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = e.client.Available(ctx, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(offTeam, 10)})
	require.NoError(t, err)
	require.False(t, ok)
	e.srv.SetAvailability(e.agent, "offline")
	ok, err = e.client.Available(ctx, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: strconv.FormatInt(e.agent, 10)})
	require.NoError(t, err)
	require.False(t, ok)
	_, err = e.client.Available(ctx, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "4242"})
	require.ErrorIs(t, err, helpdesk.ErrNotFound)
	before := e.srv.Requests()
	_, err = e.client.Available(ctx, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2"})
	var fe *helpdesk.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "id", fe.Field)
	require.Equal(t, before, e.srv.Requests(), "a malformed id is refused without a request")
}

func TestConfig(t *testing.T) {
	err := cloudchat.Config{BaseURL: "ftp://x", UnsignedToken: "short", WebhookSecrets: []string{""}, TokenKind: "robot"}.Validate()
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.ErrorIs(t, err, cloudchat.ErrInvalidConfig)
	require.ErrorIs(t, err, helpdesk.ErrInvalidConfig)
	var ce *helpdesk.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, cloudchat.Vendor, ce.Vendor)
	for _, field := range []string{"BaseURL", "AccountID", "APIToken", "BotID", "TokenKind", "WebhookSecrets[0]", "UnsignedToken"} {
		require.NotNil(t, ce.Field(field), field)
		require.Contains(t, err.Error(), field+": ")
	}
	var fe *helpdesk.FieldError
	require.ErrorAs(t, err, &fe, "each problem is a *helpdesk.FieldError")
	require.NoError(t, cloudchat.Config{BaseURL: "https://chat.example.test", AccountID: 1, APIToken: "t", BotID: 7, WebhookSecrets: []string{"s"}}.Validate())

	env := map[string]string{
		"CLOUDCHAT_BASE_URL": "https://chat.example.test", "CLOUDCHAT_ACCOUNT_ID": "3", "CLOUDCHAT_API_TOKEN": "bot-secret-token",
		"CLOUDCHAT_USER_TOKEN": "user-secret-token", "CLOUDCHAT_BOT_AGENT_ID": "7", "CLOUDCHAT_N2_TEAM_ID": "5",
		"CLOUDCHAT_WEBHOOK_SECRET": "whsec-one, whsec-two",
	}
	cfg, err := cloudchat.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, []string{"whsec-one", "whsec-two"}, cfg.WebhookSecrets)
	target, ok := cfg.N2Target()
	require.True(t, ok)
	require.Equal(t, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "5"}, target)

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", cfg)
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg), logs.String()} {
		for _, secret := range []string{"bot-secret-token", "user-secret-token", "whsec-one", "whsec-two"} {
			require.NotContains(t, out, secret)
		}
		require.Contains(t, out, "chat.example.test")
	}

	env["CLOUDCHAT_ACCOUNT_ID"] = "three"
	delete(env, "CLOUDCHAT_API_TOKEN")
	_, err = cloudchat.ConfigFromEnv(func(k string) string { return env[k] })
	require.ErrorIs(t, err, cloudchat.ErrInvalidConfig)
	require.ErrorAs(t, err, &ce)
	require.NotNil(t, ce.Field("CLOUDCHAT_ACCOUNT_ID"), "unparsable variables are named")
	require.ErrorContains(t, err, "CLOUDCHAT_ACCOUNT_ID")
	require.ErrorContains(t, err, "CLOUDCHAT_API_TOKEN: required")
	require.NotContains(t, err.Error(), "user-secret-token")
}

func TestErrorsRedactToken(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	e.srv.FailNext(http.StatusUnauthorized)
	_, err := e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hi"})
	require.ErrorIs(t, err, helpdesk.ErrUnauthorized)
	var api *helpdesk.APIError
	require.True(t, errors.As(err, &api))
	require.Equal(t, "Invalid Access Token", api.Message)
	require.NotContains(t, fmt.Sprintf("%+v", err), cloudchattest.DefaultBotToken)
}

func TestLocalBudget(t *testing.T) {
	e := newEnv(t, nil)
	cfg := e.client.Config()
	b, err := budget.NewLocal(cfg.BudgetKey(), cloudchat.DefaultLimits(), budget.WithHeaders(cloudchat.Headers))
	require.NoError(t, err)
	c, err := cloudchat.New(cfg, &cloudchat.Options{Budget: b})
	require.NoError(t, err)
	require.NoError(t, c.Resolve(context.Background(), e.newConversation(t)))
	require.Equal(t, "cloudchat:"+strings.TrimPrefix(e.srv.URL, "http://"), cfg.BudgetKey())
	for _, o := range []*cloudchat.Options{nil, {NoBudget: true}} {
		c, err := cloudchat.New(cfg, o)
		require.NoError(t, err)
		require.NoError(t, c.Resolve(context.Background(), e.newConversation(t)))
	}
}

// The default budget reads Chatwoot's header-less 429 as a pause until the
// next minute boundary, on the server's clock when it sends Date.
func TestHeaders(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 20, 0, time.UTC)
	cases := []struct {
		name   string
		status int
		h      http.Header
		want   budget.Feedback
	}{
		{"429 next minute", 429, http.Header{"Content-Type": {"text/plain"}}, budget.Feedback{RetryAfter: 40 * time.Second}},
		{"429 on the server's clock", 429, http.Header{"Date": {now.Add(30 * time.Second).Format(http.TimeFormat)}}, budget.Feedback{RetryAfter: 10 * time.Second}},
		{"a proxy's Retry-After wins", 429, http.Header{"Retry-After": {"4"}}, budget.Feedback{RetryAfter: 4 * time.Second}},
		{"503 with Retry-After", 503, http.Header{"Retry-After": {"2"}}, budget.Feedback{RetryAfter: 2 * time.Second}},
		{"ok", 200, http.Header{}, budget.Feedback{}},
		{"503 without a hint", 503, http.Header{}, budget.Feedback{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Empty(t, cmp.Diff(tc.want, cloudchat.Headers(tc.status, tc.h, now), cmpopts.EquateEmpty()))
		})
	}
}

// Chatwoot's error shapes: {"error"}, {"message"} (RecordInvalid),
// {"errors":[…]}, plain text.
func TestDecodeError(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"Access to this endpoint is not authorized for bots"}`:    "Access to this endpoint is not authorized for bots",
		`{"message":"Email has already been taken","attributes":["email"]}`: "Email has already been taken",
		`{"errors":["You need to sign in or sign up before continuing."]}`:  "You need to sign in or sign up before continuing.",
		"Retry later\n": "Retry later",
		"<html><body>Service Unavailable</body></html>\nmore": "<html><body>Service Unavailable</body></html>",
		`{"error":{"nested":true},"message":"fallback"}`:      "fallback",
		`{"errors":[{"code":1}]}`:                             "",
		"":                                                    "",
	} {
		require.Equal(t, transport.ErrorInfo{Message: want}, cloudchat.DecodeError(422, []byte(body)), body)
	}
}

func TestAsReachesTheClient(t *testing.T) {
	e := newEnv(t, nil)
	var h helpdesk.Helpdesk = e.client
	var cc *cloudchat.Client
	require.True(t, helpdesk.As(h, &cc))
	require.Same(t, e.client, cc)
	var zc *struct{ x int }
	require.False(t, helpdesk.As(h, &zc))

	_, err := e.client.SendMessage(context.Background(), convOf(1, helpdesk.ChannelWhatsApp, nil), helpdesk.Message{Text: strings.Repeat("a", 5000)})
	var tl *cloudchat.TooLongError
	require.True(t, helpdesk.ErrorAs(h, err, &tl))
	var oe *helpdesk.OpError
	require.ErrorAs(t, err, &oe, "errors are wrapped once at the portable boundary")
	require.Equal(t, helpdesk.OpSendMessage, oe.Op)
	require.Equal(t, cloudchat.Vendor, oe.Vendor)
	require.False(t, e.client.ErrorAs(err, 42), "an invalid target is refused, not a panic")
}

func TestStartConversation(t *testing.T) {
	e := newEnv(t, nil)
	contact := e.srv.AddContact(cloudchattest.Contact{Name: "Maria", PhoneNumber: "+5511960832431"})
	tpl := cloudchat.Template{Name: "order_update", Category: "UTILITY", Language: "pt_BR", Body: map[string]string{"1": "Maria"}}
	conv, err := e.client.StartConversation(context.Background(), cloudchat.Proactive{
		InboxID: 9, ContactID: contact, SourceID: "5511960832431", Status: "pending", Template: tpl})
	require.NoError(t, err)
	id, _ := strconv.ParseInt(conv.ID, 10, 64)
	c, ok := e.srv.Conversation(id)
	require.True(t, ok)
	require.Equal(t, "pending", c.Status)
	require.Equal(t, "order_update", c.Messages[0].Template["name"])
	require.Equal(t, helpdesk.ChannelWhatsApp, conv.Channel)

	before := e.srv.Requests()
	_, err = e.client.StartConversation(context.Background(), cloudchat.Proactive{InboxID: 9, ContactID: contact, Template: tpl})
	var fe *helpdesk.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "source_id", fe.Field)
	require.Equal(t, before, e.srv.Requests())
}

// The client paces messages per conversation itself, so a runaway loop in
// one conversation is stopped before Chatwoot's flood guard, without
// spending requests, while other conversations go on.
func TestConversationLimitPacesOneConversation(t *testing.T) {
	e := newEnv(t, func(_ *cloudchat.Config, co *cloudchat.Options, _ *cloudchattest.Options) {
		co.ConversationLimit = 2 // one at once, the next 30 s later
	})
	busy, other := e.newConversation(t), e.newConversation(t)
	_, err := e.client.SendMessage(context.Background(), busy, helpdesk.Message{Text: "first"})
	require.NoError(t, err)
	before := e.srv.Requests()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = e.client.SendMessage(ctx, busy, helpdesk.Message{Text: "second"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	require.Equal(t, before, e.srv.Requests(), "the guard refuses locally")
	_, err = e.client.SendMessage(context.Background(), other, helpdesk.Message{Text: "first"})
	require.NoError(t, err, "another conversation has its own allowance")
}
