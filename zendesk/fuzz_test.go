package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

var fuzzNow = time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)

func fuzzClient(t testing.TB) *Client {
	c, err := New(Config{Subdomain: "acme", Email: "bot@acme.example", APIToken: "tok-123456", BotUserID: 9001, N2GroupID: 200,
		WebhookSecrets: []string{"whsec"}, SunshineAppID: "app", SunshineKeyID: "app_k", SunshineSecret: "sec-123456",
		SunshineWebhookSecrets: []string{"sunkey"}, BotName: "Support Bot", BaseURL: "http://127.0.0.1:1", SunshineBaseURL: "http://127.0.0.1:1"},
		&Options{NoBudget: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addFixtures(f *testing.F, prefix string) {
	files, _ := filepath.Glob(filepath.Join("testdata", prefix+"*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func requireWebhookError(t *testing.T, err error) {
	t.Helper()
	var we *helpdesk.WebhookError
	if !errors.As(err, &we) || !(errors.Is(err, helpdesk.ErrInvalidPayload) || errors.Is(err, helpdesk.ErrInvalidSignature)) {
		t.Fatalf("error %v (%T) is not a typed webhook error", err, err)
	}
}

// FuzzParseTrigger signs arbitrary bodies and parses them: no panic, a
// typed error or events with a ticket id; and the fast decoder agrees with
// json.Unmarshal whenever it accepts a body.
func FuzzParseTrigger(f *testing.F) {
	addFixtures(f, "trigger_")
	addFixtures(f, "event_")
	f.Add([]byte(`{"ticketId":"1","text":"a\u00e9\ud83d\ude00\n","attachments":[{"filename":"x","url":"y"}],"author":{"id":"9001"}}`))
	f.Add([]byte(`{"ticketId":"1","TicketId":"2"}`))
	f.Add([]byte(`{"ticketId":"1","text":"\ud800"}`))
	f.Add([]byte("{\"ticketId\":\"1\",\"text\":\"raw\nline\"}"))
	f.Add([]byte(`{"ticketId":"01","extra":"x","attachments":[]}`))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast TriggerPayload
		if fastDecodeTrigger(body, &fast) {
			var std TriggerPayload
			if err := json.Unmarshal(body, &std); err != nil {
				t.Fatalf("fast decoder accepted a body json.Unmarshal refuses: %v", err)
			}
			if !reflect.DeepEqual(fast, std) {
				t.Fatalf("fast decoder differs from json.Unmarshal:\nfast %#v\nstd  %#v", fast, std)
			}
		}
		ts := fuzzNow.Format(time.RFC3339)
		h := http.Header{"Content-Type": {"application/json"}}
		h.Set(HeaderSignatureTimestamp, ts)
		h.Set(HeaderSignature, TriggerScheme().Sign("whsec", &helpdesk.WebhookRequest{Body: body}, ts))
		events, err := c.ParseWebhook(context.Background(), &helpdesk.WebhookRequest{Header: h, Body: body, ReceivedAt: fuzzNow})
		if err != nil {
			requireWebhookError(t, err)
			return
		}
		if len(events) != 1 || events[0].DeliveryID == "" {
			t.Fatalf("bad events %+v", events)
		}
		// Only an event-subscription webhook of an unmapped type (e.g. a
		// user event) may have no ticket.
		if events[0].Conversation.ID == "" && !(events[0].Type == helpdesk.EventOther && strings.HasPrefix(events[0].VendorType, "zen:event-type:")) {
			t.Fatalf("event without a conversation: %+v", events[0])
		}
		if m := events[0].Message; m != nil && m.Author.Self && m.Author.Role != helpdesk.RoleBot {
			t.Fatalf("self message with role %s", m.Author.Role)
		}
	})
}

// FuzzParseSunshine parses arbitrary bodies with the right X-API-Key: no
// panic, a typed error, or events that each carry a delivery id.
func FuzzParseSunshine(f *testing.F) {
	addFixtures(f, "sunshine_")
	f.Add([]byte(`{"app":{"id":"a"},"events":[]}`))
	f.Add([]byte(`{"events":[{"id":"e","type":"conversation:message","payload":{"conversation":{"id":"c"},"message":{"id":"m","author":{"type":"user"},"content":{"type":"text","text":"hi"},"source":{"type":"web"}}}}]}`))
	f.Add([]byte(`{"events":[{"type":"switchboard:passControl","payload":{"conversation":{"id":"c","activeSwitchboardIntegration":null}}}]}`))
	f.Add([]byte(`{"events":[{"id":"p","type":"conversation:postback","payload":null}]}`))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {"sunkey"}}
		events, err := c.ParseWebhook(context.Background(), &helpdesk.WebhookRequest{Header: h, Body: body, ReceivedAt: fuzzNow})
		if err != nil {
			requireWebhookError(t, err)
			return
		}
		for _, e := range events {
			if e.DeliveryID == "" {
				t.Fatalf("event without delivery id: %+v", e)
			}
			if e.Type == helpdesk.EventMessageCreated && (e.Message == nil || e.Conversation.ID == "") {
				t.Fatalf("message event without message or conversation: %+v", e)
			}
			if e.IsCustomerMessage() && e.Message.Author.Self {
				t.Fatalf("own message looks like the customer's: %+v", e)
			}
		}
	})
}

// FuzzMutatedCustomerMessage mutates known-good customer messages of every
// Zendesk webhook kind (trigger bodies, event-subscription webhooks,
// Sunshine deliveries): the answer is a 4xx, or, for a body that still
// says it carries a message (a trigger body with a comment id or text, an
// event of a message type, a Sunshine conversation:message), a message
// event, never an EventOther: a customer message never turns into a
// silent 200.
func FuzzMutatedCustomerMessage(f *testing.F) {
	for _, name := range []string{"trigger_customer.json", "trigger_seed.json", "event_comment_added_customer.json",
		"event_messaging_message_added_end_user.json", "sunshine_numeric_external_id.json", "sunshine_form_response.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.HasPrefix(name, "sunshine_"), b)
	}
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, sunshine bool, body []byte) {
		h := http.Header{"Content-Type": {"application/json"}}
		if sunshine {
			h.Set(HeaderSunshineAPIKey, "sunkey")
		} else {
			ts := fuzzNow.Format(time.RFC3339)
			h.Set(HeaderSignatureTimestamp, ts)
			h.Set(HeaderSignature, TriggerScheme().Sign("whsec", &helpdesk.WebhookRequest{Body: body}, ts))
		}
		events, err := c.ParseWebhook(context.Background(), &helpdesk.WebhookRequest{Header: h, Body: body, ReceivedAt: fuzzNow})
		if err != nil {
			if st := helpdesk.WebhookStatus(err); st < 400 || st > 499 {
				t.Fatalf("status %d for %v", st, err)
			}
			return
		}
		requireMessage := func(i int, why string) {
			if i >= len(events) || events[i].Type != helpdesk.EventMessageCreated || events[i].Message == nil {
				t.Fatalf("%s became %+v", why, events)
			}
		}
		if sunshine {
			var env struct {
				Events []struct {
					Type any `json:"type"`
				} `json:"events"`
			}
			if json.Unmarshal(body, &env) != nil || len(env.Events) != len(events) {
				return
			}
			for i, e := range env.Events {
				if e.Type == "conversation:message" {
					requireMessage(i, "a conversation:message")
				}
			}
			return
		}
		var head struct {
			Type      any `json:"type"`
			CommentID any `json:"commentId"`
			Text      any `json:"text"`
		}
		if json.Unmarshal(body, &head) != nil {
			return
		}
		switch typ, _ := head.Type.(string); {
		case typ == EventTypeCommentAdded || typ == EventTypeMessagingMessageAdded:
			requireMessage(0, typ)
		case strings.HasPrefix(typ, eventTypePrefix):
		default:
			for _, v := range []any{head.CommentID, head.Text} {
				switch v := v.(type) {
				case nil:
				case string:
					if strings.TrimSpace(v) != "" {
						requireMessage(0, "a trigger body with a comment")
					}
				default:
					t.Fatalf("a trigger body with a malformed comment field was accepted: %+v", events)
				}
			}
		}
	})
}
