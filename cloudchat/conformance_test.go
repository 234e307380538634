package cloudchat_test

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

const testSecret = "webhook-secret-0123456789ab"

// env is a driver wired to a fresh fake, for this package's tests.
type env struct {
	srv    *cloudchattest.Server
	client *cloudchat.Client
	signer *cloudchattest.Signer
	team   int64
	agent  int64
}

func newEnv(t *testing.T, mut func(*cloudchat.Config, *cloudchat.Options, *cloudchattest.Options)) *env {
	t.Helper()
	so := &cloudchattest.Options{Validate: specValidator(t)}
	cfg := cloudchat.Config{
		AccountID:      cloudchattest.DefaultAccountID,
		APIToken:       cloudchattest.DefaultBotToken,
		UserToken:      cloudchattest.DefaultUserToken,
		BotID:          cloudchattest.DefaultBotID,
		WebhookSecrets: []string{testSecret},
		ServerVersion:  cloudchattest.DefaultVersion,
		ContactInboxID: cloudchattest.DefaultInboxID,
	}
	// Chatwoot's 429 carries no wait; the minute-boundary wait it implies
	// is beyond this retry budget, so a 429 is returned at once.
	opts := &cloudchat.Options{MaxRetryWait: time.Millisecond, MaxRetries: 2}
	if mut != nil {
		mut(&cfg, opts, so)
	}
	srv := cloudchattest.NewServer(t, so)
	cfg.BaseURL = srv.URL
	c, err := cloudchat.New(cfg, opts)
	require.NoError(t, err)
	e := &env{srv: srv, client: c, signer: &cloudchattest.Signer{Secret: testSecret}}
	e.agent = srv.AddAgent("Ana Souza", "online")
	e.team = srv.AddTeam("N2 Billing", e.agent)
	return e
}

func (e *env) newConversation(t *testing.T) helpdesk.Conversation {
	id := e.srv.AddConversation(cloudchattest.Conversation{
		Status: "pending", AssigneeID: cloudchattest.DefaultBotID, AssigneeType: "AgentBot", CanReply: true,
		Channel: "Channel::Api", Messages: []cloudchattest.Message{{ID: 1, Content: "Oi", MessageType: 0, SenderType: "Contact"}},
	})
	return helpdesk.Conversation{Vendor: cloudchat.Vendor, Account: "1", ID: strconv.FormatInt(id, 10), Channel: helpdesk.ChannelAPI,
		Extra: map[string]string{cloudchat.ExtraStatus: "pending", cloudchat.ExtraCanReply: "true"}}
}

// stableID gives the same message id for the same conversation and text,
// so a delivery built twice is the same delivery.
func stableID(conv helpdesk.Conversation, text string) int64 {
	sum := sha256.Sum256([]byte(conv.ID + "\x00" + text))
	return int64(binary.BigEndian.Uint32(sum[:4])) + 1000
}

func (e *env) customerPayload(conv helpdesk.Conversation, text string) []byte {
	id, _ := strconv.ParseInt(conv.ID, 10, 64)
	return cloudchattest.MessagePayload(cloudchattest.MessageEvent{
		ID: stableID(conv, text), Content: text, MessageType: "incoming",
		Sender:       &cloudchattest.Sender{ID: 77, Name: "Maria", PhoneNumber: "+5511987654321"},
		Conversation: cloudchattest.ConversationRef{ID: id, ContactID: 77, AssigneeID: cloudchattest.DefaultBotID, AssigneeType: "AgentBot"},
	})
}

// rotatedSecret is the webhook secret being rotated out, configured beside
// testSecret in the conformance Env.
const rotatedSecret = "webhook-secret-rotated-out-42"

func (e *env) harness(t *testing.T) *drivertest.Env {
	cfg := e.client.Config()
	sign := func(body []byte, d drivertest.Delivery) *http.Request {
		s := &cloudchattest.Signer{Secret: d.Secret}
		if s.Secret == "" {
			s.Secret = cfg.WebhookSecrets[0]
		}
		if !d.At.IsZero() {
			s.Now = func() time.Time { return d.At }
		}
		return s.Request(body, "")
	}
	return &drivertest.Env{
		Helpdesk:        e.client,
		NewConversation: e.newConversation,
		State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State {
			id, _ := strconv.ParseInt(conv.ID, 10, 64)
			c, ok := e.srv.Conversation(id)
			require.True(t, ok)
			st := drivertest.State{Status: map[string]helpdesk.Status{"open": helpdesk.StatusOpen, "pending": helpdesk.StatusPending,
				"resolved": helpdesk.StatusResolved, "snoozed": helpdesk.StatusSnoozed}[c.Status]}
			if c.TeamID != 0 {
				st.GroupID = strconv.FormatInt(c.TeamID, 10)
			}
			if c.AssigneeType == "User" && c.AssigneeID != 0 {
				st.AgentID = strconv.FormatInt(c.AssigneeID, 10)
			}
			for _, m := range c.Messages {
				if m.MessageType != 1 {
					continue
				}
				if m.Private {
					st.Notes = append(st.Notes, m.Content)
				} else {
					st.Public = append(st.Public, m.Content)
				}
			}
			return st
		},
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
			return sign(e.customerPayload(conv, text), d)
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			id, _ := strconv.ParseInt(conv.ID, 10, 64)
			return e.signer.Request(cloudchattest.MessagePayload(cloudchattest.MessageEvent{
				ID: stableID(conv, text), Content: text, MessageType: "outgoing",
				Sender:       &cloudchattest.Sender{ID: cloudchattest.DefaultBotID, Name: "Bot", Type: "agent_bot"},
				Conversation: cloudchattest.ConversationRef{ID: id},
			}), "")
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return e.signer.Unsigned(e.customerPayload(conv, text), "d-1")
		},
		Malformed: func(t *testing.T) *http.Request {
			return e.signer.Request([]byte(`{"event": "message_created", "id": `), "")
		},
		Secrets:        append([]string{cfg.APIToken, cfg.UserToken}, cfg.WebhookSecrets...),
		WebhookSecrets: cfg.WebhookSecrets,
		SignsTime:      true,
		// Chatwoot accepts a message into a resolved conversation (and
		// reopens it), so there is no closed-conversation refusal.
		CloseConversation: nil,
		ReplyWindowClosed: func(t *testing.T) helpdesk.Conversation {
			id := e.srv.AddConversation(cloudchattest.Conversation{
				Status: "pending", AssigneeID: cloudchattest.DefaultBotID, AssigneeType: "AgentBot", CanReply: false,
				Channel: "Channel::Whatsapp",
			})
			return helpdesk.Conversation{Vendor: cloudchat.Vendor, Account: "1", ID: strconv.FormatInt(id, 10), Channel: helpdesk.ChannelWhatsApp,
				Extra: map[string]string{cloudchat.ExtraStatus: "pending", cloudchat.ExtraCanReply: "false"}}
		},
		IdempotencyKeys: e.srv.EchoIDs,
		FailNext:        e.srv.FailNext,
		InjectFaults:    e.srv.InjectFaults,
		RetryAfter:      false, // Chatwoot's 429 says nothing; the driver computes the wait
		Stall:           e.srv.Stall,
		Requests:        e.srv.Requests,
		Group:           strconv.FormatInt(e.team, 10),
		Agent:           strconv.FormatInt(e.agent, 10),
	}
}

func TestConformance(t *testing.T) {
	drivertest.RunConformance(t, drivertest.HarnessFunc(func(t *testing.T) *drivertest.Env {
		return newEnv(t, func(c *cloudchat.Config, _ *cloudchat.Options, _ *cloudchattest.Options) {
			c.WebhookSecrets = []string{testSecret, rotatedSecret}
		}).harness(t)
	}))
}
