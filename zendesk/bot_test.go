package zendesk_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// TestExampleBot runs the examples' bot end to end against the fake: a
// trigger webhook comes in through helpdesk.WebhookHandler, the bot
// answers and solves, a redelivery is dropped, and a request for a human
// is escalated to N2.
func TestExampleBot(t *testing.T) {
	srv := zendesktest.NewServer(t, nil)
	cfg := srv.Config()
	client, err := zendesk.New(cfg, nil)
	require.NoError(t, err)
	h, err := helpdesk.NewWebhookHandler(client, botHandler(client, cfg.N2GroupID), nil)
	require.NoError(t, err)
	o := srv.Options()
	deliver := func(id int64, text, inv string) int {
		cid := srv.AddCustomerComment(id, text)
		body := zendesktest.TriggerBody(srv.CustomerComment(id, cid, text))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, zendesktest.NewTriggerRequest(o.WebhookSecret, body, time.Now(), inv))
		return rec.Code
	}

	answered := srv.CreateTicket("Order", "Where is my order?")
	require.Equal(t, http.StatusOK, deliver(answered, "Where is my order?", "inv-1"))
	tk, _ := srv.Ticket(answered)
	require.Equal(t, "solved", tk.Status)
	require.Equal(t, 1, tk.Updates, "answer and solve in one request")

	// Zendesk redelivers the same invocation: handled once.
	rec := httptest.NewRecorder()
	body := zendesktest.TriggerBody(srv.CustomerComment(answered, tk.Comments[len(tk.Comments)-2].ID, "Where is my order?"))
	h.ServeHTTP(rec, zendesktest.NewTriggerRequest(o.WebhookSecret, body, time.Now(), "inv-1"))
	require.Equal(t, http.StatusOK, rec.Code)
	tk, _ = srv.Ticket(answered)
	require.Equal(t, 1, tk.Updates)

	escalated := srv.CreateTicket("Refund", "I want a refund")
	require.Equal(t, http.StatusOK, deliver(escalated, "I want to talk to a human", "inv-2"))
	tk, _ = srv.Ticket(escalated)
	require.Equal(t, cfg.N2GroupID, tk.GroupID)
	require.Zero(t, tk.AssigneeID)
	require.Equal(t, "open", tk.Status)

	// A forged delivery never reaches the bot.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, zendesktest.NewTriggerRequest("forged", body, time.Now(), "inv-3"))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
}
