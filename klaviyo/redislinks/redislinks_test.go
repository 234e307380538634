package redislinks_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/redislinks"
)

func TestStoreSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	prefix := redistest.KeyPrefix(t)
	rc := redistest.Client(t)
	other := redis.NewClient(&redis.Options{Addr: rc.Options().Addr}) // a second replica
	t.Cleanup(func() { _ = other.Close() })
	a, err := redislinks.New(rc, prefix, 0)
	require.NoError(t, err)
	b, err := redislinks.New(other, prefix, 0)
	require.NoError(t, err)

	ticket := func(id string) helpdesk.Conversation {
		return helpdesk.Conversation{Vendor: "zendesk", Account: "acme", ID: id, Channel: helpdesk.ChannelSMS}
	}
	sms := helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: "01P1", Extra: map[string]string{klaviyo.ExtraConversationID: "01C1"}}
	l := klaviyo.Link{Phone: "+5511987654321", SMS: sms, Ticket: ticket("101")}
	require.NoError(t, a.Put(ctx, l))

	got, ok, err := b.ByPhone(ctx, l.Phone)
	require.NoError(t, err)
	require.True(t, ok, "another replica finds the link")
	require.Equal(t, l, got)
	got, ok, err = b.ByTicket(ctx, klaviyo.TicketKey(ticket("101")))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "01C1", got.SMS.Get(klaviyo.ExtraConversationID))

	// A new ticket for the phone: the old ticket no longer leads to it.
	require.NoError(t, b.Put(ctx, klaviyo.Link{Phone: l.Phone, SMS: sms, Ticket: ticket("102")}))
	_, ok, err = a.ByTicket(ctx, klaviyo.TicketKey(ticket("101")))
	require.NoError(t, err)
	require.False(t, ok)

	require.NoError(t, a.Delete(ctx, l.Phone))
	_, ok, err = b.ByPhone(ctx, l.Phone)
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, err = b.ByTicket(ctx, klaviyo.TicketKey(ticket("102")))
	require.NoError(t, err)
	require.False(t, ok)

	_, err = redislinks.New(nil, "", 0)
	require.Error(t, err)
}
