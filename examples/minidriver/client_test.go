package minidriver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/examples/minidriver"
	"github.com/agentdesk/agentdesk/examples/minidriver/minidesktest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

func validConfig() minidriver.Config {
	return minidriver.Config{BaseURL: "https://acme.minidesk.example", APIToken: "mdk_live_secret_token", BotAgentID: "1",
		WebhookSecrets: []string{"whsec_secret_one", "whsec_secret_two"}}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*minidriver.Config)
		fields []string
	}{
		{"valid", func(*minidriver.Config) {}, nil},
		{"empty", func(c *minidriver.Config) { *c = minidriver.Config{} }, []string{"BaseURL", "APIToken", "BotAgentID", "WebhookSecrets"}},
		{"relative URL", func(c *minidriver.Config) { c.BaseURL = "acme.minidesk.example" }, []string{"BaseURL"}},
		{"ftp URL", func(c *minidriver.Config) { c.BaseURL = "ftp://acme.minidesk.example" }, []string{"BaseURL"}},
		{"token with a newline", func(c *minidriver.Config) { c.APIToken += "\n" }, []string{"APIToken"}},
		{"bot id not a number", func(c *minidriver.Config) { c.BotAgentID = "bot" }, []string{"BotAgentID"}},
		{"blank secret", func(c *minidriver.Config) { c.WebhookSecrets = append(c.WebhookSecrets, " ") }, []string{"WebhookSecrets"}},
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
			require.ErrorIs(t, err, minidriver.ErrInvalidConfig)
			require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
			var ce *helpdesk.ConfigError
			require.ErrorAs(t, err, &ce)
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.Field)
			}
			require.Equal(t, tc.fields, got)
			_, err = minidriver.New(cfg, nil)
			require.ErrorIs(t, err, minidriver.ErrInvalidConfig, "New refuses what Validate refuses")
			requireNoSecret(t, err.Error(), validConfig())
		})
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	tests := []struct {
		field string
		opts  minidriver.Options
	}{
		{"Options.Tolerance", minidriver.Options{Tolerance: -time.Second}},
		{"Options.MaxRetries", minidriver.Options{MaxRetries: -2}},
		{"Options.MaxRetryWait", minidriver.Options{MaxRetryWait: -time.Second}},
		{"Options.NoBudget", minidriver.Options{NoBudget: true, Budget: nopBudget{}}},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			_, err := minidriver.New(validConfig(), &tc.opts)
			require.ErrorIs(t, err, minidriver.ErrInvalidConfig)
			var ce *helpdesk.ConfigError
			require.ErrorAs(t, err, &ce)
			require.NotNil(t, ce.Field(tc.field), "problems: %v", err)
		})
	}
}

func requireNoSecret(t *testing.T, text string, cfg minidriver.Config) {
	t.Helper()
	for _, s := range append([]string{cfg.APIToken}, cfg.WebhookSecrets...) {
		require.NotContains(t, text, s)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	cfg := validConfig()
	c, err := minidriver.New(cfg, nil)
	require.NoError(t, err)
	for _, v := range []any{cfg, &cfg, c} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			requireNoSecret(t, fmt.Sprintf(verb, v), cfg)
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		requireNoSecret(t, string(b), cfg)
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
		requireNoSecret(t, buf.String(), cfg)
		require.Contains(t, buf.String(), "acme.minidesk.example")
	}
}

func TestAs(t *testing.T) {
	c, _ := newTestClient(t, nil)
	var h helpdesk.Helpdesk = c
	var got *minidriver.Client
	require.True(t, helpdesk.As(h, &got))
	require.Same(t, c, got)
	var other *http.Client
	require.False(t, helpdesk.As(h, &other))
	require.False(t, helpdesk.ErrorAs(h, errors.New("x"), &other), "a non-error target never panics")
}

func TestClosedTicket(t *testing.T) {
	c, srv := newTestClient(t, nil)
	id := srv.NewTicket("hello")
	srv.Close(id)
	conv := helpdesk.Conversation{Vendor: minidriver.Vendor, ID: fmt.Sprint(id)}
	before := srv.Requests()
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Anything else?"})
	require.ErrorIs(t, err, helpdesk.ErrConversationClosed)
	var apiErr *helpdesk.APIError
	require.True(t, helpdesk.ErrorAs(c, err, &apiErr))
	require.Equal(t, http.StatusConflict, apiErr.StatusCode)
	require.Equal(t, minidriver.CodeTicketClosed, apiErr.Code)
	require.True(t, strings.HasPrefix(apiErr.RequestID, "req_"), "request id %q", apiErr.RequestID)
	var opErr *helpdesk.OpError
	require.ErrorAs(t, err, &opErr)
	require.Equal(t, helpdesk.OpSendMessage, opErr.Op)
	require.Equal(t, 1, srv.Requests()-before, "a refused reply is not retried")
}

func TestRefusedLocally(t *testing.T) {
	c, srv := newTestClient(t, nil)
	conv := helpdesk.Conversation{Vendor: minidriver.Vendor, ID: fmt.Sprint(srv.NewTicket("hello"))}
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"ticket id not a number", func() error {
			_, err := c.SendMessage(ctx, helpdesk.Conversation{ID: "T-1"}, helpdesk.Message{Text: "hi"})
			return err
		}, helpdesk.ErrInvalidRequest},
		{"another vendor's conversation", func() error {
			return c.Resolve(ctx, helpdesk.Conversation{Vendor: "zendesk", ID: "1"})
		}, helpdesk.ErrInvalidRequest},
		{"team id not a number", func() error {
			return c.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "billing"})
		}, helpdesk.ErrInvalidRequest},
		{"attachments", func() error {
			_, err := c.SendMessage(ctx, conv, helpdesk.Message{Text: "see file", Attachments: []helpdesk.Attachment{{URL: "https://example.com/a.pdf"}}})
			return err
		}, helpdesk.ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Requests()
			require.ErrorIs(t, tc.call(), tc.want)
			require.Equal(t, before, srv.Requests())
		})
	}
}

func TestUnknownTeamIsInvalid(t *testing.T) {
	c, srv := newTestClient(t, nil)
	id := srv.NewTicket("hello")
	conv := helpdesk.Conversation{Vendor: minidriver.Vendor, ID: fmt.Sprint(id)}
	err := c.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "999"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	var apiErr *helpdesk.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, minidriver.CodeInvalid, apiErr.Code)
	tk, _ := srv.Ticket(id)
	require.Equal(t, minidesktest.BotAgentID, tk.AgentID, "a refused handover leaves the ticket with the bot")
}

func TestConversationGuard(t *testing.T) {
	// 10 writes a minute, 5 at once, of which the budget's reserve keeps 1
	// for critical writes (resolves, handovers).
	c, srv := newTestClient(t, &minidriver.Options{ConversationLimit: 10})
	loop := helpdesk.Conversation{Vendor: minidriver.Vendor, ID: fmt.Sprint(srv.NewTicket("hello"))}
	other := helpdesk.Conversation{Vendor: minidriver.Vendor, ID: fmt.Sprint(srv.NewTicket("hi"))}
	// A deadline shorter than the guard's wait: the write is refused at
	// once instead of waiting.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for i := range 4 {
		_, err := c.SendMessage(ctx, loop, helpdesk.Message{Text: fmt.Sprint("answer ", i)})
		require.NoError(t, err)
	}
	before := srv.Requests()
	_, err := c.SendMessage(ctx, loop, helpdesk.Message{Text: "answer 5"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	require.Equal(t, before, srv.Requests(), "the guard refuses without a request")
	require.NoError(t, c.Resolve(ctx, loop), "a resolve still gets through the guard")
	_, err = c.SendMessage(ctx, other, helpdesk.Message{Text: "other conversations go on"})
	require.NoError(t, err)

	off, srv := newTestClient(t, &minidriver.Options{ConversationLimit: -1, NoBudget: true})
	conv := helpdesk.Conversation{Vendor: minidriver.Vendor, ID: fmt.Sprint(srv.NewTicket("hello"))}
	for i := range 30 {
		_, err := off.SendMessage(ctx, conv, helpdesk.Message{Text: fmt.Sprint("answer ", i)})
		require.NoError(t, err, "a negative ConversationLimit turns the guard off")
	}
}

type nopBudget struct{}

func (nopBudget) Wait(context.Context, transport.Call) error { return nil }
func (nopBudget) Observe(transport.Call, int, http.Header)   {}
