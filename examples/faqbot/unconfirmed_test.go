package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// lastPartUnconfirmed fails the answer's last part the way Klaviyo fails a
// text it cannot confirm: helpdesk.ErrUnconfirmed, never to be resent.
type lastPartUnconfirmed struct {
	helpdesk.Helpdesk
	sends int
}

func (h *lastPartUnconfirmed) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	h.sends++
	if msg.IdempotencyKey != "" && strings.HasSuffix(msg.IdempotencyKey, "/3") {
		return nil, fmt.Errorf("vendor timed out after the request was written: %w", helpdesk.ErrUnconfirmed)
	}
	return h.Helpdesk.SendMessage(ctx, conv, msg)
}

// An answer whose part the helpdesk could not confirm is not the event's
// failure: the other parts were sent and nothing would send that one
// again, so the bot logs it and the queue does not retry the event.
func TestUnconfirmedPartIsLoggedNotRetried(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWhatsApp)
	cfg, err := escalation.LoadConfig(bytes.NewReader(defaultPolicy))
	require.NoError(t, err)
	policy, err := escalation.New(cfg)
	require.NoError(t, err)
	hd := &lastPartUnconfirmed{Helpdesk: f}
	var logs []string
	b := &Bot{HD: hd, Policy: policy, FAQ: defaultFAQ, MaxChars: 280,
		Log: func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) }}
	req, err := helpdesk.ReadWebhookRequest(httptest.NewRecorder(), f.Delivery(f.CustomerWrites(conv, "How do I reset my password?")), 0)
	require.NoError(t, err)
	events, err := f.ParseWebhook(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, events, 1)

	require.NoError(t, b.Handle(context.Background(), events[0]))
	require.Equal(t, 3, hd.sends, "three parts, the last unconfirmed")
	require.Contains(t, strings.Join(logs, "\n"), "could not confirm part(s) [3]")
}
