package klaviyo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// System webhook delivery headers.
const (
	SignatureHeader = "Klaviyo-Signature"
	TimestampHeader = "Klaviyo-Timestamp"
	WebhookIDHeader = "Klaviyo-Webhook-Id"
)

// Webhook topics of the SMS metrics. Klaviyo names them from the
// profile's side: Sent SMS is a text the customer sent to your number,
// Received SMS is your text reaching the customer (conversation replies
// included).
const (
	// TopicSentSMS is the customer's inbound text: subscribe to it.
	TopicSentSMS = "event:klaviyo.sent_sms"
	// TopicReceivedSMS is the account's own text (the bot's reply, an
	// agent's, a campaign's) reaching the customer: parsed as the bot's
	// own echo, never answered.
	TopicReceivedSMS = "event:klaviyo.received_sms"
)

// Scheme is how Klaviyo signs system webhook deliveries:
// Klaviyo-Signature is hex HMAC-SHA256, keyed with the webhook's
// secret_key, over the raw body followed by the Klaviyo-Timestamp value
// (an HTTP date), with no separator. Test signers sign with
// Scheme.SignRequest. Do not modify it.
var Scheme = driver.Scheme{
	Header:          SignatureHeader,
	Hash:            sha256.New,
	Encoding:        driver.Hex,
	TimestampHeader: TimestampHeader,
	TimeFormat:      driver.HTTPDate,
	Message: func(req *helpdesk.WebhookRequest, ts string) [][]byte {
		return [][]byte{req.Body, []byte(ts)}
	},
}

// Event properties the parser reads from an SMS event, in order of
// preference (Klaviyo does not publish the SMS metrics' property names;
// the parser takes the first present).
var (
	BodyProperties           = []string{"Message Body", "message_body", "Body", "body", "Message", "message", "Text", "text"}
	PhoneProperties          = []string{"Phone Number", "phone_number", "From Number", "from_number"}
	SendingNumberProperties  = []string{"To Number", "to_number", "Sending Number", "sending_number"}
	ConversationIDProperties = []string{"Conversation ID", "conversation_id"}
)

// Delivery is a system webhook body.
type Delivery struct {
	Data []DeliveryItem `json:"data"`
	Meta DeliveryMeta   `json:"meta"`
}

// DeliveryItem is one event of a delivery; Payload has the shape of Get
// Event (GET /api/events/{id}).
type DeliveryItem struct {
	Topic      string          `json:"topic"`
	ExternalID string          `json:"external_id,omitempty"`
	Payload    json.RawMessage `json:"payload"`
}

// DeliveryMeta is a delivery's meta object.
type DeliveryMeta struct {
	AccountID string `json:"klaviyo_account_id"`
	WebhookID string `json:"klaviyo_webhook_id"`
	Timestamp string `json:"timestamp,omitempty"`
}

// payloadEvent is the part of a Get Event answer the parser needs.
type payloadEvent struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Attributes struct {
		Timestamp       json.Number    `json:"timestamp"`
		Datetime        string         `json:"datetime"`
		EventProperties map[string]any `json:"event_properties"`
		UUID            string         `json:"uuid"`
	} `json:"attributes"`
	Relationships struct {
		Profile struct {
			Data *resourceID `json:"data"`
		} `json:"profile"`
	} `json:"relationships"`
}

type payload struct {
	Data     *payloadEvent `json:"data"`
	Included []struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes struct {
			PhoneNumber string `json:"phone_number"`
			Email       string `json:"email"`
			FirstName   string `json:"first_name"`
			LastName    string `json:"last_name"`
		} `json:"attributes"`
	} `json:"included"`
}

// verifyWebhook checks the signature and time (driver.Verifier), then
// that the body's meta.klaviyo_webhook_id is the Klaviyo-Webhook-Id
// header: a signed body replayed under another webhook is refused.
func (c *Client) verifyWebhook(req *helpdesk.WebhookRequest) error {
	if _, err := c.verifier.Verify(req, &Scheme); err != nil {
		return err
	}
	hdr := strings.TrimSpace(req.Header.Get(WebhookIDHeader))
	if hdr == "" {
		return driver.InvalidSignature(helpdesk.ErrSignatureMissing, "no %s header", WebhookIDHeader)
	}
	var d struct {
		Meta *DeliveryMeta `json:"meta"`
	}
	if json.Unmarshal(req.Body, &d) != nil || d.Meta == nil {
		return nil // unreadable: ParseWebhook says so
	}
	if d.Meta.WebhookID != hdr {
		return driver.InvalidSignature(helpdesk.ErrSignatureMismatch, "meta.klaviyo_webhook_id differs from the %s header", WebhookIDHeader)
	}
	return nil
}

// parseWebhook maps Sent SMS to customer messages and Received SMS to the
// bot's own echo; other topics give no events.
func (c *Client) parseWebhook(req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if err := req.RequireJSON(); err != nil {
		return nil, err
	}
	var d Delivery
	if err := json.Unmarshal(req.Body, &d); err != nil {
		return nil, driver.InvalidPayload("body is not a Klaviyo webhook delivery")
	}
	if d.Data == nil {
		return nil, driver.InvalidPayload("delivery without a data array")
	}
	signed, _ := Scheme.TimeFormat.Parse(req.Header.Get(TimestampHeader))
	var events []helpdesk.Event
	for i, it := range d.Data {
		inbound := it.Topic == TopicSentSMS
		if !inbound && it.Topic != TopicReceivedSMS {
			continue
		}
		ev, err := c.smsEvent(it, inbound, signed)
		if err != nil {
			return nil, driver.InvalidPayload("data[%d]: %s", i, err.Error())
		}
		events = append(events, ev)
	}
	return events, nil
}

type payloadError string

func (e payloadError) Error() string { return string(e) }

func (c *Client) smsEvent(it DeliveryItem, inbound bool, signed time.Time) (helpdesk.Event, error) {
	var p payload
	if len(it.Payload) == 0 || json.Unmarshal(it.Payload, &p) != nil {
		return helpdesk.Event{}, payloadError("payload is not an event")
	}
	ev := p.Data
	if ev == nil {
		// A bare event object instead of a Get Event answer.
		ev = new(payloadEvent)
		if json.Unmarshal(it.Payload, ev) != nil {
			return helpdesk.Event{}, payloadError("payload is not an event")
		}
	}
	if ev.Relationships.Profile.Data == nil || ev.Relationships.Profile.Data.ID == "" {
		return helpdesk.Event{}, payloadError("SMS event without a profile")
	}
	profileID := ev.Relationships.Profile.Data.ID
	props := ev.Attributes.EventProperties
	conv := helpdesk.Conversation{Vendor: Vendor, ID: profileID, Channel: helpdesk.ChannelSMS}
	phone := property(props, PhoneProperties)
	var name, email string
	for _, inc := range p.Included {
		if inc.Type == "profile" && inc.ID == profileID {
			if phone == "" {
				phone = inc.Attributes.PhoneNumber
			}
			email = inc.Attributes.Email
			name = strings.TrimSpace(inc.Attributes.FirstName + " " + inc.Attributes.LastName)
		}
	}
	if phone != "" {
		conv = conv.With(ExtraPhone, phone)
	}
	if n := property(props, SendingNumberProperties); n != "" && inbound {
		conv = conv.With(ExtraSendingNumber, n)
	} else if c.cfg.SendingNumber != "" {
		conv = conv.With(ExtraSendingNumber, c.cfg.SendingNumber)
	}
	if id := property(props, ConversationIDProperties); id != "" {
		conv = conv.With(ExtraConversationID, id)
	}
	author := helpdesk.Author{Role: helpdesk.RoleCustomer, ID: profileID, Phone: phone, Email: email, Name: name}
	if !inbound {
		author = helpdesk.Author{Role: helpdesk.RoleBot, Self: true}
	}
	id := ev.ID
	if id == "" {
		id = ev.Attributes.UUID
	}
	if id == "" {
		id = it.ExternalID
	}
	if id == "" {
		sum := sha256.Sum256(it.Payload)
		id = "sha256:" + hex.EncodeToString(sum[:12])
	}
	return helpdesk.Event{
		Type:         helpdesk.EventMessageCreated,
		VendorType:   it.Topic,
		DeliveryID:   "klaviyo:" + id,
		OccurredAt:   occurredAt(ev, signed),
		Conversation: conv,
		Message: &helpdesk.InboundMessage{
			ID:     id,
			Author: author,
			Text:   property(props, BodyProperties),
			Public: true,
		},
		Raw: json.RawMessage(bytes.Clone(it.Payload)),
	}, nil
}

// property returns the first of keys present in props as a string.
func property(props map[string]any, keys []string) string {
	for _, k := range keys {
		switch v := props[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

// occurredAt is the event's datetime, else its timestamp, else the signed
// time.
func occurredAt(ev *payloadEvent, signed time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, ev.Attributes.Datetime); err == nil {
		return t
	}
	if n, err := ev.Attributes.Timestamp.Int64(); err == nil && n > 0 {
		return time.Unix(n, 0).UTC()
	}
	return signed
}
