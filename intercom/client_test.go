package intercom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

// The client feeds the escalation policy's availability checks directly.
var _ escalation.Availability = (*intercom.Client)(nil)

// recorder keeps every request body the driver sends, by method and path.
type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) validate(next func(*http.Request, []byte) error) func(*http.Request, []byte) error {
	return func(req *http.Request, body []byte) error {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.Path+" "+string(bytes.TrimSpace(body)))
		r.mu.Unlock()
		if next != nil {
			return next(req, body)
		}
		return nil
	}
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

func recordedEnv(t *testing.T, mut func(*intercom.Config, *intercom.Options)) (*env, *recorder) {
	rec := &recorder{}
	e := newEnv(t, func(c *intercom.Config, o *intercom.Options, so *intercomtest.Options) {
		so.Validate = rec.validate(so.Validate)
		if mut != nil {
			mut(c, o)
		}
	})
	return e, rec
}

func TestRequests(t *testing.T) {
	ctx := context.Background()
	bot := intercomtest.DefaultBotAdminID
	for _, tc := range []struct {
		name string
		do   func(e *env, conv helpdesk.Conversation) error
		want func(e *env, conv helpdesk.Conversation) []string
	}{
		{"reply", func(e *env, conv helpdesk.Conversation) error {
			_, err := e.client.SendMessage(ctx, conv, helpdesk.Message{Text: "Hi Maria!\nYour order ships today.\n\nTrack it at https://track.example/x?a=1&b=2."})
			return err
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{`POST /conversations/` + conv.ID + `/reply {"message_type":"comment","type":"admin","admin_id":"` + bot + `","body":"\u003cp\u003eHi Maria!\u003cbr\u003eYour order ships today.\u003c/p\u003e\u003cp\u003eTrack it at \u003ca href=\"https://track.example/x?a=1\u0026amp;b=2\"\u003ehttps://track.example/x?a=1\u0026amp;b=2\u003c/a\u003e.\u003c/p\u003e"}`}
		}},
		{"note", func(e *env, conv helpdesk.Conversation) error {
			_, err := e.client.SendMessage(ctx, conv, helpdesk.Message{Text: "VIP", Internal: true})
			return err
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{`POST /conversations/` + conv.ID + `/reply {"message_type":"note","type":"admin","admin_id":"` + bot + `","body":"\u003cp\u003eVIP\u003c/p\u003e"}`}
		}},
		{"final message is the close body", func(e *env, conv helpdesk.Conversation) error {
			_, err := e.client.SendMessage(ctx, conv, helpdesk.Message{Text: "Bye", Resolve: true})
			return err
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{`POST /conversations/` + conv.ID + `/parts {"message_type":"close","type":"admin","admin_id":"` + bot + `","body":"\u003cp\u003eBye\u003c/p\u003e"}`}
		}},
		{"final message with an image: reply then close", func(e *env, conv helpdesk.Conversation) error {
			rcpt, err := e.client.SendMessage(ctx, conv, helpdesk.Message{Text: "Here", Resolve: true, Attachments: []helpdesk.Attachment{{URL: "https://img.example/a.png"}}})
			if err == nil && !rcpt.Resolved {
				err = errors.New("not resolved")
			}
			return err
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{
				`POST /conversations/` + conv.ID + `/reply {"message_type":"comment","type":"admin","admin_id":"` + bot + `","body":"\u003cp\u003eHere\u003c/p\u003e","attachment_urls":["https://img.example/a.png"]}`,
				`POST /conversations/` + conv.ID + `/parts {"message_type":"close","type":"admin","admin_id":"` + bot + `"}`,
			}
		}},
		{"resolve", func(e *env, conv helpdesk.Conversation) error { return e.client.Resolve(ctx, conv) },
			func(e *env, conv helpdesk.Conversation) []string {
				return []string{`POST /conversations/` + conv.ID + `/parts {"message_type":"close","type":"admin","admin_id":"` + bot + `"}`}
			}},
		{"hand over to a team with notice and note", func(e *env, conv helpdesk.Conversation) error {
			return e.client.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2, Notice: "A specialist will take over.", Note: "Refund > 30 days"})
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{
				`POST /conversations/` + conv.ID + `/reply {"message_type":"note","type":"admin","admin_id":"` + bot + `","body":"\u003cp\u003eRefund \u0026gt; 30 days\u003c/p\u003e"}`,
				`POST /conversations/` + conv.ID + `/parts {"message_type":"assignment","type":"team","admin_id":"` + bot + `","assignee_id":"` + e.n2 + `","body":"\u003cp\u003eA specialist will take over.\u003c/p\u003e"}`,
			}
		}},
		{"hand over to a team with a notice: one request", func(e *env, conv helpdesk.Conversation) error {
			return e.client.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2, Notice: "A specialist will take over."})
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{
				`POST /conversations/` + conv.ID + `/parts {"message_type":"assignment","type":"team","admin_id":"` + bot + `","assignee_id":"` + e.n2 + `","body":"\u003cp\u003eA specialist will take over.\u003c/p\u003e"}`,
			}
		}},
		{"hand over to a team when the bot is the admin assignee", func(e *env, conv helpdesk.Conversation) error {
			return e.client.Reassign(ctx, conv.With(intercom.ExtraAdminAssigneeID, bot), helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2})
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{
				`POST /conversations/` + conv.ID + `/parts {"message_type":"assignment","type":"team","admin_id":"` + bot + `","assignee_id":"` + e.n2 + `"}`,
				`POST /conversations/` + conv.ID + `/parts {"message_type":"assignment","type":"admin","admin_id":"` + bot + `","assignee_id":"0"}`,
			}
		}},
		{"hand over to an admin", func(e *env, conv helpdesk.Conversation) error {
			return e.client.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: e.agent})
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{`POST /conversations/` + conv.ID + `/parts {"message_type":"assignment","type":"admin","admin_id":"` + bot + `","assignee_id":"` + e.agent + `"}`}
		}},
		{"snooze", func(e *env, conv helpdesk.Conversation) error {
			return e.client.Snooze(ctx, conv, time.Unix(4102444800, 0))
		}, func(e *env, conv helpdesk.Conversation) []string {
			return []string{`POST /conversations/` + conv.ID + `/parts {"message_type":"snoozed","admin_id":"` + bot + `","snoozed_until":4102444800}`}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rec := recordedEnv(t, nil)
			conv := e.newConversation(t)
			require.NoError(t, tc.do(e, conv))
			require.Equal(t, tc.want(e, conv), rec.all())
		})
	}
}

func TestStateAfterWrites(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	conv := e.newConversation(t)

	rcpt, err := e.client.SendMessage(ctx, conv, helpdesk.Message{Text: "Closing now.", Resolve: true})
	require.NoError(t, err)
	require.True(t, rcpt.Resolved)
	c, _ := e.srv.Conversation(conv.ID)
	require.Equal(t, "closed", c.State)
	require.Equal(t, rcpt.MessageID, c.Parts[len(c.Parts)-1].ID, "the receipt names the close part")

	// Handing over a closed conversation reopens it.
	require.NoError(t, e.client.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2, Notice: "back to humans"}))
	c, _ = e.srv.Conversation(conv.ID)
	require.Equal(t, "open", c.State)
	require.Equal(t, e.n2, c.TeamAssigneeID)
	last := c.Parts[len(c.Parts)-1]
	require.Equal(t, "assign_and_reopen", last.PartType)
	require.Equal(t, "back to humans", last.Text())

	// The bot as admin assignee is unassigned when a team takes over.
	conv2 := helpdesk.Conversation{Vendor: intercom.Vendor, ID: e.srv.AddConversation(intercomtest.Conversation{AdminAssigneeID: intercomtest.DefaultBotAdminID, TeamAssigneeID: intercomtest.DefaultBotTeamID})}
	require.NoError(t, e.client.Reassign(ctx, conv2.With(intercom.ExtraAdminAssigneeID, intercomtest.DefaultBotAdminID), helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2}))
	c, _ = e.srv.Conversation(conv2.ID)
	require.Equal(t, e.n2, c.TeamAssigneeID)
	require.Empty(t, c.AdminAssigneeID)
}

func TestVersionHeaderPinned(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		e := newEnv(t, nil)
		_, err := e.client.SendMessage(context.Background(), e.newConversation(t), helpdesk.Message{Text: "hi"})
		require.NoError(t, err, "the fake refuses requests without Intercom-Version: 2.16")
	})
	t.Run("configured", func(t *testing.T) {
		e := newEnv(t, func(c *intercom.Config, _ *intercom.Options, so *intercomtest.Options) {
			c.Version = "2.15"
			so.Version = "2.15"
			so.Validate = nil // the 2.16 spec does not know 2.15 answers
		})
		_, err := e.client.SendMessage(context.Background(), e.newConversation(t), helpdesk.Message{Text: "hi"})
		require.NoError(t, err)
	})
	t.Run("mismatch is an invalid request", func(t *testing.T) {
		e := newEnv(t, func(c *intercom.Config, _ *intercom.Options, so *intercomtest.Options) { so.Version = "2.14" })
		_, err := e.client.SendMessage(context.Background(), e.newConversation(t), helpdesk.Message{Text: "hi"})
		require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
		var ae *helpdesk.APIError
		require.True(t, helpdesk.ErrorAs(e.client, err, &ae))
		require.Equal(t, "intercom_version_invalid", ae.Code)
		require.NotEmpty(t, ae.RequestID)
	})
}

func TestBotAdminFromMe(t *testing.T) {
	e := newEnv(t, func(c *intercom.Config, _ *intercom.Options, _ *intercomtest.Options) { c.BotAdminID = "" })
	conv := e.newConversation(t)
	for range 3 {
		_, err := e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hi"})
		require.NoError(t, err)
	}
	require.Equal(t, 1, e.srv.RequestsTo("GET /me"), "GET /me once, then remembered")
	c, _ := e.srv.Conversation(conv.ID)
	require.Equal(t, intercomtest.DefaultBotAdminID, c.Parts[0].Author.ID)
}

func TestRateLimited(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	e.srv.FailNext(http.StatusTooManyRequests)
	start := time.Now()
	_, err := e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hi"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "rate_limit_exceeded", ae.Code)
	require.InDelta(t, time.Hour.Seconds(), ae.RetryAfter.Seconds(), 5, "the wait comes from X-RateLimit-Reset")
	require.Less(t, time.Since(start), 2*time.Second, "a reset beyond MaxRetryWait is returned, not waited for")
}

func TestRetryAfterReset(t *testing.T) {
	now := time.Unix(1767225603, 0)
	for _, tc := range []struct {
		name   string
		status int
		h      http.Header
		want   time.Duration
		ok     bool
	}{
		{"reset", 429, http.Header{"X-Ratelimit-Reset": {"1767225610"}}, 7 * time.Second, true},
		{"reset passed", 429, http.Header{"X-Ratelimit-Reset": {"1767225600"}}, 0, true},
		{"no header: next window", 429, http.Header{}, 7 * time.Second, true},
		{"proxy Retry-After wins", 429, http.Header{"Retry-After": {"2"}, "X-Ratelimit-Reset": {"1767225610"}}, 2 * time.Second, true},
		{"not a 429", 200, http.Header{"X-Ratelimit-Reset": {"1767225610"}}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := intercom.RetryAfter(&http.Response{StatusCode: tc.status, Header: tc.h}, now)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, d)
		})
	}
	t.Run("headers for the budget", func(t *testing.T) {
		fb := intercom.Headers(429, http.Header{"X-Ratelimit-Limit": {"167"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1767225610"}}, now)
		require.Equal(t, 7*time.Second, fb.RetryAfter)
		require.Len(t, fb.Quotas, 1)
		require.Equal(t, 167, fb.Quotas[0].Total)
		require.Equal(t, 0, fb.Quotas[0].Remaining)
		require.Equal(t, 10*time.Second, fb.Quotas[0].Window)
		fb = intercom.Headers(200, http.Header{}, now)
		require.Zero(t, fb.RetryAfter)
		require.Empty(t, fb.Quotas)
	})
	t.Run("limits", func(t *testing.T) {
		l := intercom.DefaultLimits()
		require.Len(t, l, 2)
		require.Equal(t, 1667, l[0].Count)
		require.Equal(t, 4167, l[1].Count)
		require.Equal(t, 10*time.Second, l[0].Window)
	})
}

func TestDecodeError(t *testing.T) {
	info := intercom.DecodeError(404, []byte(`{"type":"error.list","request_id":"r-1","errors":[{"code":"not_found","message":"Conversation not found"},{"code":"x","message":"second"}]}`))
	require.Equal(t, "not_found", info.Code)
	require.Equal(t, "Conversation not found; second", info.Message)
	require.Equal(t, "r-1", info.RequestID)
}

func TestInputChecks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	before := e.srv.Requests()
	_, err := e.client.SendMessage(ctx, helpdesk.Conversation{ID: "abc"}, helpdesk.Message{Text: "x"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	err = e.client.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "N2"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	var att []helpdesk.Attachment
	for i := range 11 {
		att = append(att, helpdesk.Attachment{URL: fmt.Sprintf("https://img.example/%d.png", i)})
	}
	_, err = e.client.SendMessage(ctx, conv, helpdesk.Message{Text: "x", Attachments: att})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Equal(t, before, e.srv.Requests(), "refused before any request")
}

func TestExtras(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	away := e.srv.AddAdmin("Bruno Away", true)
	awayTeam := e.srv.AddTeam("Night shift", away)

	teams, err := e.client.ListTeams(ctx)
	require.NoError(t, err)
	require.Len(t, teams, 3)
	admins, err := e.client.ListAdmins(ctx)
	require.NoError(t, err)
	require.Len(t, admins, 3)

	for _, tc := range []struct {
		to   helpdesk.Target
		want bool
	}{
		{helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2}, true},
		{helpdesk.Target{Kind: helpdesk.TargetGroup, ID: awayTeam}, false},
		{helpdesk.Target{Kind: helpdesk.TargetGroup, ID: intercomtest.DefaultBotTeamID}, false}, // only the bot
		{helpdesk.Target{Kind: helpdesk.TargetAgent, ID: e.agent}, true},
		{helpdesk.Target{Kind: helpdesk.TargetAgent, ID: away}, false},
		{helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "1"}, false},
	} {
		ok, err := e.client.Available(ctx, tc.to)
		require.NoError(t, err)
		require.Equal(t, tc.want, ok, tc.to.String())
	}

	conv := e.newConversation(t)
	_, err = e.client.SendMessage(ctx, conv, helpdesk.Message{Text: "Use <b>this</b> & that"})
	require.NoError(t, err)
	tag := e.srv.AddTag("refund")
	require.NoError(t, e.client.AddTag(ctx, conv, tag))
	err = e.client.AddTag(ctx, conv, "999999")
	require.ErrorIs(t, err, helpdesk.ErrNotFound)

	got, err := e.client.GetConversation(ctx, conv)
	require.NoError(t, err)
	require.Equal(t, []string{"refund"}, got.Tags)
	require.Len(t, got.Parts, 2)
	require.Equal(t, "Hi", got.Parts[0].Text)
	require.Equal(t, helpdesk.RoleCustomer, got.Parts[0].Author.Role)
	require.Equal(t, "Use <b>this</b> & that", got.Parts[1].Text)
	require.True(t, got.Parts[1].Author.Self)

	require.NoError(t, e.client.Snooze(ctx, conv, time.Now().Add(time.Hour)))
	c, _ := e.srv.Conversation(conv.ID)
	require.Equal(t, "snoozed", c.State)

	var ic *intercom.Client
	require.True(t, helpdesk.As(e.client, &ic))
	require.Same(t, e.client, ic)
	n2, ok := ic.N2()
	require.False(t, ok, "no N2 configured in this env")
	require.Equal(t, helpdesk.Target{}, n2)
}

func TestConfig(t *testing.T) {
	valid := intercom.Config{AccessToken: "tok", ClientSecrets: []string{"s"}}
	require.NoError(t, valid.Validate())

	t.Run("every problem at once", func(t *testing.T) {
		err := intercom.Config{Region: "br", BotAdminID: "claudia", BotTeamID: "Cloud Humans", N2TeamID: "https://app.intercom.com/a/inbox/x/inbox/team/", ActionTokens: []string{"short"}, Version: "latest"}.Validate()
		require.ErrorIs(t, err, intercom.ErrInvalidConfig)
		var ce *helpdesk.ConfigError
		require.ErrorAs(t, err, &ce)
		var fields []string
		for _, p := range ce.Problems {
			fields = append(fields, p.Field)
		}
		require.Equal(t, []string{"AccessToken", "Region", "BotAdminID", "BotTeamID", "N2TeamID", "ActionTokens[0]", "Version"}, fields)
	})
	t.Run("pasted inbox URL", func(t *testing.T) {
		id, ok := intercom.ParseTeamID("https://app.intercom.com/a/inbox/abc123de/inbox/team/7286213")
		require.True(t, ok)
		require.Equal(t, "7286213", id)
		c := valid
		c.BotTeamID = "https://app.intercom.com/a/inbox/abc123de/inbox/team/7286213"
		c.N2TeamID = "https://app.intercom.com/a/inbox/abc123de/inbox/team/7286214?view=list"
		require.NoError(t, c.Validate())
		cl, err := intercom.New(c, nil)
		require.NoError(t, err)
		n2, ok := cl.N2()
		require.True(t, ok)
		require.Equal(t, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "7286214"}, n2)
	})
	t.Run("bot team as N2", func(t *testing.T) {
		c := valid
		c.BotTeamID, c.N2TeamID = "5", "https://app.intercom.com/a/inbox/x/inbox/team/5"
		require.ErrorIs(t, c.Validate(), intercom.ErrInvalidConfig)
	})
	t.Run("regions", func(t *testing.T) {
		require.Equal(t, "https://api.eu.intercom.io", intercom.RegionEU.Host())
		require.Equal(t, "https://api.au.intercom.io", intercom.Region("AU").Host())
		require.Equal(t, "https://api.intercom.io", intercom.Region("").Host())
	})
	t.Run("from env", func(t *testing.T) {
		env := map[string]string{
			"INTERCOM_ACCESS_TOKEN": "tok", "INTERCOM_REGION": "eu", "INTERCOM_BOT_TEAM_ID": "7286213",
			"INTERCOM_N2_TEAM_ID": "42", "INTERCOM_CLIENT_SECRET": "a, b", "INTERCOM_ACTION_TOKEN": "0123456789abcdef",
		}
		c, err := intercom.ConfigFromEnv(func(k string) string { return env[k] })
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b"}, c.ClientSecrets)
		require.Equal(t, intercom.RegionEU, c.Region)
	})
}

func TestSecretsNeverPrinted(t *testing.T) {
	cfg := intercom.Config{AccessToken: "tok-SECRET-1", ClientSecrets: []string{"cs-SECRET-2"}, ActionTokens: []string{"at-SECRET-3-0123456789"}, BotAdminID: "1"}
	c, err := intercom.New(cfg, nil)
	require.NoError(t, err)
	var buf bytes.Buffer
	for _, v := range []any{cfg, &cfg, c} {
		fmt.Fprintf(&buf, "%v %+v %#v %s\n", v, v, v, v)
		data, err := json.Marshal(v)
		require.NoError(t, err)
		buf.Write(data)
	}
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "cfg", cfg, "client", c)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "cfg", cfg, "client", c)
	out := buf.String()
	require.NotContains(t, out, "SECRET")
	require.Contains(t, out, "[REDACTED]")

	// Nor in errors from a vendor echoing the token.
	e := newEnv(t, nil)
	e.srv.FailNext(http.StatusUnauthorized)
	_, err = e.client.SendMessage(context.Background(), e.newConversation(t), helpdesk.Message{Text: "x"})
	require.ErrorIs(t, err, helpdesk.ErrUnauthorized)
	require.NotContains(t, err.Error(), intercomtest.DefaultToken)
}

func TestNoBudget(t *testing.T) {
	e := newEnv(t, func(_ *intercom.Config, o *intercom.Options, _ *intercomtest.Options) {
		o.NoBudget = true
		o.ConversationLimit = -1
	})
	conv := e.newConversation(t)
	for range 40 {
		_, err := e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "x"})
		require.NoError(t, err)
	}
}

func TestConversationGuard(t *testing.T) {
	e := newEnv(t, func(_ *intercom.Config, o *intercom.Options, _ *intercomtest.Options) { o.ConversationLimit = 2 })
	conv := e.newConversation(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	for range 5 {
		if _, err = e.client.SendMessage(ctx, conv, helpdesk.Message{Text: "loop"}); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, helpdesk.ErrRateLimited, "a runaway loop is held by the per-conversation guard")
}

// After a 429 the default budget holds further calls until
// X-RateLimit-Reset: a call whose deadline ends first fails at once, with
// no request spent.
func TestBudgetWaitsForReset(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	e.srv.FailNext(http.StatusTooManyRequests) // reset an hour away
	_, err := e.client.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hi"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	before := e.srv.Requests()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = e.client.SendMessage(ctx, e.newConversation(t), helpdesk.Message{Text: "again"})
	require.Error(t, err)
	require.True(t, errors.Is(err, helpdesk.ErrRateLimited) || errors.Is(err, context.DeadlineExceeded), "got %v", err)
	require.Equal(t, before, e.srv.Requests(), "the budget must hold the call, not send it")
}

func TestBotAdminFromMeConcurrently(t *testing.T) {
	e := newEnv(t, func(c *intercom.Config, _ *intercom.Options, _ *intercomtest.Options) { c.BotAdminID = "" })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := e.client.BotAdminID(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, e.srv.RequestsTo("GET /me"))
}
