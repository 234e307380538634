package hubspot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

func newTestClient(t *testing.T, edit func(*hubspot.Config), opts *hubspot.Options) (*hubspot.Client, *hubspottest.Server) {
	t.Helper()
	srv := hubspottest.NewServer(t)
	cfg := srv.Config(clientSecrets...)
	if edit != nil {
		edit(&cfg)
	}
	if opts == nil {
		opts = &hubspot.Options{}
	}
	opts.HTTPClient = srv.Client()
	c, err := hubspot.New(cfg, opts)
	require.NoError(t, err)
	return c, srv
}

func deliverBody(t *testing.T, c helpdesk.Helpdesk, body []byte) ([]helpdesk.Event, error) {
	t.Helper()
	return drivertest.Deliver(context.Background(), c, hubspottest.SignedRequest(t.Context(), body, clientSecrets[0], time.Time{}))
}

func TestParseMessages(t *testing.T) {
	c, srv := newTestClient(t, nil, nil)
	thread := srv.NewThread("hello")
	ctx := context.Background()

	// A customer message: fetched, mapped, and enough to reply.
	before := srv.Requests()
	events, err := deliverBody(t, c, srv.CustomerDelivery(thread, "Where is my parcel?"))
	require.NoError(t, err)
	require.Equal(t, 1, srv.Requests()-before, "a newMessage costs one GET")
	require.Len(t, events, 1)
	e := events[0]
	require.True(t, e.IsCustomerMessage())
	require.Equal(t, "Where is my parcel?", e.Message.Text)
	require.Equal(t, "customer@example.com", e.Message.Author.Email)
	require.Equal(t, strconv.Itoa(hubspottest.PortalID), e.Conversation.Account)
	require.Equal(t, hubspottest.ChannelID, e.Conversation.Get(hubspot.ExtraChannelID))
	require.Contains(t, e.DeliveryID, strconv.Itoa(hubspottest.PortalID))
	before = srv.Requests()
	_, err = c.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: "Checking <now> & later."})
	require.NoError(t, err)
	require.Equal(t, 1, srv.Requests()-before, "the webhook's conversation is enough to reply in one request")
	th, _ := srv.Thread(thread)
	last := th.Messages[len(th.Messages)-1]
	require.Equal(t, "<p>Checking &lt;now&gt; &amp; later.</p>", last.RichText)
	require.Equal(t, "customer@example.com", last.Recipients[0].DeliveryIdentifier.Value)

	// The bot's echo is Self, without a GET in the process that sent it,
	// with one in another replica.
	echo := srv.BotDelivery(thread, "Checking <now> & later.")
	before = srv.Requests()
	events, err = deliverBody(t, c, echo)
	require.NoError(t, err)
	require.True(t, events[0].FromSelf())
	require.Equal(t, before, srv.Requests(), "the bot's own echo costs no GET")
	replica, err := hubspot.New(srv.Config(clientSecrets...), &hubspot.Options{HTTPClient: srv.Client()})
	require.NoError(t, err)
	events, err = deliverBody(t, replica, echo)
	require.NoError(t, err)
	require.True(t, events[0].FromSelf(), "found Self by its actor and app")
	require.Equal(t, helpdesk.RoleBot, events[0].Message.Author.Role)
	require.Equal(t, before+1, srv.Requests())

	// A comment is internal; a welcome message is system and costs nothing.
	_, err = c.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: "note", Internal: true})
	require.NoError(t, err)
	th, _ = srv.Thread(thread)
	comment := th.Messages[len(th.Messages)-1]
	events, err = deliverBody(t, c, hubspottest.Batch(srv.NewMessageEvent(thread, comment.ID, hubspot.TypeComment)))
	require.NoError(t, err)
	require.False(t, events[0].Message.Public)
	before = srv.Requests()
	events, err = deliverBody(t, c, hubspottest.Batch(srv.NewMessageEvent(thread, "999", hubspot.TypeWelcomeMessage)))
	require.NoError(t, err)
	require.Equal(t, helpdesk.RoleSystem, events[0].Message.Author.Role)
	require.Equal(t, before, srv.Requests(), "a welcome message costs no GET")
}

func TestReplyWithoutExtras(t *testing.T) {
	c, srv := newTestClient(t, nil, nil)
	thread := srv.NewThread("hello")
	before := srv.Requests()
	_, err := c.SendMessage(context.Background(), helpdesk.Conversation{ID: strconv.FormatInt(thread, 10)}, helpdesk.Message{Text: "Hi!"})
	require.NoError(t, err)
	require.Equal(t, 3, srv.Requests()-before, "thread + messages to find channel and recipients, then the send")
}

func TestParseProperties(t *testing.T) {
	c, srv := newTestClient(t, nil, nil)
	thread := srv.NewThread("hello")
	tests := []struct {
		name, prop, value string
		check             func(t *testing.T, e helpdesk.Event)
	}{
		{"assigned with prefix", "assignedTo", "A-71260700", func(t *testing.T, e helpdesk.Event) {
			require.Equal(t, helpdesk.EventConversationAssigned, e.Type)
			require.Equal(t, &helpdesk.Assignment{AgentID: "71260700"}, e.Assignment)
		}},
		{"assigned to the bot without prefix", "assignedTo", strconv.Itoa(hubspottest.BotUserID), func(t *testing.T, e helpdesk.Event) {
			require.True(t, e.Assignment.ToBot)
		}},
		{"closed", "status", "CLOSED", func(t *testing.T, e helpdesk.Event) {
			require.Equal(t, helpdesk.EventStatusChanged, e.Type)
			require.Equal(t, helpdesk.StatusResolved, e.Status.To)
			require.Equal(t, "CLOSED", e.Status.VendorTo)
		}},
		{"restored", "isArchived", "false", func(t *testing.T, e helpdesk.Event) {
			require.Equal(t, helpdesk.EventOther, e.Type)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, err := deliverBody(t, c, hubspottest.Batch(srv.PropertyChangeEvent(thread, tc.prop, tc.value)))
			require.NoError(t, err)
			require.Len(t, events, 1)
			tc.check(t, events[0])
		})
	}
	// Subscriptions the bot does not map give no events and a 2xx.
	events, err := deliverBody(t, c, []byte(`[{"eventId":9,"portalId":62515,"subscriptionType":"contact.creation","objectId":1,"occurredAt":1767225600000}]`))
	require.NoError(t, err)
	require.Empty(t, events)
}

func TestMessageFetchFailureRedelivers(t *testing.T) {
	c, srv := newTestClient(t, nil, &hubspot.Options{MaxRetries: -1})
	thread := srv.NewThread("hello")
	body := srv.CustomerDelivery(thread, "are you there?")
	h, err := helpdesk.NewWebhookHandler(c, func(context.Context, helpdesk.Event) error { return nil }, nil)
	require.NoError(t, err)
	srv.FailNext(http.StatusInternalServerError)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hubspottest.SignedRequest(t.Context(), body, clientSecrets[0], time.Time{}))
	require.GreaterOrEqual(t, rec.Code, 500, "a failed GET must make HubSpot redeliver: %s", rec.Body.String())
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, hubspottest.SignedRequest(t.Context(), body, clientSecrets[0], time.Time{}))
	require.Equal(t, http.StatusOK, rec.Code, "the redelivery is handled, not dropped as a duplicate: %s", rec.Body.String())
}

func TestBatchLimit(t *testing.T) {
	c, srv := newTestClient(t, nil, nil)
	thread := srv.NewThread("hello")
	var evs []hubspottest.Event
	for range hubspot.MaxBatch {
		evs = append(evs, srv.PropertyChangeEvent(thread, "status", "OPEN"))
	}
	events, err := deliverBody(t, c, hubspottest.Batch(evs...))
	require.NoError(t, err)
	require.Len(t, events, hubspot.MaxBatch)
	ids := map[string]bool{}
	for _, e := range events {
		ids[e.DeliveryID] = true
	}
	require.Len(t, ids, hubspot.MaxBatch, "every event has its own delivery id")
	evs = append(evs, srv.PropertyChangeEvent(thread, "status", "OPEN"))
	_, err = deliverBody(t, c, hubspottest.Batch(evs...))
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
}

func TestTolerantDecoding(t *testing.T) {
	c, srv := newTestClient(t, nil, nil)
	thread := srv.NewThread("hello")
	body := srv.CustomerDelivery(thread, "odd fields")
	// attemptNumber and subscriptionId as strings, an object in changeFlag:
	// fields the driver does not need never hide the message.
	odd := strings.Replace(string(body), `"changeFlag":"NEW_MESSAGE"`, `"changeFlag":{"x":1},"attemptNumber":"0","occurredAt":"x"`, 1)
	events, err := deliverBody(t, c, []byte(odd))
	require.NoError(t, err)
	require.True(t, events[0].IsCustomerMessage())
	require.Equal(t, "odd fields", events[0].Message.Text)
}

func TestWebhookSignatures(t *testing.T) {
	body := []byte(`[{"eventId":1,"portalId":62515,"subscriptionType":"conversation.creation","objectId":77,"occurredAt":1767225600000}]`)
	now := time.Now()
	external := "https://bot.example.com/webhooks/hubspot"
	signedAt := func(rawURL string, secret string, at time.Time) *http.Request {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, rawURL, strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		hubspottest.Sign(r, body, secret, at)
		return r
	}
	// received is what reaches the service behind the proxy.
	received := func(signed *http.Request) *http.Request {
		r := drivertest.SignedRequest(t.Context(), hubspottest.WebhookPath+"?"+signed.URL.RawQuery, body, signed.Header)
		return r
	}
	tests := []struct {
		name       string
		webhookURL string
		req        func() *http.Request
		wantErr    error
		reason     string
	}{
		{"current secret", "", func() *http.Request { return hubspottest.SignedRequest(t.Context(), body, clientSecrets[0], now) }, nil, ""},
		{"rotated-out secret", "", func() *http.Request { return hubspottest.SignedRequest(t.Context(), body, clientSecrets[1], now) }, nil, ""},
		{"behind a proxy, with WebhookURL", external, func() *http.Request { return received(signedAt(external+"?x=1", clientSecrets[0], now)) }, nil, ""},
		{"behind a proxy, without WebhookURL", "", func() *http.Request { return received(signedAt(external, clientSecrets[0], now)) }, helpdesk.ErrSignatureMismatch, "matches no"},
		{"WebhookURL differs from the URL HubSpot calls", "https://other.example.com/hooks", func() *http.Request {
			return hubspottest.SignedRequest(t.Context(), body, clientSecrets[0], now)
		}, helpdesk.ErrSignatureMismatch, "not the configured WebhookURL"},
		{"stale", "", func() *http.Request {
			return hubspottest.SignedRequest(t.Context(), body, clientSecrets[0], now.Add(-6*time.Minute))
		}, helpdesk.ErrSignatureStale, "tolerance"},
		{"wrong secret", "", func() *http.Request { return hubspottest.SignedRequest(t.Context(), body, "hs-other-secret-000", now) }, helpdesk.ErrSignatureMismatch, "matches no"},
		{"v2 signature on an app webhook", "", func() *http.Request {
			r := drivertest.SignedRequest(t.Context(), hubspottest.WebhookPath, body, nil)
			hubspottest.SignV2(r, body, clientSecrets[0])
			return r
		}, helpdesk.ErrSignatureMissing, "X-HubSpot-Signature-v3"},
		{"body changed", "", func() *http.Request {
			r := hubspottest.SignedRequest(t.Context(), body, clientSecrets[0], now)
			return drivertest.SignedRequest(t.Context(), hubspottest.WebhookPath, append([]byte(" "), body...), r.Header)
		}, helpdesk.ErrSignatureMismatch, "matches no"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, func(c *hubspot.Config) { c.WebhookURL = tc.webhookURL }, nil)
			_, err := drivertest.Deliver(context.Background(), c, tc.req())
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			require.Contains(t, err.Error(), tc.reason)
			for _, s := range clientSecrets {
				require.NotContains(t, err.Error(), s)
			}
		})
	}
}

func TestTicketWorkflowDelivery(t *testing.T) {
	c, srv := newTestClient(t, func(c *hubspot.Config) { c.WebhookURL = "https://bot.example.com/webhooks/hubspot" }, nil)
	thread := srv.NewThread("hello")
	ticket := srv.AddTicket(thread, true)
	body := hubspottest.TicketCreatedBody(ticket, thread)
	// HubSpot signs the external URL of the ticket route.
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "https://bot.example.com/webhooks/hubspot/tickets", strings.NewReader(string(body)))
	hubspottest.SignV2(r, body, clientSecrets[0])
	in := drivertest.SignedRequest(t.Context(), hubspottest.TicketWebhookPath, body, r.Header)
	events, err := drivertest.Deliver(context.Background(), c, in)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, hubspot.TicketAssociation{TicketID: strconv.FormatInt(ticket, 10), ThreadID: strconv.FormatInt(thread, 10)}, events[0].Extra)
	got, err := c.Associations().Tickets(context.Background(), strconv.FormatInt(thread, 10))
	require.NoError(t, err)
	require.Equal(t, []string{strconv.FormatInt(ticket, 10)}, got)

	// A forged one is refused.
	forged := http.Header{}
	forged.Set(hubspot.SignatureHeader, strings.Repeat("ab", 32))
	in = drivertest.SignedRequest(t.Context(), hubspottest.TicketWebhookPath, body, forged)
	_, err = drivertest.Deliver(context.Background(), c, in)
	require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch)
}
