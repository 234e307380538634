package intercom_test

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

const (
	testSecret    = "client-secret-0123456789abcdef"
	oldSecret     = "client-secret-previous-fedcba98"
	testActionTok = "action-token-0123456789abcdef"
)

// env is a driver wired to a fresh fake, for this package's tests.
type env struct {
	srv    *intercomtest.Server
	client *intercom.Client
	signer *intercomtest.Signer
	n2     string
	agent  string
}

func newEnv(t *testing.T, mut func(*intercom.Config, *intercom.Options, *intercomtest.Options)) *env {
	t.Helper()
	so := &intercomtest.Options{Validate: specValidator(t)}
	cfg := intercom.Config{
		AccessToken:   intercomtest.DefaultToken,
		BotAdminID:    intercomtest.DefaultBotAdminID,
		BotTeamID:     intercomtest.DefaultBotTeamID,
		ClientSecrets: []string{testSecret, oldSecret},
		ActionTokens:  []string{testActionTok},
		AppID:         intercomtest.DefaultAppID,
	}
	// The fake's 429 announces a reset an hour away, beyond this retry
	// budget, so a 429 is returned at once.
	opts := &intercom.Options{MaxRetryWait: time.Second, MaxRetries: 2}
	if mut != nil {
		mut(&cfg, opts, so)
	}
	srv := intercomtest.NewServer(t, so)
	cfg.BaseURL = srv.URL
	c, err := intercom.New(cfg, opts)
	require.NoError(t, err)
	e := &env{srv: srv, client: c, signer: &intercomtest.Signer{Secret: testSecret}}
	e.agent = srv.AddAdmin("Ana Souza", false)
	e.n2 = srv.AddTeam("N2 Billing", e.agent)
	return e
}

func (e *env) newConversation(t *testing.T) helpdesk.Conversation {
	id := e.srv.AddConversation(intercomtest.Conversation{})
	return helpdesk.Conversation{Vendor: intercom.Vendor, Account: intercomtest.DefaultAppID, ID: id, Channel: helpdesk.ChannelWebChat}
}

// stablePartID gives the same part id for the same conversation and text,
// so a delivery built twice is the same delivery.
func stablePartID(conv helpdesk.Conversation, text string) string {
	sum := sha256.Sum256([]byte(conv.ID + "\x00" + text))
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(sum[:4]))+5000, 10)
}

// customerEvent is conversation.user.replied with the customer's text.
func (e *env) customerEvent(conv helpdesk.Conversation, text string) intercomtest.Event {
	c, _ := e.srv.Conversation(conv.ID)
	c.ID = conv.ID
	return intercomtest.Event{
		Topic: intercom.TopicUserReplied, NotificationID: "notif_" + stablePartID(conv, text), Conversation: c,
		Parts: []intercomtest.Part{{ID: stablePartID(conv, text), PartType: "comment", Body: "<p>" + text + "</p>",
			Author: intercomtest.Author{Type: "user", ID: c.ContactID, Name: "Maria Silva"}, CreatedAt: time.Now().Unix()}},
	}
}

func (e *env) customerPayload(conv helpdesk.Conversation, text string) []byte {
	return intercomtest.Payload(e.customerEvent(conv, text))
}

func (e *env) botEcho(conv helpdesk.Conversation, text string) *http.Request {
	c, _ := e.srv.Conversation(conv.ID)
	c.ID = conv.ID
	return e.signer.Request(intercomtest.Payload(intercomtest.Event{
		Topic: intercom.TopicAdminReplied, Conversation: c,
		Parts: []intercomtest.Part{{ID: stablePartID(conv, "echo:"+text), PartType: "comment", Body: "<p>" + text + "</p>",
			Author: intercomtest.Author{Type: "admin", ID: intercomtest.DefaultBotAdminID, Name: intercomtest.DefaultBotName}, AppPackageCode: "fake-app"}},
	}))
}

const oldActionTok = "action-token-previous-fedcba9876"

type (
	intercomConfig      = intercom.Config
	intercomOptions     = intercom.Options
	intercomtestOptions = intercomtest.Options
)

// intercomActionRequest is the Custom Action call for a customer message;
// its message id is stable, so a delivery built twice is the same one.
func intercomActionRequest(conv helpdesk.Conversation, text string) intercom.ActionRequest {
	return intercom.ActionRequest{ConversationID: conv.ID, Message: text, MessageID: stablePartID(conv, text),
		ContactID: "6762f16e1bb69f9f2193bb01", Name: "Maria Silva", Channel: "conversation", WorkspaceID: intercomtest.DefaultAppID}
}
