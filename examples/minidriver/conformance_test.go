package minidriver_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/examples/minidriver"
	"github.com/agentdesk/agentdesk/examples/minidriver/minidesktest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

var webhookSecrets = []string{"whsec_current_7d2e", "whsec_rotating_out_91ab"}

// harness wires the driver, with default options, to a fresh fake
// Minidesk.
func harness(t *testing.T) *drivertest.Env {
	env, _ := newEnv(t, minidriver.Options{})
	return env
}

// newEnv wires a driver built with opts to a fresh fake Minidesk.
func newEnv(t *testing.T, opts minidriver.Options) (*drivertest.Env, *minidesktest.Server) {
	srv := minidesktest.NewServer(t)
	opts.HTTPClient = srv.Client()
	md, err := minidriver.New(srv.Config(webhookSecrets...), &opts)
	require.NoError(t, err)

	ticketOf := func(t *testing.T, conv helpdesk.Conversation) int {
		id, err := strconv.Atoi(conv.ID)
		require.NoError(t, err, "conversation id %q", conv.ID)
		return id
	}
	deliver := func(t *testing.T, conv helpdesk.Conversation, authorType string, authorID int, text string, d drivertest.Delivery) *http.Request {
		secret := d.Secret
		if secret == "" {
			secret = webhookSecrets[0]
		}
		body := srv.ReplyDelivery(ticketOf(t, conv), authorType, authorID, text)
		return minidesktest.SignedRequest(t.Context(), body, secret, d.At)
	}
	env := &drivertest.Env{
		Helpdesk: md,
		NewConversation: func(t *testing.T) helpdesk.Conversation {
			return helpdesk.Conversation{Vendor: minidriver.Vendor, ID: strconv.Itoa(srv.NewTicket("Where is my order?"))}
		},
		State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State {
			tk, ok := srv.Ticket(ticketOf(t, conv))
			require.True(t, ok, "no ticket %s at the fake", conv.ID)
			st := drivertest.State{Status: helpdesk.StatusOpen}
			if tk.Status == minidesktest.StatusClosed {
				st.Status = helpdesk.StatusResolved
			}
			if tk.TeamID != 0 {
				st.GroupID = strconv.Itoa(tk.TeamID)
			}
			if tk.AgentID != 0 && tk.AgentID != minidesktest.BotAgentID {
				st.AgentID = strconv.Itoa(tk.AgentID)
			}
			for _, r := range tk.Replies {
				switch {
				case r.AuthorID != minidesktest.BotAgentID:
				case r.Internal:
					st.Notes = append(st.Notes, r.Body)
				default:
					st.Public = append(st.Public, r.Body)
				}
			}
			return st
		},
		CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
			return deliver(t, conv, minidriver.AuthorCustomer, 500, text, d)
		},
		BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			return deliver(t, conv, minidriver.AuthorBot, minidesktest.BotAgentID, text, drivertest.Delivery{})
		},
		Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
			r := deliver(t, conv, minidriver.AuthorCustomer, 500, text, drivertest.Delivery{})
			r.Header.Del(minidriver.SignatureHeader)
			return r
		},
		Malformed: func(t *testing.T) *http.Request {
			return minidesktest.SignedRequest(t.Context(), []byte(`{"id":"evt_1","type":"reply.created","ticket_id":`), webhookSecrets[0], time.Time{})
		},
		Secrets:        append([]string{minidesktest.Token}, webhookSecrets...),
		WebhookSecrets: webhookSecrets,
		SignsTime:      true,
		CloseConversation: func(t *testing.T, conv helpdesk.Conversation) helpdesk.Conversation {
			srv.Close(ticketOf(t, conv))
			return conv
		},
		FailNext:     srv.FailNext,
		RetryAfter:   true,
		Stall:        srv.Stall,
		InjectFaults: srv.InjectFaults,
		Requests:     srv.Requests,
		Group:        strconv.Itoa(minidesktest.TeamID),
		Agent:        strconv.Itoa(minidesktest.AgentID),
	}
	return env, srv
}

func TestConformance(t *testing.T) {
	drivertest.RunConformance(t, drivertest.HarnessFunc(harness))
}
