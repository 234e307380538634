package klaviyotest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/klaviyo"
)

// WebhookPath is where the tests' webhook endpoint listens.
const WebhookPath = "/webhooks/klaviyo"

// Sign sets Klaviyo-Signature and Klaviyo-Timestamp on r for body, signed
// with secret at time at, and Klaviyo-Webhook-Id to webhookID, as Klaviyo
// delivers a system webhook.
func Sign(r *http.Request, body []byte, secret, webhookID string, at time.Time) {
	r.Header.Set(klaviyo.WebhookIDHeader, webhookID)
	klaviyo.Scheme.SignRequest(r, body, secret, at)
}

// SignedRequest returns a delivery POST of body from webhook WebhookID,
// signed with secret at time at (zero: now).
func SignedRequest(ctx context.Context, body []byte, secret string, at time.Time) *http.Request {
	if at.IsZero() {
		at = time.Now()
	}
	r := drivertest.SignedRequest(ctx, WebhookPath, body, nil)
	Sign(r, body, secret, WebhookID, at)
	return r
}

// Delivery returns a delivery body holding items, from webhook
// WebhookID.
func Delivery(items ...klaviyo.DeliveryItem) []byte {
	b, err := json.Marshal(klaviyo.Delivery{
		Data: append([]klaviyo.DeliveryItem{}, items...),
		Meta: klaviyo.DeliveryMeta{AccountID: AccountID, WebhookID: WebhookID, Timestamp: time.Now().UTC().Format(time.RFC3339)},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// SentSMS returns the delivery reporting that the profile texted text to
// the account (topic event:klaviyo.sent_sms), and records the text in the
// profile's conversation. A second call with the same arguments returns
// the same body, as Klaviyo's redelivery of one event.
func (s *Server) SentSMS(profileID, text string) []byte {
	return s.smsDelivery(klaviyo.TopicSentSMS, Inbound, profileID, text)
}

// ReceivedSMS returns the delivery reporting that the account's text
// reached the profile (topic event:klaviyo.received_sms): the echo of a
// reply.
func (s *Server) ReceivedSMS(profileID, text string) []byte {
	return s.smsDelivery(klaviyo.TopicReceivedSMS, Outbound, profileID, text)
}

// SMSItem returns the delivery item of an SMS event, for tests that build
// their own deliveries.
func SMSItem(topic, eventID, profileID, phone, conversationID, text string, at time.Time) klaviyo.DeliveryItem {
	props := map[string]any{"Message Body": text, "Conversation ID": conversationID}
	if topic == klaviyo.TopicSentSMS {
		props["To Number"] = SendingNumber
	}
	metric := map[string]string{klaviyo.TopicSentSMS: "SentSMS", klaviyo.TopicReceivedSMS: "ReceivedSMS"}[topic]
	payload, err := json.Marshal(map[string]any{
		"data": map[string]any{
			"type": "event", "id": eventID,
			"attributes": map[string]any{
				"timestamp": at.Unix(), "datetime": at.UTC().Format(time.RFC3339),
				"event_properties": props, "uuid": eventID + "-uuid",
			},
			"relationships": map[string]any{
				"profile": map[string]any{"data": map[string]string{"type": "profile", "id": profileID}},
				"metric":  map[string]any{"data": map[string]string{"type": "metric", "id": metric}},
			},
			"links": map[string]string{"self": "https://a.klaviyo.com/api/events/" + eventID},
		},
		"included": []any{map[string]any{
			"type": "profile", "id": profileID,
			"attributes": map[string]any{"phone_number": phone},
		}},
	})
	if err != nil {
		panic(err)
	}
	return klaviyo.DeliveryItem{Topic: topic, ExternalID: eventID, Payload: payload}
}

func (s *Server) smsDelivery(topic, direction, profileID, text string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := fmt.Sprintf("%s/%s/%q", topic, profileID, text)
	if b, ok := s.deliveries[key]; ok {
		return b
	}
	p, ok := s.profiles[profileID]
	if !ok {
		p = &Profile{ID: profileID}
		s.profiles[profileID] = p
	}
	c := s.smsConversation(profileID)
	if c == nil {
		c = &Conversation{ID: s.id("01C"), ProfileID: profileID, Channel: "sms"}
		s.convs[c.ID] = c
	}
	m := Message{ID: s.id("01E"), Body: text, Direction: direction, At: time.Now().UTC()}
	if direction == Inbound {
		c.Messages = append(c.Messages, m)
	}
	b := Delivery(SMSItem(topic, m.ID, profileID, p.Phone, c.ID, text, m.At))
	s.deliveries[key] = b
	return b
}
