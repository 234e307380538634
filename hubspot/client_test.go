package hubspot_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

var agent = helpdesk.Target{Kind: helpdesk.TargetAgent, ID: strconv.Itoa(hubspottest.AgentUserID),
	Notice: "A specialist will take over shortly.", Note: "Billing question, low confidence."}

func TestHandoverOwner(t *testing.T) {
	c, srv := newTestClient(t, func(c *hubspot.Config) { c.HandoverMode = hubspot.HandoverOwner }, nil)
	thread := srv.NewThread("hello")
	th, _ := srv.Thread(thread)
	require.NoError(t, c.Reassign(context.Background(), conversationOf(thread), agent))
	tk, _ := srv.Ticket(th.Tickets[0])
	require.Equal(t, strconv.Itoa(hubspottest.AgentOwnerID), tk.OwnerID, "the owner id, not the user id")
	th, _ = srv.Thread(thread)
	n := len(th.Messages)
	require.Equal(t, agent.Notice, th.Messages[n-2].Text, "the notice goes first")
	require.Equal(t, hubspot.TypeComment, th.Messages[n-1].Type, "the note is a comment")

	// The owner id is cached: a second handover spends no owner lookup.
	before := srv.RequestsTo("GET /crm/v3/owners")
	require.NoError(t, c.Reassign(context.Background(), conversationOf(srv.NewThread("again")), helpdesk.Target{Kind: helpdesk.TargetAgent, ID: agent.ID}))
	require.Equal(t, before, srv.RequestsTo("GET /crm/v3/owners"))

	err := c.Reassign(context.Background(), conversationOf(srv.NewThread("x")), helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "123"})
	require.ErrorIs(t, err, helpdesk.ErrNotFound, "a user without an owner")
}

func TestHandoverEventFlows(t *testing.T) {
	c, srv := newTestClient(t, eventConfig, nil)
	srv.Transfer(agentFlowEvent, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: agent.ID})
	ctx := context.Background()

	thread := srv.NewThread("hello")
	th, _ := srv.Thread(thread)
	require.NoError(t, c.Reassign(ctx, conversationOf(thread), helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.Itoa(hubspottest.TeamID)}))
	ev := srv.Events()
	require.Len(t, ev, 1)
	require.Equal(t, hubspottest.EventName, ev[0].EventName)
	require.Equal(t, strconv.FormatInt(th.Tickets[0], 10), ev[0].ObjectID)
	require.Equal(t, map[string]string{
		hubspot.PropFlow: "default", hubspot.PropTicketID: strconv.FormatInt(th.Tickets[0], 10), hubspot.PropThreadID: strconv.FormatInt(thread, 10),
		hubspot.PropTargetType: "group", hubspot.PropTargetID: strconv.Itoa(hubspottest.TeamID),
	}, ev[0].Properties)
	require.NotEmpty(t, ev[0].UUID)

	// The flow is chosen by the target; a target no flow serves is refused
	// without a request.
	require.NoError(t, c.Reassign(ctx, conversationOf(srv.NewThread("b")), helpdesk.Target{Kind: helpdesk.TargetAgent, ID: agent.ID}))
	require.Equal(t, agentFlowEvent, srv.Events()[1].EventName)
	before := srv.Requests()
	err := c.Reassign(ctx, conversationOf(srv.NewThread("c")), helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "999"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Equal(t, before, srv.Requests())
}

func TestHandoverTicketFromStore(t *testing.T) {
	c, srv := newTestClient(t, eventConfig, nil)
	ctx := context.Background()
	thread := srv.NewThread("hello")
	conv := conversationOf(thread)

	// The older Inbox: the API gives no ticket, the workflow does.
	th, _ := srv.Thread(thread)
	first := th.Tickets[0]
	srv.AddTicket(thread, true)
	target := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.Itoa(hubspottest.TeamID)}
	err := c.Reassign(ctx, conv, target)
	var noTicket *hubspot.NoTicketError
	require.True(t, helpdesk.ErrorAs(c, err, &noTicket), "%v", err)
	require.ErrorIs(t, err, helpdesk.ErrNotFound)

	_, err = drivertest.Deliver(ctx, c, hubspottest.TicketCreatedRequest(t.Context(), first, thread, clientSecrets[0]))
	require.NoError(t, err)
	require.NoError(t, c.Reassign(ctx, conv, target))
	require.Equal(t, strconv.FormatInt(first, 10), srv.Events()[0].ObjectID)

	// Two tickets for one thread: refused, naming both.
	th, _ = srv.Thread(thread)
	second := th.Tickets[1]
	_, err = drivertest.Deliver(ctx, c, hubspottest.TicketCreatedRequest(t.Context(), second, thread, clientSecrets[0]))
	require.NoError(t, err)
	err = c.Reassign(ctx, conv, target)
	var amb *hubspot.AmbiguousTicketError
	require.True(t, helpdesk.ErrorAs(c, err, &amb), "%v", err)
	require.Equal(t, []string{strconv.FormatInt(first, 10), strconv.FormatInt(second, 10)}, amb.Tickets)
	require.Contains(t, err.Error(), strconv.FormatInt(second, 10))
	require.Len(t, srv.Events(), 1, "no event for an ambiguous thread")
}

func TestMemoryStoreTTL(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s := hubspot.NewMemoryStore(time.Hour, func() time.Time { return now })
	ctx := context.Background()
	require.NoError(t, s.Add(ctx, "1", "10"))
	now = now.Add(30 * time.Minute)
	require.NoError(t, s.Add(ctx, "1", "11"))
	got, _ := s.Tickets(ctx, "1")
	require.Equal(t, []string{"10", "11"}, got)
	now = now.Add(45 * time.Minute)
	got, _ = s.Tickets(ctx, "1")
	require.Equal(t, []string{"11"}, got, "the first expired")
	now = now.Add(time.Hour)
	got, _ = s.Tickets(ctx, "1")
	require.Empty(t, got)
}

func TestDailyLimitIsNotRetried(t *testing.T) {
	tz := time.FixedZone("BRT", -3*3600)
	c, srv := newTestClient(t, nil, &hubspot.Options{TimeZone: tz})
	conv := conversationOf(srv.NewThread("hello"))
	srv.SetDailyRemaining(0)
	before := srv.Requests()
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hi"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	require.Equal(t, 1, srv.Requests()-before, "a daily 429 is never retried")
	var apiErr *helpdesk.APIError
	require.True(t, helpdesk.ErrorAs(c, err, &apiErr))
	require.Equal(t, hubspot.PolicyDaily, apiErr.Code)
	require.NotEmpty(t, apiErr.RequestID)
	now := time.Now().In(tz)
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, tz)
	require.InDelta(t, time.Until(midnight).Seconds(), apiErr.RetryAfter.Seconds(), 5, "waits until the account's midnight")
}

func TestHeaderReader(t *testing.T) {
	now := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	h := http.Header{}
	h.Set(hubspot.HeaderMax, "190")
	h.Set(hubspot.HeaderRemaining, "0")
	h.Set(hubspot.HeaderInterval, "10000")
	h.Set(hubspot.HeaderDaily, "625000")
	h.Set(hubspot.HeaderDailyRemaining, "12")
	fb := hubspot.HeaderReader(http.StatusTooManyRequests, h, now)
	require.Len(t, fb.Quotas, 2)
	require.Equal(t, 190, fb.Quotas[0].Total)
	require.Equal(t, 10*time.Second, fb.Quotas[0].Window)
	require.Equal(t, hubspot.LimitDaily, fb.Quotas[1].Limit)
	require.Equal(t, 2*time.Hour, fb.Quotas[1].Reset)
	require.Equal(t, 10*time.Second, fb.RetryAfter, "a burst 429 waits for the window")
	h.Set(hubspot.HeaderDailyRemaining, "0")
	require.Equal(t, 2*time.Hour, hubspot.HeaderReader(http.StatusTooManyRequests, h, now).RetryAfter, "a daily 429 waits until midnight")
}

func TestAs(t *testing.T) {
	c, _ := newTestClient(t, nil, nil)
	var h helpdesk.Helpdesk = c
	var got *hubspot.Client
	require.True(t, helpdesk.As(h, &got))
	require.Same(t, c, got)
	var other *http.Client
	require.False(t, helpdesk.As(h, &other))
	require.False(t, helpdesk.ErrorAs(h, errors.New("x"), &other))
}

func TestCapabilitiesByMode(t *testing.T) {
	c, _ := newTestClient(t, nil, nil)
	require.False(t, c.Capabilities().Has(helpdesk.CapReassignGroup), "no team assignment in agent mode")
	require.False(t, c.Capabilities().Has(helpdesk.CapAttachments))
	c, _ = newTestClient(t, eventConfig, nil)
	require.True(t, c.Capabilities().Has(helpdesk.CapReassignGroup|helpdesk.CapReassignAgent))
}
