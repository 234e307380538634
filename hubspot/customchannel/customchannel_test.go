package customchannel_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot/customchannel"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

const secret = "hs-app-client-secret-cc-1"

func newClient(t *testing.T) (*customchannel.Client, *hubspottest.Server) {
	srv := hubspottest.NewServer(t)
	c, err := customchannel.New(customchannel.Config{
		AccessToken: hubspottest.Token, DeveloperAPIKey: hubspottest.DeveloperAPIKey, AppID: strconv.Itoa(hubspottest.AppID),
		ClientSecrets: []string{secret}, BaseURL: srv.URL,
	}, &customchannel.Options{HTTPClient: srv.Client()})
	require.NoError(t, err)
	return c, srv
}

// A bridge registers its channel, connects an account, publishes a
// customer's messages into one thread (a retry posting nothing twice),
// receives an agent's reply and reports it delivered.
func TestBridge(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	ch, err := c.Register(ctx, customchannel.Channel{Name: "Acme Chat", WebhookURL: "https://bridge.example.com/hubspot",
		Capabilities: map[string]any{"deliveryIdentifierTypes": []string{"CHANNEL_SPECIFIC_OPAQUE_ID"}, "threadingModel": "INTEGRATION_THREAD_ID"}})
	require.NoError(t, err)
	acct, err := c.ConnectAccount(ctx, ch, customchannel.Account{Name: "Support line", InboxID: strconv.Itoa(hubspottest.InboxID), Authorized: true})
	require.NoError(t, err)

	user := customchannel.Party{DeliveryIdentifier: customchannel.DeliveryIdentifier{Type: "CHANNEL_SPECIFIC_OPAQUE_ID", Value: "user-42"}, Name: "Ana"}
	line := customchannel.Party{DeliveryIdentifier: customchannel.DeliveryIdentifier{Type: "CHANNEL_SPECIFIC_OPAQUE_ID", Value: "support"}}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	msg := customchannel.Message{Text: "My order is late", Direction: customchannel.Incoming, Senders: []customchannel.Party{user},
		Recipients: []customchannel.Party{line}, ChannelAccountID: acct, Timestamp: at, IntegrationThreadID: "conv-7"}
	p1, err := c.Publish(ctx, ch, msg)
	require.NoError(t, err)
	again, err := c.Publish(ctx, ch, msg)
	require.NoError(t, err)
	require.Equal(t, p1.ID, again.ID, "a retried publish is deduplicated by its derived integrationIdempotencyId")
	msg.Text, msg.Timestamp = "Order #123", at.Add(time.Minute)
	p2, err := c.Publish(ctx, ch, msg)
	require.NoError(t, err)
	require.Equal(t, p1.ThreadID, p2.ThreadID, "integrationThreadId keeps one thread")
	got, _ := srv.Channel(ch)
	require.Len(t, got.Messages, 2)

	body := srv.AgentReply(ch, acct, p1.ThreadID, "We are on it!")
	req := &helpdesk.WebhookRequest{Method: http.MethodPost, Header: http.Header{}, Body: body, ReceivedAt: time.Now()}
	r, _ := http.NewRequest(http.MethodPost, "https://bridge.example.com/hubspot", nil)
	hubspottest.Sign(r, body, secret, time.Now())
	req.URL, req.Header = r.URL, r.Header
	wh, err := c.ParseWebhook(req)
	require.NoError(t, err)
	require.Equal(t, customchannel.TypeOutgoingMessage, wh.Type)
	require.Equal(t, "We are on it!", wh.Message.Text)
	require.Equal(t, "user-42", wh.Message.Recipients[0].DeliveryIdentifier.Value)
	require.NoError(t, c.UpdateStatus(ctx, ch, wh.Message.ID, customchannel.StatusSent, ""))
	got, _ = srv.Channel(ch)
	require.Equal(t, customchannel.StatusSent, got.Messages[len(got.Messages)-1].Status)

	// An unsigned or tampered webhook is refused.
	req.Body = append(body, ' ')
	_, err = c.ParseWebhook(req)
	require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch)
}

func TestRefused(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	_, err := c.ConnectAccount(ctx, "1", customchannel.Account{Name: "x", InboxID: "1", Authorized: true})
	require.ErrorIs(t, err, helpdesk.ErrNotFound)
	_, err = c.Publish(ctx, "1", customchannel.Message{Text: "x", Direction: "SIDEWAYS"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	ch, err := c.Register(ctx, customchannel.Channel{Name: "Acme"})
	require.NoError(t, err)
	_, err = c.Publish(ctx, ch, customchannel.Message{Text: "x", Direction: customchannel.Incoming, ChannelAccountID: "999",
		Senders:    []customchannel.Party{{DeliveryIdentifier: customchannel.DeliveryIdentifier{Type: "HS_EMAIL_ADDRESS", Value: "a@example.com"}}},
		Recipients: []customchannel.Party{{DeliveryIdentifier: customchannel.DeliveryIdentifier{Type: "HS_EMAIL_ADDRESS", Value: "b@example.com"}}}})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest, "an account not connected")
	_, err = customchannel.New(customchannel.Config{}, nil)
	require.ErrorIs(t, err, helpdesk.ErrInvalidConfig)
}

// Publish carries an integrationIdempotencyId HubSpot dedupes on, so the
// transport retries it after any fault, before or after HubSpot processed
// it, and the channel holds each message once.
func TestPublishUnderFaults(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	ch, err := c.Register(ctx, customchannel.Channel{Name: "Acme Chat"})
	require.NoError(t, err)
	acct, err := c.ConnectAccount(ctx, ch, customchannel.Account{Name: "Support line", InboxID: strconv.Itoa(hubspottest.InboxID), Authorized: true})
	require.NoError(t, err)
	user := customchannel.Party{DeliveryIdentifier: customchannel.DeliveryIdentifier{Type: "CHANNEL_SPECIFIC_OPAQUE_ID", Value: "user-42"}}
	line := customchannel.Party{DeliveryIdentifier: customchannel.DeliveryIdentifier{Type: "CHANNEL_SPECIFIC_OPAQUE_ID", Value: "support"}}
	var want []string
	for _, f := range drivertest.AllFaults {
		t.Run(f.String(), func(t *testing.T) {
			writes := 0
			srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{f}, Hold: 500 * time.Millisecond, RetryAfter: time.Second,
				Match: func(r *http.Request) bool {
					if r.Method != http.MethodPost {
						return false
					}
					writes++
					return writes == 1
				}})
			text := "Message under " + f.String()
			_, err := c.Publish(ctx, ch, customchannel.Message{Text: text, Direction: customchannel.Incoming, Senders: []customchannel.Party{user},
				Recipients: []customchannel.Party{line}, ChannelAccountID: acct, IntegrationThreadID: "conv-faults"})
			require.NoError(t, err)
			require.Equal(t, 1, srv.InjectedFaults()[f])
			want = append(want, text)
			got, _ := srv.Channel(ch)
			var texts []string
			for _, m := range got.Messages {
				texts = append(texts, m.Text)
			}
			require.Equal(t, want, texts)
		})
	}
}
