// Package customchannel bridges a messaging service of your own into the
// HubSpot help desk with HubSpot's Custom Channels API: register the
// channel once, connect channel accounts to inboxes, publish the messages
// your service receives (and the ones it sends) into HubSpot threads, and
// deliver the replies HubSpot's agents write, which arrive as
// OUTGOING_CHANNEL_MESSAGE_CREATED webhooks.
//
// It needs a public or project-based app (not a legacy private app) and
// Sales or Service Hub Professional or above; scopes
// conversations.custom_channels.read/write and conversations.read.
// Registration authenticates with the developer API key and the app id;
// everything else with the app's access token.
//
// Endpoints:
//
//   - Register: POST /conversations/v3/custom-channels?hapikey=&appId=
//   - ConnectAccount: POST /conversations/v3/custom-channels/{channelId}/channel-accounts
//   - Publish: POST /conversations/v3/custom-channels/{channelId}/messages
//     (integrationIdempotencyId makes a retry safe: HubSpot dedupes on it)
//   - UpdateStatus: PATCH /conversations/v3/custom-channels/{channelId}/messages/{messageId}
package customchannel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
	"github.com/agentdesk/agentdesk/hubspot"
)

const basePath = "/conversations/v3/custom-channels"

// Config is the app that owns the channel.
type Config struct {
	// AccessToken is the app's access token (OAuth or project app).
	AccessToken string
	// DeveloperAPIKey and AppID register the channel (developer account →
	// Apps → the app → App ID; developer account → Keys → Developer API
	// key).
	DeveloperAPIKey string
	AppID           string
	// ClientSecrets verify the channel's webhooks (v3 signatures).
	ClientSecrets []string
	// BaseURL is the API host (default hubspot.DefaultBaseURL).
	BaseURL string
}

// Options tunes New; nil means defaults.
type Options struct {
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Tolerance of the v3 signature's time (default driver.DefaultTolerance).
	Tolerance time.Duration
}

// Client talks to the Custom Channels API. It is safe for concurrent use.
type Client struct {
	cfg      Config
	http     *transport.Client
	verifier *driver.Verifier
}

// New returns a Client. Errors match helpdesk.ErrInvalidConfig.
func New(cfg Config, opts *Options) (*Client, error) {
	if opts == nil {
		opts = &Options{}
	}
	ce := &helpdesk.ConfigError{Vendor: hubspot.Vendor}
	if strings.TrimSpace(cfg.AccessToken) == "" {
		ce.Add("AccessToken", "required: the app's access token")
	}
	if len(cfg.ClientSecrets) == 0 {
		ce.Add("ClientSecrets", "at least one client secret is required to verify webhooks")
	}
	if opts.Tolerance < 0 {
		ce.Add("Options.Tolerance", "must not be negative")
	}
	if err := ce.Err(); err != nil {
		return nil, err
	}
	base := cfg.BaseURL
	if base == "" {
		base = hubspot.DefaultBaseURL
	}
	hc, err := transport.New(transport.Options{
		Vendor: hubspot.Vendor, BaseURL: base, Auth: transport.Bearer(cfg.AccessToken),
		HTTPClient: opts.HTTPClient, Logger: opts.Logger, RequestIDHeaders: []string{hubspot.RequestIDHeader},
		Secrets: append([]string{cfg.DeveloperAPIKey}, cfg.ClientSecrets...),
	})
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, http: hc, verifier: driver.NewVerifier(opts.Tolerance, cfg.ClientSecrets...)}, nil
}

// Channel is a channel to register.
type Channel struct {
	Name         string         `json:"name"`
	Capabilities map[string]any `json:"capabilities"`
	// WebhookURL receives the channel's webhooks (agent replies).
	WebhookURL         string `json:"webhookUrl,omitempty"`
	ChannelDescription string `json:"channelDescription,omitempty"`
	ChannelLogoURL     string `json:"channelLogoUrl,omitempty"`
}

// Register registers the channel and returns its id. Registration needs
// Config.DeveloperAPIKey and Config.AppID.
func (c *Client) Register(ctx context.Context, ch Channel) (string, error) {
	if c.cfg.DeveloperAPIKey == "" || c.cfg.AppID == "" {
		return "", &helpdesk.FieldError{Field: "DeveloperAPIKey", Problem: "registering a channel needs the developer API key and the app id"}
	}
	if ch.Capabilities == nil {
		ch.Capabilities = map[string]any{}
	}
	var out struct {
		ID json.Number `json:"id"`
	}
	_, err := c.http.Do(ctx, &transport.Request{
		Method: http.MethodPost, Path: basePath,
		Query: url.Values{"hapikey": {c.cfg.DeveloperAPIKey}, "appId": {c.cfg.AppID}},
		Body:  ch,
	}, &out)
	return string(out.ID), err
}

// DeliveryIdentifier is an address on the channel.
type DeliveryIdentifier = hubspot.DeliveryIdentifier

// Account is a channel account to connect to an inbox.
type Account struct {
	Name               string              `json:"name"`
	InboxID            string              `json:"inboxId"`
	Authorized         bool                `json:"authorized"`
	DeliveryIdentifier *DeliveryIdentifier `json:"deliveryIdentifier,omitempty"`
}

// ConnectAccount connects a channel account and returns its id.
func (c *Client) ConnectAccount(ctx context.Context, channelID string, a Account) (string, error) {
	var out struct {
		ID json.Number `json:"id"`
	}
	_, err := c.http.Do(ctx, &transport.Request{Method: http.MethodPost, Path: basePath + "/" + url.PathEscape(channelID) + "/channel-accounts", Body: a}, &out)
	return string(out.ID), err
}

// Party is a sender or recipient of a published message.
type Party struct {
	DeliveryIdentifier DeliveryIdentifier `json:"deliveryIdentifier"`
	Name               string             `json:"name,omitempty"`
	SenderActorID      string             `json:"senderActorId,omitempty"`
}

// Directions of a published message.
const (
	Incoming = "INCOMING"
	Outgoing = "OUTGOING"
)

// Message is a message your service received (INCOMING) or sent
// (OUTGOING), to publish into HubSpot.
type Message struct {
	Text             string  `json:"text"`
	RichText         string  `json:"richText,omitempty"`
	Direction        string  `json:"messageDirection"`
	Senders          []Party `json:"senders"`
	Recipients       []Party `json:"recipients"`
	ChannelAccountID string  `json:"channelAccountId"`
	// Timestamp is when it was sent (default now).
	Timestamp time.Time `json:"timestamp"`
	// IntegrationThreadID threads messages your way (integration-managed
	// threading).
	IntegrationThreadID string `json:"integrationThreadId,omitempty"`
	// IntegrationIdempotencyID dedupes the message at HubSpot; Publish
	// derives one from the message when empty, so a retry never posts
	// twice.
	IntegrationIdempotencyID string `json:"integrationIdempotencyId,omitempty"`
	InReplyToID              string `json:"inReplyToId,omitempty"`
	Attachments              []any  `json:"attachments"`
}

// Published is HubSpot's answer to Publish.
type Published struct {
	ID       string `json:"id"`
	ThreadID string `json:"conversationsThreadId"`
}

// Publish publishes m into the channel.
func (c *Client) Publish(ctx context.Context, channelID string, m Message) (*Published, error) {
	if m.Direction != Incoming && m.Direction != Outgoing {
		return nil, &helpdesk.FieldError{Field: "messageDirection", Problem: "must be INCOMING or OUTGOING"}
	}
	if m.Timestamp.IsZero() {
		m.Timestamp = time.Now().UTC()
	}
	if m.Attachments == nil {
		m.Attachments = []any{}
	}
	if m.IntegrationIdempotencyID == "" {
		h := sha256.New()
		for _, s := range []string{channelID, m.ChannelAccountID, m.IntegrationThreadID, m.Direction, m.Timestamp.UTC().Format(time.RFC3339Nano), m.Text} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		m.IntegrationIdempotencyID = hex.EncodeToString(h.Sum(nil))[:32]
	}
	var out Published
	_, err := c.http.Do(ctx, &transport.Request{
		Method: http.MethodPost, Path: basePath + "/" + url.PathEscape(channelID) + "/messages", Body: m, Idempotent: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Delivery statuses for UpdateStatus.
const (
	StatusSent   = "SENT"
	StatusFailed = "FAILED"
	StatusRead   = "READ"
)

// UpdateStatus reports the delivery of an agent's reply on your service.
func (c *Client) UpdateStatus(ctx context.Context, channelID, messageID, status, errorMessage string) error {
	body := map[string]string{"statusType": status}
	if errorMessage != "" {
		body["errorMessage"] = errorMessage
	}
	_, err := c.http.Do(ctx, &transport.Request{
		Method: http.MethodPatch, Path: basePath + "/" + url.PathEscape(channelID) + "/messages/" + url.PathEscape(messageID), Body: body, Idempotent: true,
	}, nil)
	return err
}

// Webhook types.
const (
	TypeOutgoingMessage = "OUTGOING_CHANNEL_MESSAGE_CREATED"
	TypeAccountCreated  = "CHANNEL_ACCOUNT_CREATED"
	TypeAccountUpdated  = "CHANNEL_ACCOUNT_UPDATED"
)

// Webhook is a channel webhook.
type Webhook struct {
	Type      string          `json:"type"`
	PortalID  json.Number     `json:"portalId"`
	ChannelID json.Number     `json:"channelId"`
	Message   *OutgoingReply  `json:"message"`
	Raw       json.RawMessage `json:"-"`
}

// OutgoingReply is an agent's reply your service must deliver.
type OutgoingReply struct {
	ID               string  `json:"id"`
	Text             string  `json:"text"`
	RichText         string  `json:"richText"`
	Recipients       []Party `json:"recipients"`
	Senders          []Party `json:"senders"`
	ThreadID         string  `json:"conversationsThreadId"`
	ChannelAccountID string  `json:"channelAccountId"`
	InReplyToID      string  `json:"inReplyToId"`
}

// ParseWebhook verifies a channel webhook (v3 signature with a client
// secret) and decodes it. Errors match helpdesk.ErrInvalidSignature or
// helpdesk.ErrInvalidPayload.
func (c *Client) ParseWebhook(req *helpdesk.WebhookRequest) (*Webhook, error) {
	if req == nil || len(bytes.TrimSpace(req.Body)) == 0 {
		return nil, driver.InvalidPayload("empty body")
	}
	if _, err := c.verifier.Verify(req, &hubspot.SchemeV3); err != nil {
		return nil, err
	}
	var w Webhook
	if err := json.Unmarshal(req.Body, &w); err != nil {
		return nil, driver.InvalidPayload("body is not a custom channel webhook")
	}
	if w.Type == TypeOutgoingMessage && (w.Message == nil || w.Message.ID == "") {
		return nil, driver.InvalidPayload("%s without a message", TypeOutgoingMessage)
	}
	w.Raw = json.RawMessage(bytes.Clone(req.Body))
	return &w, nil
}
