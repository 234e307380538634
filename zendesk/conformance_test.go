package zendesk_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// stableID derives a delivery/comment id from its content, so building the
// same delivery twice gives a redelivery.
func stableID(parts ...string) (string, int64) {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:13]), int64(binary.BigEndian.Uint64(sum[:8]) >> 12)
}

// ticketEnv wires the driver in e-mail mode to a fresh fake.
func ticketEnv(t *testing.T) *helpdesktest.Env {
	srv := zendesktest.New(t, zendesktest.Options{})
	client, err := zendesk.New(srv.Config(), &zendesk.Options{MaxRetryWait: 2 * time.Second})
	require.NoError(t, err)
	o := srv.Options()
	trigger := func(conv helpdesk.Conversation, text, secret string, bot bool) *http.Request {
		tid, ok := zendesk.TicketID(conv)
		require.True(t, ok)
		inv, cid := stableID(conv.ID, text)
		p := srv.CustomerComment(tid, cid, text)
		if bot {
			p = srv.BotComment(tid, cid, text)
		}
		return zendesktest.NewTriggerRequest(secret, zendesktest.TriggerBody(p), time.Now(), inv)
	}
	return &helpdesktest.Env{
		Helpdesk: client,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			return zendesk.TicketConversation(o.Subdomain, srv.CreateTicket("Order missing", "Where is my order?"))
		},
		State: func(t *testing.T, conv helpdesk.Conversation) helpdesktest.State { return srv.State(conv) },
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return trigger(conv, text, o.WebhookSecret, false)
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return trigger(conv, text, o.WebhookSecret, true)
		},
		Forged: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return trigger(conv, text, "not-the-secret", false)
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			r := trigger(conv, text, o.WebhookSecret, false)
			r.Header.Del(zendesk.HeaderSignature)
			r.Header.Del(zendesk.HeaderSignatureTimestamp)
			return r
		},
		Malformed: func(t *testing.T) *http.Request {
			return zendesktest.NewTriggerRequest(o.WebhookSecret, []byte(`{"ticketId": "12", "text": `), time.Now(), "inv-malformed")
		},
		FailNext: srv.Support.FailNext,
		Stall: func(d time.Duration) {
			srv.Support.Stall(d)
			srv.Sunshine.Stall(d)
		},
		Requests: srv.Requests,
		Group:    "200",
		Agent:    "501",
	}
}

// chatEnv wires the driver in chat mode: conversations are Sunshine
// conversations with their messaging ticket.
func chatEnv(t *testing.T) *helpdesktest.Env {
	srv := zendesktest.New(t, zendesktest.Options{ValidateSunshine: sunshineContract(t)})
	client, err := zendesk.New(srv.ChatConfig(), &zendesk.Options{MaxRetryWait: 2 * time.Second})
	require.NoError(t, err)
	o := srv.Options()
	delivery := func(conv helpdesk.Conversation, text, secret string, bot bool) *http.Request {
		ev, _ := stableID("event", conv.ID, text)
		msg, _ := stableID("message", conv.ID, text)
		m := zendesktest.SunshineMessage{EventID: ev, ConversationID: zendesk.SunshineConversationID(conv), MessageID: msg,
			AuthorType: "user", UserID: "u-customer", DisplayName: "Maria Silva", Text: text, SourceType: "web"}
		if bot {
			m.AuthorType, m.UserID, m.DisplayName, m.SourceType = "business", "", zendesktest.DefaultBotName, "api:conversations"
			m.Metadata = map[string]any{"agentdesk_bot": "9001"}
		}
		return zendesktest.NewSunshineRequest(secret, zendesktest.SunshineDelivery(o.SunshineAppID, m))
	}
	return &helpdesktest.Env{
		Helpdesk: client,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			convID, tid := srv.CreateConversation("Oi, preciso de ajuda")
			return zendesk.WithTicket(zendesk.SunshineConversation(o.Subdomain, o.SunshineAppID, convID), tid)
		},
		State: func(t *testing.T, conv helpdesk.Conversation) helpdesktest.State { return srv.State(conv) },
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return delivery(conv, text, o.SunshineWebhookSecret, false)
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return delivery(conv, text, o.SunshineWebhookSecret, true)
		},
		Forged: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return delivery(conv, text, "wrong-shared-secret", false)
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			r := delivery(conv, text, o.SunshineWebhookSecret, false)
			r.Header.Del(zendesk.HeaderSunshineAPIKey)
			return r
		},
		Malformed: func(t *testing.T) *http.Request {
			return zendesktest.NewSunshineRequest(o.SunshineWebhookSecret, []byte(`{"app":{"id":"x"},"events":[{"id":`))
		},
		FailNext: srv.Sunshine.FailNext,
		Stall: func(d time.Duration) {
			srv.Support.Stall(d)
			srv.Sunshine.Stall(d)
		},
		Requests: srv.Requests,
		Group:    "200",
		Agent:    "501",
	}
}

func TestConformanceTickets(t *testing.T) {
	helpdesktest.RunConformance(t, helpdesktest.HarnessFunc(ticketEnv))
}

func TestConformanceSunshineChat(t *testing.T) {
	helpdesktest.RunConformance(t, helpdesktest.HarnessFunc(chatEnv))
}
