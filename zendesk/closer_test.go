package zendesk_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestCloserClosesSolvedTicketsAfterTheWindow(t *testing.T) {
	clock := &fakeClock{now: t0}
	srv := zendesktest.New(t, zendesktest.Options{Now: clock.Now})
	cfg := srv.Config()
	c, err := zendesk.New(cfg, &zendesk.Options{NoBudget: true})
	require.NoError(t, err)
	closer, err := zendesk.NewCloser(c, zendesk.CloserOptions{After: time.Hour, Now: clock.Now})
	require.NoError(t, err)
	ctx := context.Background()
	o := srv.Options()

	quiet, _ := ticketConv(srv)      // solved, customer silent: closes
	replied, rid := ticketConv(srv)  // customer writes again (webhook seen): stays open
	missed, mid := ticketConv(srv)   // customer writes, webhook lost: safe_update refuses the close
	manual, manID := ticketConv(srv) // an agent closed it already
	_, err = c.SendMessage(ctx, quiet, helpdesk.Message{Text: "Resolved!", Resolve: true})
	require.NoError(t, err)
	for _, conv := range []helpdesk.Conversation{replied, missed, manual} {
		require.NoError(t, c.Resolve(ctx, conv))
	}
	qid, _ := zendesk.TicketID(quiet)
	require.Equal(t, []int64{qid, rid, mid, manID}, closer.Pending())

	clock.Advance(30 * time.Minute)
	require.Empty(t, closer.Due())
	closed, err := closer.CloseDue(ctx)
	require.NoError(t, err)
	require.Empty(t, closed)

	// The customer replies on one ticket; the trigger webhook reaches the bot.
	cid := srv.AddCustomerComment(rid, "Actually, one more question")
	body := zendesktest.TriggerBody(srv.CustomerComment(rid, cid, "Actually, one more question"))
	_, err = c.ParseWebhook(ctx, zendesktest.NewTriggerWebhookRequest(o.WebhookSecret, body, clock.Now(), "inv-1"))
	require.NoError(t, err)
	// Another reply whose webhook never arrives, and a manual close.
	srv.AddCustomerComment(mid, "hello?")
	srv.SetStatus(manID, "closed")

	clock.Advance(31 * time.Minute)
	require.Equal(t, []int64{qid, mid, manID}, closer.Due())
	closed, err = closer.CloseDue(ctx)
	require.NoError(t, err)
	require.Equal(t, []int64{qid}, closed)
	require.Empty(t, closer.Pending())

	for id, want := range map[int64]string{qid: "closed", rid: "open", mid: "open", manID: "closed"} {
		tk, _ := srv.Ticket(id)
		require.Equal(t, want, tk.Status, id)
	}
}

func TestCloserKeepsTicketsOnTransientErrors(t *testing.T) {
	clock := &fakeClock{now: t0}
	srv := zendesktest.New(t, zendesktest.Options{Now: clock.Now})
	c, err := zendesk.New(srv.Config(), &zendesk.Options{NoBudget: true, MaxRetries: -1})
	require.NoError(t, err)
	closer, err := zendesk.NewCloser(c, zendesk.CloserOptions{After: time.Minute, Now: clock.Now})
	require.NoError(t, err)
	conv, id := ticketConv(srv)
	require.NoError(t, c.Resolve(context.Background(), conv))
	clock.Advance(time.Minute)
	srv.Support.FailNext(http.StatusInternalServerError)
	closed, err := closer.CloseDue(context.Background())
	require.Error(t, err)
	require.Empty(t, closed)
	require.Equal(t, []int64{id}, closer.Pending())
	closed, err = closer.CloseDue(context.Background())
	require.NoError(t, err)
	require.Equal(t, []int64{id}, closed)

	// Observe forgets tickets for events parsed elsewhere.
	closer.Track(42, "")
	closer.Observe(helpdesk.Event{Type: helpdesk.EventMessageCreated, Conversation: zendesk.TicketConversation("acme", 42),
		Message: &helpdesk.InboundMessage{Public: true, Author: helpdesk.Author{Role: helpdesk.RoleCustomer}}})
	require.Empty(t, closer.Pending())

	_, err = zendesk.NewCloser(c, zendesk.CloserOptions{After: -time.Second})
	require.Error(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, closer.Run(ctx, time.Millisecond, nil), context.Canceled)
}
