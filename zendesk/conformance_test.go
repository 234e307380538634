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
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
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

// The secret being rotated out, configured beside the fake's current one.
const (
	previousWebhookSecret  = "zd-previous-webhook-signing-secret"
	previousSunshineSecret = "sunshine-previous-webhook-secret"
)

func orNow(at time.Time) time.Time {
	if at.IsZero() {
		return time.Now()
	}
	return at
}

func orSecret(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ticketEnv wires the driver in e-mail mode to a fresh fake.
func ticketEnv(t *testing.T) *drivertest.Env {
	srv := zendesktest.NewServer(t, nil)
	cfg := srv.Config()
	cfg.WebhookSecrets = []string{srv.Options().WebhookSecret, previousWebhookSecret}
	client, err := zendesk.New(cfg, &zendesk.Options{MaxRetryWait: 2 * time.Second})
	require.NoError(t, err)
	o := srv.Options()
	trigger := func(conv helpdesk.Conversation, text string, d drivertest.Delivery, bot bool) *http.Request {
		tid, ok := zendesk.TicketID(conv)
		require.True(t, ok)
		inv, cid := stableID(conv.ID, text)
		p := srv.CustomerComment(tid, cid, text)
		if bot {
			p = srv.BotComment(tid, cid, text)
		}
		return zendesktest.NewTriggerRequest(orSecret(d.Secret, o.WebhookSecret), zendesktest.TriggerBody(p), orNow(d.At), inv)
	}
	return &drivertest.Env{
		Helpdesk: client,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			return zendesk.TicketConversation(o.Subdomain, srv.CreateTicket("Order missing", "Where is my order?"))
		},
		State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State { return srv.State(conv) },
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
			return trigger(conv, text, d, false)
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return trigger(conv, text, drivertest.Delivery{}, true)
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			r := trigger(conv, text, drivertest.Delivery{}, false)
			r.Header.Del(zendesk.HeaderSignature)
			r.Header.Del(zendesk.HeaderSignatureTimestamp)
			return r
		},
		Malformed: func(t *testing.T) *http.Request {
			return zendesktest.NewTriggerRequest(o.WebhookSecret, []byte(`{"ticketId": "12", "text": `), time.Now(), "inv-malformed")
		},
		Secrets:        []string{o.WebhookSecret, previousWebhookSecret, o.APIToken, o.SunshineSecret, o.SunshineWebhookSecret},
		WebhookSecrets: []string{o.WebhookSecret, previousWebhookSecret},
		SignsTime:      true,
		CloseConversation: func(t *testing.T, conv helpdesk.Conversation) helpdesk.Conversation {
			tid, ok := zendesk.TicketID(conv)
			require.True(t, ok)
			srv.SetStatus(tid, "closed") // later updates get Zendesk's 422
			return conv
		},
		IdempotencyKeys: srv.IdempotencyKeys,
		FailNext:        srv.Support.FailNext,
		InjectFaults:    srv.Support.InjectFaults,
		RetryAfter:      true,
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
func chatEnv(t *testing.T) *drivertest.Env {
	srv := zendesktest.NewServer(t, &zendesktest.Options{ValidateSunshine: sunshineContract(t)})
	cfg := srv.ChatConfig()
	cfg.SunshineWebhookSecrets = []string{srv.Options().SunshineWebhookSecret, previousSunshineSecret}
	client, err := zendesk.New(cfg, &zendesk.Options{MaxRetryWait: 2 * time.Second})
	require.NoError(t, err)
	o := srv.Options()
	delivery := func(conv helpdesk.Conversation, text string, d drivertest.Delivery, bot bool) *http.Request {
		ev, _ := stableID("event", conv.ID, text)
		msg, _ := stableID("message", conv.ID, text)
		m := zendesktest.SunshineMessage{EventID: ev, ConversationID: zendesk.SunshineConversationID(conv), MessageID: msg,
			AuthorType: "user", UserID: "u-customer", DisplayName: "Maria Silva", Text: text, SourceType: "web", CreatedAt: d.At}
		if bot {
			m.AuthorType, m.UserID, m.DisplayName, m.SourceType = "business", "", zendesktest.DefaultBotName, "api:conversations"
			m.Metadata = map[string]any{"agentdesk_bot": "9001"}
		}
		return zendesktest.NewSunshineRequest(orSecret(d.Secret, o.SunshineWebhookSecret), zendesktest.SunshineDelivery(o.SunshineAppID, m))
	}
	return &drivertest.Env{
		Helpdesk: client,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			convID, tid := srv.CreateConversation("Oi, preciso de ajuda")
			return zendesk.WithTicket(zendesk.SunshineConversation(o.Subdomain, o.SunshineAppID, convID), tid)
		},
		State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State { return srv.State(conv) },
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
			return delivery(conv, text, d, false)
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return delivery(conv, text, drivertest.Delivery{}, true)
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			r := delivery(conv, text, drivertest.Delivery{}, false)
			r.Header.Del(zendesk.HeaderSunshineAPIKey)
			return r
		},
		Malformed: func(t *testing.T) *http.Request {
			return zendesktest.NewSunshineRequest(o.SunshineWebhookSecret, []byte(`{"app":{"id":"x"},"events":[{"id":`))
		},
		Secrets:        []string{o.SunshineWebhookSecret, previousSunshineSecret, o.SunshineSecret, o.APIToken, o.WebhookSecret},
		WebhookSecrets: []string{o.SunshineWebhookSecret, previousSunshineSecret},
		// Sunshine sends a shared secret in X-API-Key and signs no time:
		// dedupe on the events' ids is the replay guard.
		SignsTime: false,
		// A conversation at Sunshine's 30,000-message cap refuses more
		// with 423 Locked (a closed ticket does not stop chat messages).
		CloseConversation: func(t *testing.T, conv helpdesk.Conversation) helpdesk.Conversation {
			srv.Fill(zendesk.SunshineConversationID(conv))
			return conv
		},
		// Sunshine's message endpoint takes no idempotency key.
		IdempotencyKeys: nil,
		FailNext:        srv.Sunshine.FailNext,
		// Messages go to Sunshine; a resolve or handover also updates
		// the messaging ticket.
		InjectFaults: func(p drivertest.FaultPlan) {
			srv.Sunshine.InjectFaults(p)
			srv.Support.InjectFaults(p)
		},
		RetryAfter: false, // Sunshine publishes no rate-limit headers
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
	drivertest.RunConformance(t, drivertest.HarnessFunc(ticketEnv))
}

func TestConformanceSunshineChat(t *testing.T) {
	drivertest.RunConformance(t, drivertest.HarnessFunc(chatEnv))
}
