package intercom_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

func (e *env) harness(t *testing.T) *helpdesktest.Env {
	return &helpdesktest.Env{
		Helpdesk:        e.client,
		NewConversation: e.newConversation,
		State: func(t *testing.T, conv helpdesk.Conversation) helpdesktest.State {
			c, ok := e.srv.Conversation(conv.ID)
			require.True(t, ok)
			st := helpdesktest.State{Status: map[string]helpdesk.Status{"open": helpdesk.StatusOpen,
				"closed": helpdesk.StatusResolved, "snoozed": helpdesk.StatusSnoozed}[c.State],
				GroupID: c.TeamAssigneeID, AgentID: c.AdminAssigneeID}
			for _, p := range c.Parts {
				if p.Author.Type != "admin" || p.Body == "" {
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
		},
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return e.signer.Request(e.customerPayload(conv, text))
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return e.botEcho(conv, text)
		},
		Forged: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			s := &intercomtest.Signer{Secret: "not-the-client-secret"}
			return s.Request(e.customerPayload(conv, text))
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return e.signer.Unsigned(e.customerPayload(conv, text))
		},
		Malformed: func(t *testing.T) *http.Request {
			return e.signer.Request([]byte(`{"type":"notification_event","topic":"conversation.user.replied","data":`))
		},
		FailNext: e.srv.FailNext,
		Stall:    e.srv.Stall,
		Requests: e.srv.Requests,
		Group:    e.n2,
		Agent:    e.agent,
	}
}

func TestConformance(t *testing.T) {
	helpdesktest.RunConformance(t, helpdesktest.HarnessFunc(func(t *testing.T) *helpdesktest.Env {
		return newEnv(t, nil).harness(t)
	}))
}
