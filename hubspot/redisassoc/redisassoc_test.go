package redisassoc_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
	"github.com/agentdesk/agentdesk/hubspot/redisassoc"
)

func TestAddTickets(t *testing.T) {
	s, err := redisassoc.New(redistest.Client(t), redistest.KeyPrefix(t), 0)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Add(ctx, "1", "10"))
	require.NoError(t, s.Add(ctx, "1", "11"))
	require.NoError(t, s.Add(ctx, "1", "10"))
	got, err := s.Tickets(ctx, "1")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"10", "11"}, got)
	got, err = s.Tickets(ctx, "2")
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = redisassoc.New(nil, "", 0)
	require.Error(t, err)
}

// One replica receives the ticket-created workflow, another hands the
// thread over: the shared store gives it the ticket.
func TestReplicasShareAssociations(t *testing.T) {
	client, prefix := redistest.Client(t), redistest.KeyPrefix(t)
	srv := hubspottest.NewServer(t)
	secret := "hs-client-secret-redis-1"
	replica := func() *hubspot.Client {
		store, err := redisassoc.New(client, prefix, 0)
		require.NoError(t, err)
		cfg := srv.Config(secret)
		cfg.HandoverMode = hubspot.HandoverEvent
		cfg.Handover = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.Itoa(hubspottest.TeamID)}
		cfg.HandoverEvent = hubspottest.EventName
		c, err := hubspot.New(cfg, &hubspot.Options{HTTPClient: srv.Client(), Associations: store})
		require.NoError(t, err)
		return c
	}
	a, b := replica(), replica()
	thread := srv.NewThread("hello")
	th, _ := srv.Thread(thread)
	srv.AddTicket(thread, true) // the API no longer tells the ticket
	ctx := context.Background()
	_, err := drivertest.Deliver(ctx, a, hubspottest.TicketCreatedRequest(t.Context(), th.Tickets[0], thread, secret))
	require.NoError(t, err)
	conv := helpdesk.Conversation{Vendor: hubspot.Vendor, ID: strconv.FormatInt(thread, 10)}
	require.NoError(t, b.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.Itoa(hubspottest.TeamID)}))
	require.Equal(t, strconv.FormatInt(th.Tickets[0], 10), srv.Events()[0].ObjectID)
}
