package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
	"github.com/agentdesk/agentdesk/helpdesk/redisreply"
)

// Redis mode's configuration errors name the variable, and none of them
// repeats the URL's password: not a malformed URL, not a Redis that does
// not answer, not the errors that follow a Redis that answers.
func TestRedisModeConfigErrorsKeepThePasswordOut(t *testing.T) {
	const password = "s3cret-pw-do-not-print"
	closed := closedPort(t)
	cases := []struct {
		name, url, lease, want string
	}{
		{name: "malformed URL", url: "redis://:" + password + "@[::1", want: EnvRedisURL + ": not a valid"},
		{name: "not a URL", url: "just-a-host", want: EnvRedisURL + ": neither"},
		{name: "bad lease", url: "127.0.0.1:" + closed, lease: "soon", want: EnvRedisLease},
		{name: "Redis does not answer", url: "redis://:" + password + "@127.0.0.1:" + closed + "/0", want: "Redis at 127.0.0.1:" + closed + " does not answer"},
	}
	if addr := redisAddrIfAvailable(t); addr != "" {
		// Redis answers (go-redis ignores the refusal of a password a
		// server without requirepass does not need): the vendor's
		// configuration is checked next.
		cases = append(cases, struct{ name, url, lease, want string }{
			name: "Redis answers", url: "redis://:" + password + "@" + addr, want: "CLOUDCHAT_BASE_URL: required",
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{EnvRedisURL: tc.url, EnvRedisLease: tc.lease}
			var logs bytes.Buffer
			err := run(context.Background(), []string{"-vendor", "cloudchat"}, io.Discard, &logs, func(k string) string { return env[k] })
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), password)
			require.NotContains(t, logs.String(), password)
		})
	}
	m, err := redisFromEnv(context.Background(), func(string) string { return "" }, "cloudchat", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Nil(t, m, "without "+EnvRedisURL+" nothing changes")
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	require.NoError(t, l.Close())
	return port
}

// redisAddrIfAvailable is redistest.Addr without skipping the caller: ""
// without a Redis server.
func redisAddrIfAvailable(t *testing.T) string {
	if addr := os.Getenv(redistest.EnvAddr); addr != "" {
		return addr
	}
	s, err := redistest.StartServer()
	if errors.Is(err, exec.ErrNotFound) {
		t.Log("redis-server not on PATH: the refused-password case is not run")
		return ""
	}
	require.NoError(t, err)
	t.Cleanup(s.Stop)
	return s.Addr()
}

// The replicas' answers are claimed for the queue's lease, not for
// helpdesk.ReplyLease (a minute): a replica killed mid-answer keeps it
// from the others about as long as it keeps its conversations.
// (helpdesk.Reply renews the claim while it sends, and writes each part's
// attempt ahead: helpdesk's own tests check both.)
func TestRedisModeAnswersHaveTheQueuesLease(t *testing.T) {
	addr := redistest.Addr(t)
	for _, tc := range []struct {
		lease string
		want  time.Duration
	}{
		{"", redisqueue.DefaultLease},
		{"1500ms", 1500 * time.Millisecond},
	} {
		env := map[string]string{EnvRedisURL: addr, EnvRedisLease: tc.lease, EnvRedisPrefix: redistest.KeyPrefix(t)}
		m, err := redisFromEnv(context.Background(), func(k string) string { return env[k] }, "cloudchat", slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		t.Cleanup(func() { m.Close() })
		l, ok := m.replies.(helpdesk.ReplyLeaser)
		require.True(t, ok)
		require.Equal(t, tc.want, l.Lease())
	}
}

// crashAfter forwards SendMessage to the helpdesk and panics after the
// vendor took message number n: the process dying between a part's
// delivery and its record.
type crashAfter struct {
	helpdesk.Helpdesk
	n, sent int
}

type crashed struct{}

func (c *crashAfter) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	rc, err := c.Helpdesk.SendMessage(ctx, conv, msg)
	if c.sent++; c.sent == c.n {
		panic(crashed{})
	}
	return rc, err
}

// A replica dies right after Cloud Chat took the second part of a
// three-part answer, before that was recorded; another replica (another
// client, so nothing in memory is shared) handles the event again: it
// sends the third part only, and a third delivery of the event is
// dropped as handled. Cloud Chat takes no idempotency key: only reading
// the conversation back keeps part 2 from being posted twice.
func TestAnotherReplicaResumesAnInterruptedAnswer(t *testing.T) {
	client := redistest.Client(t)
	srv := cloudchattest.NewServer(t, nil)
	team := srv.AddTeam("Level 2", srv.AddAgent("Ana", "online"))
	env := map[string]string{
		"CLOUDCHAT_BASE_URL": srv.URL, "CLOUDCHAT_ACCOUNT_ID": strconv.FormatInt(srv.AccountID(), 10),
		"CLOUDCHAT_API_TOKEN": srv.BotToken(), "CLOUDCHAT_USER_TOKEN": srv.UserToken(),
		"CLOUDCHAT_BOT_AGENT_ID": strconv.FormatInt(srv.BotID(), 10), "CLOUDCHAT_N2_TEAM_ID": strconv.FormatInt(team, 10),
		"CLOUDCHAT_WEBHOOK_SECRET": "whsec-resume",
	}
	prefix := redistest.KeyPrefix(t)
	replies, err := redisreply.New(client, prefix+"reply:", redisreply.WithLease(time.Second))
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	cfg, err := escalation.LoadConfig(bytes.NewReader(defaultPolicy))
	require.NoError(t, err)
	newReplica := func(wrap func(helpdesk.Helpdesk) helpdesk.Helpdesk) (*Bot, helpdesk.Helpdesk) {
		hd, _, policy, err := setupVendor("cloudchat", func(k string) string { return env[k] }, logger, cfg, true, nil)
		require.NoError(t, err)
		return &Bot{
			HD: wrap(hd), Policy: policy, FAQ: defaultFAQ, MaxChars: 280, Mine: modeInfo(hd).mine, Log: func(string, ...any) {},
			Replies: replies,
			States:  &redisStates{client: client, prefix: prefix + "conv:"},
		}, hd
	}

	conv := srv.AddConversation(cloudchattest.Conversation{Status: "pending", Channel: "Channel::Whatsapp", CanReply: true})
	body := cloudchattest.MessagePayload(cloudchattest.MessageEvent{
		ID: 900, Content: "How do I reset my password?", Sender: &cloudchattest.Sender{ID: 77, Name: "Maria"},
		Conversation: cloudchattest.ConversationRef{ID: conv, Status: "pending", Channel: "Channel::Whatsapp"},
	})
	signer := &cloudchattest.Signer{Secret: env["CLOUDCHAT_WEBHOOK_SECRET"]}
	req, err := helpdesk.ReadWebhookRequest(httptest.NewRecorder(), signer.Request(body, ""), 0)
	require.NoError(t, err)

	a, hdA := newReplica(func(hd helpdesk.Helpdesk) helpdesk.Helpdesk { return &crashAfter{Helpdesk: hd, n: 2} })
	events, err := hdA.ParseWebhook(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.PanicsWithValue(t, crashed{}, func() { _ = a.Handle(context.Background(), events[0]) })

	b, _ := newReplica(func(hd helpdesk.Helpdesk) helpdesk.Helpdesk { return hd })
	require.NoError(t, b.Handle(context.Background(), events[0]))
	require.NoError(t, b.Handle(context.Background(), events[0]), "a redelivery")

	text, _, _ := defaultFAQ.Answer("How do I reset my password?")
	sp, err := b.splitter(helpdesk.ChannelWhatsApp)
	require.NoError(t, err)
	want, err := sp.Split(text)
	require.NoError(t, err)
	require.Len(t, want, 3)
	c, _ := srv.Conversation(conv)
	var got []string
	for _, m := range c.Messages {
		got = append(got, m.Content)
	}
	require.Equal(t, want, got, "each part once, in order")

	st, handled, err := b.States.load(context.Background(), events[0].Conversation.Key(), events[0].DeliveryID)
	require.NoError(t, err)
	require.True(t, handled)
	require.Equal(t, convState{botMessages: 3, customerMessages: 1, chars: len([]rune("How do I reset my password?"))}, st,
		"the event is counted once, though handled twice")
}
