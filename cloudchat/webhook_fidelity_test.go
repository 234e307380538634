package cloudchat_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// Fixture sources: testdata/README.md.

// signedRequest is an *http.Request of body signed now, for the webhook
// handler.
func signedRequest(body []byte, delivery string) *http.Request {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/cloudchat", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(cloudchat.HeaderTimestamp, ts)
	r.Header.Set(cloudchat.HeaderDelivery, delivery)
	r.Header.Set(cloudchat.HeaderSignature, cloudchat.Scheme().Sign(testSecret, &helpdesk.WebhookRequest{Body: body}, ts))
	return r
}

// Chatwoot reports one status change as conversation_updated (status among
// the changed attributes) and as conversation_status_changed, each with its
// own X-Chatwoot-Delivery: the host must see it once.
func TestOneStatusChangeReachesTheHostOnce(t *testing.T) {
	c := parserClient(t, nil)
	var mu sync.Mutex
	var got []helpdesk.Event
	h, err := helpdesk.NewWebhookHandler(c, func(_ context.Context, e helpdesk.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		return nil
	}, nil)
	require.NoError(t, err)
	for i, file := range []string{"conversation_updated_status.json", "conversation_status_changed_pair.json"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signedRequest(fixture(t, file), "delivery-"+strconv.Itoa(i)))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 1, "one status change, one event")
	require.Equal(t, helpdesk.EventStatusChanged, got[0].Type)
	require.Equal(t, &helpdesk.StatusChange{From: helpdesk.StatusPending, To: helpdesk.StatusOpen, VendorFrom: "pending", VendorTo: "open"}, got[0].Status)

	// A later change of the same conversation is another delivery.
	later := strings.Replace(string(fixture(t, "conversation_status_changed_pair.json")), `"updated_at":1784020900.25`, `"updated_at":1784021900.5`, 1)
	later = strings.Replace(later, `"status":"open"`, `"status":"resolved"`, 1)
	evs, err := c.ParseWebhook(context.Background(), signed([]byte(later), testSecret, fixedNow, ""))
	require.NoError(t, err)
	require.NotEqual(t, got[0].DeliveryID, evs[0].DeliveryID)
}

// A conversation event happened at updated_at; timestamp is the last
// activity (the last message), which a status change does not move.
func TestConversationEventTimeIsUpdatedAt(t *testing.T) {
	c := parserClient(t, nil)
	for _, file := range []string{"conversation_updated_status.json", "conversation_status_changed_pair.json"} {
		evs, err := c.ParseWebhook(context.Background(), signed(fixture(t, file), testSecret, fixedNow, ""))
		require.NoError(t, err)
		for _, e := range evs {
			require.Equal(t, time.Unix(1784020900, 25e7).UTC(), e.OccurredAt, file)
		}
	}
}

func TestAttachmentNames(t *testing.T) {
	c := parserClient(t, nil)
	evs, err := c.ParseWebhook(context.Background(), signed(fixture(t, "message_created_attachments.json"), testSecret, fixedNow, ""))
	require.NoError(t, err)
	require.True(t, evs[0].IsCustomerMessage())
	require.Equal(t, []helpdesk.Attachment{
		{URL: "https://chat.example.test/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnsiZGF0YSI6NTAxfX0=--d1e2/recibo%20pedido.jpg", Name: "recibo pedido.jpg", Size: 48213},
		{URL: "https://maps.google.com/?q=-23.55,-46.63", Name: "Av. Paulista, 1000"},
	}, evs[0].Message.Attachments)
}

func TestWebwidgetTriggeredConversation(t *testing.T) {
	c := parserClient(t, nil)
	evs, err := c.ParseWebhook(context.Background(), signed(fixture(t, "webwidget_triggered.json"), testSecret, fixedNow, ""))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	e := evs[0]
	require.Equal(t, helpdesk.EventOther, e.Type)
	require.Equal(t, "207", e.Conversation.ID, "current_conversation carries the conversation")
	require.Equal(t, helpdesk.ChannelWebChat, e.Conversation.Channel)
	require.Equal(t, "pending", e.Conversation.Get(cloudchat.ExtraStatus))
	ve, ok := e.Extra.(*cloudchat.VendorEvent)
	require.True(t, ok)
	require.Equal(t, "78", ve.Contact.ID)
}

// A field the driver does not need, with an unexpected JSON type, never
// hides a customer's message (content_attributes stored as a JSON string,
// as API clients that send it as a string leave it); a field it needs,
// malformed, is a 400.
func TestDecodesTolerantly(t *testing.T) {
	c := parserClient(t, nil)
	base := string(fixture(t, "message_created_incoming.json"))
	body := strings.Replace(base, `"content_attributes":{}`, `"content_attributes":"{}"`, 1)
	body = strings.Replace(body, `"inbox":{"id":4,"name":"WhatsApp"}`, `"inbox":"WhatsApp"`, 1)
	require.NotEqual(t, base, body)
	evs, err := c.ParseWebhook(context.Background(), signed([]byte(body), testSecret, fixedNow, ""))
	require.NoError(t, err)
	require.True(t, evs[0].IsCustomerMessage())
	require.Equal(t, "Hi, where is my order?", evs[0].Message.Text)

	for name, edit := range map[string][2]string{
		"content not a string": {`"content":"Hi, where is my order?"`, `"content":["Hi"]`},
		"private not a bool":   {`"private":false`, `"private":"no"`},
		"sender type":          {`"sender":{"id":77,`, `"sender":{"type":{"t":1},"id":77,`},
		"status":               {`"status":"pending"`, `"status":1`},
		"account":              {`"account":{"id":1,"name":"Acme"}`, `"account":"Acme"`},
	} {
		b := strings.Replace(base, edit[0], edit[1], 1)
		require.NotEqual(t, base, b, name)
		_, err := c.ParseWebhook(context.Background(), signed([]byte(b), testSecret, fixedNow, ""))
		require.ErrorIs(t, err, helpdesk.ErrInvalidPayload, name)
		require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err), name)
	}
}

// A raw NUL byte is refused, as by every driver; the escaped \u0000 is
// valid JSON and accepted.
func TestRawNULRefused(t *testing.T) {
	c := parserClient(t, nil)
	base := string(fixture(t, "message_created_incoming.json"))
	_, err := c.ParseWebhook(context.Background(), signed([]byte(strings.Replace(base, "where is", "where\x00is", 1)), testSecret, fixedNow, ""))
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
	require.Equal(t, http.StatusBadRequest, helpdesk.WebhookStatus(err))
	evs, err := c.ParseWebhook(context.Background(), signed([]byte(strings.Replace(base, "where is", `where\u0000is`, 1)), testSecret, fixedNow, ""))
	require.NoError(t, err)
	require.Equal(t, "Hi, where\x00is my order?", evs[0].Message.Text)
}

// FuzzMutatedCustomerMessage mutates known-good customer messages: a body
// that still says it is a message_created is a message event or a 4xx,
// never an EventOther (a customer message must never turn into silence).
func FuzzMutatedCustomerMessage(f *testing.F) {
	for _, name := range []string{"message_created_incoming.json", "message_created_attachments.json"} {
		b, err := os.ReadFile("testdata/" + name)
		require.NoError(f, err)
		f.Add(b)
	}
	c := parserClient(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := c.ParseWebhook(context.Background(), signed(body, testSecret, fixedNow, ""))
		if err != nil {
			if st := helpdesk.WebhookStatus(err); st < 400 || st > 499 {
				t.Fatalf("status %d for %v", st, err)
			}
			return
		}
		var head struct {
			Event string `json:"event"`
		}
		if json.Unmarshal(body, &head) != nil || head.Event != "message_created" {
			return
		}
		if len(evs) != 1 || evs[0].Type != helpdesk.EventMessageCreated || evs[0].Message == nil {
			t.Fatalf("a message_created became %+v", evs)
		}
	})
}
