package intercom_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

// state is what the fake holds for conv, as the conformance kit reads it:
// Intercom's "closed" is the portable StatusResolved; comments, close
// bodies and assignment bodies (a response the customer sees) are public,
// notes are not.
func (e *env) state(t *testing.T, conv helpdesk.Conversation) drivertest.State {
	c, ok := e.srv.Conversation(conv.ID)
	require.True(t, ok)
	st := drivertest.State{Status: map[string]helpdesk.Status{"open": helpdesk.StatusOpen,
		"closed": helpdesk.StatusResolved, "snoozed": helpdesk.StatusSnoozed}[c.State],
		GroupID: c.TeamAssigneeID, AgentID: c.AdminAssigneeID}
	for _, p := range c.Parts {
		if p.Author.Type != "admin" {
			continue
		}
		st.Attachments = append(st.Attachments, p.Attachments...)
		if p.Body == "" {
			continue
		}
		switch p.PartType {
		case "note":
			st.Notes = append(st.Notes, p.Text())
		case "comment", "close", "assignment", "assign_and_reopen":
			st.Public = append(st.Public, p.Text())
		}
	}
	return st
}

func (e *env) harness(t *testing.T) *drivertest.Env {
	return &drivertest.Env{
		Helpdesk:        e.client,
		NewConversation: e.newConversation,
		State:           e.state,
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
			s := e.signer
			if d.Secret != "" {
				s = &intercomtest.Signer{Secret: d.Secret}
			}
			return s.Request(e.customerPayload(conv, text))
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return e.botEcho(conv, text)
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return e.signer.Unsigned(e.customerPayload(conv, text))
		},
		Malformed: func(t *testing.T) *http.Request {
			return e.signer.Request([]byte(`{"type":"notification_event","topic":"conversation.user.replied","data":`))
		},
		Secrets:        []string{intercomtest.DefaultToken, testSecret, oldSecret, testActionTok},
		WebhookSecrets: []string{testSecret, oldSecret},
		// Intercom signs no time: the kit checks that dedupe on the
		// signed (app, conversation, part) drops replays instead.
		SignsTime:  false,
		FailNext:   e.srv.FailNext,
		RetryAfter: true, // X-RateLimit-Reset, a Unix time
		Stall:      e.srv.Stall,
		// Faults before and after the fake processed a write: the
		// driver's read-back of ambiguous failures is what passes.
		InjectFaults: e.srv.InjectFaults,
		Requests:     e.srv.Requests,
		Group:        e.n2,
		Agent:        e.agent,
	}
}

func TestConformance(t *testing.T) {
	drivertest.RunConformance(t, drivertest.HarnessFunc(func(t *testing.T) *drivertest.Env {
		return newEnv(t, nil).harness(t)
	}))
}

// The Custom Action entry point passes the same suite: customer messages
// arrive as action calls authenticated by the bearer token (Delivery's
// Secret is the token), echoes still come as topic webhooks.
func TestConformanceCustomAction(t *testing.T) {
	drivertest.RunConformance(t, drivertest.HarnessFunc(func(t *testing.T) *drivertest.Env {
		e := newEnv(t, func(c *intercomConfig, _ *intercomOptions, _ *intercomtestOptions) {
			c.ActionTokens = []string{testActionTok, oldActionTok}
		})
		h := e.harness(t)
		action := func(conv helpdesk.Conversation, text, token string) *http.Request {
			return intercomtest.ActionRequest(token, intercomActionRequest(conv, text))
		}
		h.CustomerMessage = func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
			tok := testActionTok
			if d.Secret != "" {
				tok = d.Secret
			}
			return action(conv, text, tok)
		}
		h.Unsigned = func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return action(conv, text, "")
		}
		h.Malformed = func(t *testing.T) *http.Request {
			return intercomtest.RawActionRequest(testActionTok, []byte(`{"conversation_id":`))
		}
		h.WebhookSecrets = []string{testActionTok, oldActionTok}
		h.Secrets = append(h.Secrets, oldActionTok)
		return h
	}))
}
