package klaviyo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/split"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
)

// portugueseAnswer is 480 characters with one emoji.
const portugueseAnswer = "Olá, Ana! Obrigado por escrever. Verifiquei o seu pedido #482130 e ele saiu do nosso centro de distribuição ontem à tarde. " +
	"A transportadora informou que a entrega deve acontecer até sexta-feira, entre 8h e 18h. Você pode acompanhar tudo pelo link de " +
	"rastreio que enviamos por e-mail. Se preferir trocar o endereço ou agendar outro dia, responda a esta mensagem com a nova data " +
	"que a nossa equipe ajusta para você. Qualquer outra dúvida, é só chamar por aqui mesmo. Ótima semana! 😊"

func validConfig() klaviyo.Config {
	return klaviyo.Config{APIKey: "pk_live_0f1e2d3c4b5a69788796a5b4", WebhookSecrets: []string{"kl_whsec_one_1234", "kl_whsec_two_5678"}, SendingNumber: "+15005550006"}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*klaviyo.Config)
		fields  []string
		problem string
	}{
		{"valid", func(*klaviyo.Config) {}, nil, ""},
		{"empty", func(c *klaviyo.Config) { *c = klaviyo.Config{} }, []string{"APIKey"}, "pk_"},
		{"public key", func(c *klaviyo.Config) { c.APIKey = "AbC123" }, []string{"APIKey"}, "public API key"},
		{"other key", func(c *klaviyo.Config) { c.APIKey = "sk_live_0123456789" }, []string{"APIKey"}, "starting with pk_"},
		{"key with a newline", func(c *klaviyo.Config) { c.APIKey += "\n" }, []string{"APIKey"}, "white space"},
		{"revision format", func(c *klaviyo.Config) { c.Revision = "July 2026" }, []string{"Revision"}, "YYYY-MM-DD"},
		{"revision without SMS replies", func(c *klaviyo.Config) { c.Revision = "2024-02-15" }, []string{"Revision"}, "2026-04-15"},
		{"beta revision", func(c *klaviyo.Config) { c.Revision = "2026-07-15.pre" }, nil, ""},
		{"relative URL", func(c *klaviyo.Config) { c.BaseURL = "a.klaviyo.com" }, []string{"BaseURL"}, "absolute"},
		{"blank secret", func(c *klaviyo.Config) { c.WebhookSecrets = append(c.WebhookSecrets, " ") }, []string{"WebhookSecrets"}, "empty"},
		{"malformed sending number", func(c *klaviyo.Config) { c.SendingNumber = "(500) 555-0006" }, []string{"SendingNumber"}, "E.164"},
		{"every problem at once", func(c *klaviyo.Config) {
			*c = klaviyo.Config{APIKey: "AbC123", Revision: "2024-02-15", SendingNumber: "555"}
		}, []string{"APIKey", "Revision", "SendingNumber"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if tc.fields == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, klaviyo.ErrInvalidConfig)
			var ce *helpdesk.ConfigError
			require.ErrorAs(t, err, &ce)
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.Field)
			}
			require.Equal(t, tc.fields, got)
			require.Contains(t, err.Error(), tc.problem)
			_, err = klaviyo.New(cfg, nil)
			require.ErrorIs(t, err, klaviyo.ErrInvalidConfig, "New refuses what Validate refuses")
			require.NotContains(t, err.Error(), "0f1e2d3c4b5a")
		})
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for field, o := range map[string]klaviyo.Options{
		"Options.Tolerance":   {Tolerance: -time.Second},
		"Options.MaxRetries":  {MaxRetries: -2},
		"Options.NoBudget":    {NoBudget: true, Budget: nopBudget{}},
		"Options.MaxSegments": {MaxSegments: 256},
		"Options.MaxParts":    {MaxParts: -1},
	} {
		_, err := klaviyo.New(validConfig(), &o)
		var ce *helpdesk.ConfigError
		require.ErrorAs(t, err, &ce, field)
		require.NotNil(t, ce.Field(field), "problems: %v", err)
	}
}

type nopBudget struct{}

func (nopBudget) Wait(context.Context, transport.Call) error { return nil }
func (nopBudget) Observe(transport.Call, int, http.Header)   {}

func TestSecretsNeverPrinted(t *testing.T) {
	cfg := validConfig()
	c, err := klaviyo.New(cfg, nil)
	require.NoError(t, err)
	secrets := append([]string{cfg.APIKey}, cfg.WebhookSecrets...)
	for _, v := range []any{cfg, &cfg, c} {
		var out []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out = append(out, fmt.Sprintf(verb, v))
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
		out = append(out, string(b), buf.String())
		for _, o := range out {
			for _, s := range secrets {
				require.NotContains(t, o, s)
			}
		}
		require.Contains(t, buf.String(), "a.klaviyo.com")
	}
}

func newClient(t *testing.T, o *klaviyo.Options) (*klaviyo.Client, *klaviyotest.Server) {
	t.Helper()
	srv := newServer(t)
	if o == nil {
		o = &klaviyo.Options{}
	}
	o.HTTPClient = srv.Client()
	c, err := klaviyo.New(srv.Config(webhookSecrets...), o)
	require.NoError(t, err)
	return c, srv
}

func smsConv(id string) helpdesk.Conversation {
	return helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: id, Channel: helpdesk.ChannelSMS}
}

// TestPortugueseAnswerSegments: a 480-character answer with one emoji goes
// as one conversation message in the fewest UCS-2 segments (481 units, 67
// per concatenated segment: 8), where one segment per message would take
// more texts.
func TestPortugueseAnswerSegments(t *testing.T) {
	require.Equal(t, 480, utf8.RuneCountInString(portugueseAnswer))
	c, srv := newClient(t, nil)
	id := srv.NewProfile("+5511987654321", "Cadê meu pedido?")
	info := split.SMSInfo(portugueseAnswer)
	require.True(t, info.UCS2)
	require.Equal(t, 481, info.Units, "the emoji takes two UCS-2 units")
	parts, err := c.Parts(portugueseAnswer)
	require.NoError(t, err)
	require.Equal(t, []string{portugueseAnswer}, parts)
	require.Equal(t, (info.Units+66)/67, info.Segments, "the minimum number of concatenated UCS-2 segments")
	require.Equal(t, 8, info.Segments)
	pre, _ := split.Preset("sms")
	one, err := split.Split(portugueseAnswer, pre)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(one), info.Segments, "one segment per text never costs fewer segments, and sends %d texts instead of one", len(one))

	_, err = c.SendMessage(context.Background(), smsConv(id), helpdesk.Message{Text: portugueseAnswer})
	require.NoError(t, err)
	require.Equal(t, []string{portugueseAnswer}, srv.Outbound(id))
	t.Logf("480-character answer with one emoji: 1 message, %d UCS-2 units, %d segments (one segment per text: %d texts)", info.Units, info.Segments, len(one))
}

func TestLongTextParts(t *testing.T) {
	c, srv := newClient(t, &klaviyo.Options{MaxSegments: 2, MaxParts: 3})
	id := srv.NewProfile("+5511987654321", "hi")
	text := strings.Repeat("Your order ships tomorrow morning. ", 15) // 525 GSM-7 septets
	parts, err := c.Parts(text)
	require.NoError(t, err)
	require.Len(t, parts, 2)
	for _, p := range parts {
		require.LessOrEqual(t, split.SMSInfo(p).Segments, 2)
	}
	_, err = c.SendMessage(context.Background(), smsConv(id), helpdesk.Message{Text: text})
	require.NoError(t, err)
	require.Equal(t, parts, srv.Outbound(id), "parts are sent in order")

	before := srv.Requests()
	_, err = c.SendMessage(context.Background(), smsConv(id), helpdesk.Message{Text: strings.Repeat(text, 3)})
	require.ErrorIs(t, err, split.ErrTooManyParts)
	require.Equal(t, before, srv.Requests(), "a text beyond MaxParts costs no request")
}

func TestConversationLookup(t *testing.T) {
	ctx := context.Background()
	t.Run("cached", func(t *testing.T) {
		c, srv := newClient(t, nil)
		id := srv.NewProfile("+5511987654321", "hi")
		for range 3 {
			_, err := c.SendMessage(ctx, smsConv(id), helpdesk.Message{Text: "ok"})
			require.NoError(t, err)
		}
		require.Equal(t, 1, srv.RequestsTo("GET /api/profiles/"+id+"/conversations"))
	})
	t.Run("from the webhook", func(t *testing.T) {
		c, srv := newClient(t, nil)
		id := srv.NewProfile("+5511987654321", "")
		events, err := parse(t, c, srv.SentSMS(id, "hello"), time.Time{})
		require.NoError(t, err)
		_, err = c.SendMessage(ctx, events[0].Conversation, helpdesk.Message{Text: "hi"})
		require.NoError(t, err)
		require.Zero(t, srv.RequestsTo("GET /api/profiles/"+id+"/conversations"), "the webhook's conversation id spares the lookup")
	})
	t.Run("older revision", func(t *testing.T) {
		c, srv := newClient(t, nil)
		old, err := klaviyo.New(klaviyo.Config{APIKey: klaviyotest.APIKey, BaseURL: srv.URL, Revision: "2026-04-15"}, &klaviyo.Options{HTTPClient: srv.Client()})
		require.NoError(t, err)
		_ = c
		id := srv.NewProfile("+5511987654321", "hi")
		_, err = old.SendMessage(ctx, smsConv(id), helpdesk.Message{Text: "ok"})
		require.NoError(t, err)
		require.Equal(t, 1, srv.RequestsTo("GET /api/profiles/"+id+"/conversation"))
	})
	t.Run("no SMS conversation", func(t *testing.T) {
		c, srv := newClient(t, nil)
		m, err := klaviyo.NewMetrics(c, nil)
		require.NoError(t, err)
		require.NoError(t, m.Record(klaviyo.MetricEvent{Metric: "x", Profile: klaviyo.Profile{Email: "nosms@example.com"}}))
		require.NoError(t, m.Close(ctx))
		pid := srv.Events()[0].ProfileID
		_, err = c.SendMessage(ctx, smsConv(pid), helpdesk.Message{Text: "ok"})
		require.ErrorIs(t, err, klaviyo.ErrNoSMSConversation)
		require.ErrorIs(t, err, helpdesk.ErrNotFound)
	})
	t.Run("malformed phone", func(t *testing.T) {
		c, srv := newClient(t, nil)
		conv := smsConv(srv.NewProfile("+5511987654321", "hi")).With(klaviyo.ExtraPhone, "11 98765-4321")
		_, err := c.SendMessage(ctx, conv, helpdesk.Message{Text: "ok"})
		require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
		require.Contains(t, err.Error(), "E.164")
		require.Zero(t, srv.Requests())
	})
}

func TestWebhookTopics(t *testing.T) {
	c, _ := newClient(t, nil)
	topics, err := c.WebhookTopics(context.Background())
	require.NoError(t, err)
	require.Contains(t, topics, klaviyo.TopicSentSMS)
	require.Contains(t, topics, klaviyo.TopicReceivedSMS)
}

func TestHeaders(t *testing.T) {
	now := time.Now()
	ok := http.Header{}
	ok.Set(klaviyo.HeaderLimit, "60")
	ok.Set(klaviyo.HeaderRemaining, "12")
	ok.Set(klaviyo.HeaderReset, "30")
	fb := klaviyo.Headers(http.StatusAccepted, ok, now)
	require.Len(t, fb.Quotas, 1)
	require.Equal(t, klaviyo.TierS.SteadyLimit(), fb.Quotas[0].Limit, "RateLimit-Limit 60 is tier S's steady window")
	require.Equal(t, 12, fb.Quotas[0].Remaining)
	require.Equal(t, 30*time.Second, fb.Quotas[0].Reset)

	limited := http.Header{}
	limited.Set("Retry-After", "7")
	fb = klaviyo.Headers(http.StatusTooManyRequests, limited, now)
	require.Equal(t, 7*time.Second, fb.RetryAfter)
	require.Empty(t, fb.Quotas, "a 429 carries no RateLimit-* headers")
}

// TestTierBudget: a burst of conversation messages beyond tier S's 3 per
// second is paced by the default budget, never refused by the fake.
func TestTierBudget(t *testing.T) {
	c, srv := newClient(t, &klaviyo.Options{ConversationLimit: -1})
	id := srv.NewProfile("+5511987654321", "hi")
	for i := range 6 {
		_, err := c.SendMessage(context.Background(), smsConv(id).With(klaviyo.ExtraConversationID, mustConv(t, srv, id)), helpdesk.Message{Text: fmt.Sprint("part ", i)})
		require.NoError(t, err, "message %d", i)
	}
	require.Len(t, srv.Outbound(id), 6)
}

func mustConv(t *testing.T, srv *klaviyotest.Server, profile string) string {
	cv, ok := srv.Conversation(profile)
	require.True(t, ok)
	return cv.ID
}

func TestThrottled(t *testing.T) {
	c, srv := newClient(t, &klaviyo.Options{MaxRetryWait: time.Millisecond})
	id := srv.NewProfile("+5511987654321", "hi")
	srv.FailNext(http.StatusTooManyRequests)
	_, err := c.SendMessage(context.Background(), smsConv(id), helpdesk.Message{Text: "hi"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, klaviyo.CodeThrottled, ae.Code)
	require.Contains(t, ae.Message, "Expected available in")
	require.NotEmpty(t, ae.RequestID, "the error object's id")
	require.Equal(t, time.Hour, ae.RetryAfter)
}

func TestCheck(t *testing.T) {
	c, srv := newClient(t, nil)
	require.NoError(t, c.Check(context.Background()))
	srv.FailNext(http.StatusUnauthorized)
	err := c.Check(context.Background())
	var ce *helpdesk.ConfigError
	require.ErrorAs(t, err, &ce)
	require.NotNil(t, ce.Field("APIKey"))
	srv.FailNext(http.StatusForbidden)
	require.ErrorContains(t, c.Check(context.Background()), "webhooks:read")
}
