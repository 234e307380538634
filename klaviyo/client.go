package klaviyo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/split"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Vendor is the driver's name, as in helpdesk.Conversation.Vendor.
const Vendor = "klaviyo"

// Capabilities are what Klaviyo SMS conversations can do: send a text and
// deliver signed webhooks. Klaviyo has no internal notes, attachments (MMS
// cannot be sent through the API), resolving or assignment: those fail
// with helpdesk.ErrUnsupported without a request.
const Capabilities = helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapWebhooks)

// MediaType is JSON:API's media type, sent and accepted on every request.
const MediaType = "application/vnd.api+json"

// SMS sizes SendMessage keeps to.
const (
	// DefaultMaxSegments is how many SMS segments one conversation
	// message may use (10, as SMS providers commonly cap concatenated
	// messages; Klaviyo bills every segment).
	DefaultMaxSegments = 10
	// DefaultMaxParts is how many conversation messages one SendMessage
	// may send: a text longer than DefaultMaxParts × DefaultMaxSegments
	// segments is refused with split.ErrTooManyParts before any request.
	DefaultMaxParts = 3
	// ConversationWrites is how many messages the bot sends into one
	// profile's conversation per ConversationWindow by default
	// (Options.ConversationLimit): Klaviyo publishes no per-conversation
	// limit, so this only stops a runaway loop.
	ConversationWrites = 20
	// ConversationWindow is the window of ConversationWrites.
	ConversationWindow = 10 * time.Minute
)

// Keys of Conversation.Extra set by ParseWebhook and read by SendMessage.
const (
	// ExtraConversationID is Klaviyo's conversation id; when present
	// SendMessage skips looking it up from the profile.
	ExtraConversationID = "klaviyo.conversation_id"
	// ExtraPhone is the customer's phone number (E.164).
	ExtraPhone = "klaviyo.phone"
	// ExtraSendingNumber is the account number the customer texted.
	ExtraSendingNumber = "klaviyo.sending_number"
)

// Options tunes New; nil means defaults.
type Options struct {
	// HTTPClient sends the requests (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
	// Logger receives one debug line per request, secrets redacted.
	// Default: silent.
	Logger *slog.Logger
	// Budget paces requests. The rule is driver.Budget's, the same in
	// every driver: Budget when set (replicas share one on Redis, built
	// with Config.Limits and budget.WithHeaders(Headers)); none when
	// NoBudget; otherwise an in-process budget with Klaviyo's tier limits
	// (Limits), slowed by its RateLimit-* headers.
	Budget transport.Budget
	// NoBudget turns the default budget off: requests are then slowed
	// only by Klaviyo's own 429s.
	NoBudget bool
	// Tolerance is how far a delivery's Klaviyo-Timestamp may be from its
	// receive time (default driver.DefaultTolerance).
	Tolerance time.Duration
	// ConversationLimit is how many messages the bot may send into one
	// conversation per ConversationWindow, half of them at once: 0 means
	// ConversationWrites, negative turns the guard off.
	ConversationLimit int
	// MaxRetries is the number of retries after the first attempt
	// (default transport.DefaultMaxRetries; -1 disables them). A text
	// that may have reached Klaviyo is never resent, whatever this says
	// (see UnconfirmedError).
	MaxRetries int
	// MaxRetryWait caps how long a Retry-After may hold a retry (default
	// transport.DefaultMaxRetryWait); a longer one is returned as the
	// error's RetryAfter.
	MaxRetryWait time.Duration
	// MaxSegments is how many SMS segments one conversation message may
	// use (default DefaultMaxSegments, at most 255).
	MaxSegments int
	// MaxParts is how many conversation messages one SendMessage may send
	// (default DefaultMaxParts).
	MaxParts int
}

func (o *Options) validate(ce *helpdesk.ConfigError) {
	driver.CheckOptions(ce, driver.OptionValues{Tolerance: o.Tolerance, MaxRetries: o.MaxRetries,
		MaxRetryWait: o.MaxRetryWait, Budget: o.Budget != nil, NoBudget: o.NoBudget})
	if o.MaxSegments < 0 || o.MaxSegments > 255 {
		ce.Add("Options.MaxSegments", "must be between 1 and 255 (0: default)")
	}
	if o.MaxParts < 0 {
		ce.Add("Options.MaxParts", "must not be negative")
	}
}

// Client is a Klaviyo account: its SMS conversations seen as a
// helpdesk.Helpdesk (embedded), plus the extras bot hosts use directly
// (WebhookTopics, and the metrics recorder built with NewMetrics). Reach
// it from a helpdesk.Helpdesk with helpdesk.As.
type Client struct {
	helpdesk.Helpdesk

	cfg      Config
	http     *transport.Client
	verifier *driver.Verifier
	splitter *split.Splitter
	maxSeg   int

	log *slog.Logger
	rec driver.Reconciler // texts sent or unconfirmed, by host key

	mu    sync.Mutex
	convs map[string]string // profile id → SMS conversation id
}

// clientDriver implements driver.Driver for the Portable embedded in
// Client.
type clientDriver struct{ c *Client }

var (
	_ driver.Driver              = clientDriver{}
	_ driver.ConversationChecker = clientDriver{}
)

// New returns a Client for cfg. Errors for a bad Config or Options match
// ErrInvalidConfig.
func New(cfg Config, opts *Options) (*Client, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := driver.CheckConfig(Vendor, cfg.Validate(), opts.validate); err != nil {
		return nil, err
	}
	b, err := driver.Budget(opts.Budget, opts.NoBudget, cfg.BudgetKey(), cfg.Limits(), Headers, budget.WithLogger(opts.Logger))
	if err != nil {
		return nil, err
	}
	hc, err := transport.New(transport.Options{
		Vendor:           Vendor,
		BaseURL:          cfg.baseURL(),
		Auth:             transport.Header("Authorization", "Klaviyo-API-Key ", cfg.APIKey),
		HTTPClient:       opts.HTTPClient,
		Logger:           opts.Logger,
		Budget:           b,
		MaxRetries:       opts.MaxRetries,
		MaxRetryWait:     opts.MaxRetryWait,
		Header:           http.Header{"Revision": {cfg.revision()}, "Accept": {MediaType}},
		RequestIDHeaders: []string{RequestIDHeader},
		DecodeError:      decodeError,
		Secrets:          cfg.WebhookSecrets,
	})
	if err != nil {
		return nil, err
	}
	maxSeg, maxParts := opts.MaxSegments, opts.MaxParts
	if maxSeg == 0 {
		maxSeg = DefaultMaxSegments
	}
	if maxParts == 0 {
		maxParts = DefaultMaxParts
	}
	sp, err := split.New(split.Limit{Max: maxSeg, Measure: split.SMSSegments}, split.MaxParts(maxParts))
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:      cfg,
		http:     hc,
		verifier: driver.NewVerifier(opts.Tolerance, cfg.WebhookSecrets...),
		splitter: sp,
		maxSeg:   maxSeg,
		log:      opts.Logger,
		convs:    map[string]string{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	guard := driver.ConversationGuard(opts.ConversationLimit, ConversationWrites, ConversationWindow)
	p, err := driver.New(clientDriver{c}, &driver.Options{ConversationLimit: guard})
	if err != nil {
		return nil, err
	}
	c.Helpdesk = p
	return c, nil
}

// As sets *i to c when i is a **Client.
func (c *Client) As(i any) bool {
	if p, ok := i.(**Client); ok && p != nil {
		*p = c
		return true
	}
	return false
}

// ErrorAs is errors.As: Klaviyo's errors are *helpdesk.APIError values.
func (c *Client) ErrorAs(err error, i any) bool { return driver.ErrorAs(err, i) }

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// String keeps the key and secrets out of %v.
func (c *Client) String() string { return "klaviyo.Client{" + c.cfg.String() + "}" }

// GoString keeps the key and secrets out of %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps the key and secrets out of slog.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

// MarshalJSON keeps the key and secrets out of JSON.
func (c *Client) MarshalJSON() ([]byte, error) { return c.cfg.MarshalJSON() }

// do sends one JSON:API request in tier t.
func (c *Client) do(ctx context.Context, t Tier, req *transport.Request, out any) (*transport.Response, error) {
	req.Limits = t.limits()
	if req.Body != nil || req.RawBody != nil {
		req.ContentType = MediaType
	}
	return c.http.Do(ctx, req, out)
}

func (d clientDriver) Vendor() string                                 { return Vendor }
func (d clientDriver) Capabilities() helpdesk.Capabilities            { return Capabilities }
func (d clientDriver) As(i any) bool                                  { return d.c.As(i) }
func (d clientDriver) ErrorAs(err error, i any) bool                  { return d.c.ErrorAs(err, i) }
func (d clientDriver) VerifyWebhook(r *helpdesk.WebhookRequest) error { return d.c.verifyWebhook(r) }
func (d clientDriver) ParseWebhook(_ context.Context, r *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	return d.c.parseWebhook(r)
}

// Resolve is not a Klaviyo operation (the Portable refuses it first).
func (d clientDriver) Resolve(context.Context, helpdesk.Conversation) error {
	return driver.Unsupported(Vendor, "resolving a conversation")
}

// Reassign is not a Klaviyo operation (the Portable refuses it first).
func (d clientDriver) Reassign(context.Context, helpdesk.Conversation, helpdesk.Target) error {
	return driver.Unsupported(Vendor, "assigning a conversation")
}

// CheckConversation refuses ids that cannot be Klaviyo profile ids and
// a malformed phone number, without a request.
func (d clientDriver) CheckConversation(conv helpdesk.Conversation) error {
	if strings.ContainsAny(conv.ID, "/?#% \t\r\n") {
		return &helpdesk.FieldError{Field: "conversation.id", Problem: "Klaviyo profile ids are letters and digits"}
	}
	if p := conv.Get(ExtraPhone); p != "" && !ValidPhone(p) {
		return &helpdesk.FieldError{Field: "conversation.extra." + ExtraPhone, Problem: "not an E.164 phone number"}
	}
	return nil
}

// conversationMessage is the JSON:API body of POST /api/conversation-messages.
type conversationMessage struct {
	Data struct {
		Type       string `json:"type"`
		Attributes struct {
			Body string `json:"body"`
		} `json:"attributes"`
		Relationships struct {
			Conversation struct {
				Data resourceID `json:"data"`
			} `json:"conversation"`
		} `json:"relationships"`
	} `json:"data"`
}

type resourceID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Parts returns the texts SendMessage sends for text: one conversation
// message when text fits in MaxSegments SMS segments, else parts of at
// most MaxSegments segments each (GSM-7 153 or UCS-2 67 units per
// segment), never more than MaxParts.
func (c *Client) Parts(text string) ([]string, error) {
	text = strings.TrimSpace(text)
	if split.SMSInfo(text).Segments <= c.maxSeg {
		return []string{text}, nil
	}
	return c.splitter.Split(text)
}

// SendMessage texts the customer: POST /api/conversation-messages (tier
// S) into the profile's SMS conversation, found with GET
// /api/profiles/{id}/conversations (.../conversation before revision
// 2026-07-15; tier S) unless the Conversation carries
// ExtraConversationID. A long text goes as Parts. Klaviyo takes no
// idempotency key and cannot be read back, so a part that may have
// arrived is never resent: it fails with an *UnconfirmedError, and a
// retry with the same IdempotencyKey goes on after it (see reconcile.go).
func (d clientDriver) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	parts, err := d.c.Parts(msg.Text)
	if err != nil {
		return nil, err
	}
	cid, err := d.c.conversationID(ctx, conv)
	if err != nil {
		return nil, err
	}
	if err := d.c.sendTexts(ctx, conv, cid, parts, msg.IdempotencyKey); err != nil {
		return nil, err
	}
	return &helpdesk.Receipt{}, nil
}

// ErrNoSMSConversation is returned (matching helpdesk.ErrNotFound) when a
// profile has no SMS conversation: the customer never texted or was never
// texted.
var ErrNoSMSConversation = fmt.Errorf("%w: the profile has no SMS conversation", helpdesk.ErrNotFound)

// pluralRevision is the first revision with GET
// /api/profiles/{id}/conversations; earlier ones have only the singular
// GET /api/profiles/{id}/conversation.
const pluralRevision = "2026-07-15"

// conversationID returns the SMS conversation of conv's profile.
func (c *Client) conversationID(ctx context.Context, conv helpdesk.Conversation) (string, error) {
	if id := conv.Get(ExtraConversationID); id != "" {
		return id, nil
	}
	c.mu.Lock()
	id, ok := c.convs[conv.ID]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	type conversation struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes struct {
			Channel string `json:"channel"`
		} `json:"attributes"`
	}
	var list []conversation
	path := "/api/profiles/" + url.PathEscape(conv.ID)
	if c.cfg.revision()[:10] < pluralRevision {
		var out struct {
			Data *conversation `json:"data"`
		}
		if _, err := c.do(ctx, TierS, &transport.Request{Method: http.MethodGet, Path: path + "/conversation", Idempotent: true}, &out); err != nil {
			return "", err
		}
		if out.Data != nil {
			list = append(list, *out.Data)
		}
	} else {
		var out struct {
			Data []conversation `json:"data"`
		}
		if _, err := c.do(ctx, TierS, &transport.Request{Method: http.MethodGet, Path: path + "/conversations", Idempotent: true}, &out); err != nil {
			return "", err
		}
		list = out.Data
	}
	for _, cv := range list {
		if cv.Attributes.Channel == "sms" && cv.ID != "" {
			c.mu.Lock()
			c.convs[conv.ID] = cv.ID
			c.mu.Unlock()
			return cv.ID, nil
		}
	}
	return "", ErrNoSMSConversation
}

// WebhookTopics lists the account's webhook topics: GET
// /api/webhook-topics (tier XS). Subscribe the SMS webhook to
// TopicSentSMS (the customer's texts); TopicReceivedSMS reports the
// account's own texts reaching the customer.
func (c *Client) WebhookTopics(ctx context.Context) ([]string, error) {
	var out struct {
		Data []resourceID `json:"data"`
	}
	if _, err := c.do(ctx, TierXS, &transport.Request{Method: http.MethodGet, Path: "/api/webhook-topics", Idempotent: true}, &out); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(out.Data))
	for _, t := range out.Data {
		ids = append(ids, t.ID)
	}
	return ids, nil
}

// CreateConversation fails with helpdesk.ErrUnsupported: Klaviyo opens an
// SMS conversation only when a text is exchanged. It is here so that
// helpdesk.CreateConversation treats every driver alike.
func (c *Client) CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	return c.Helpdesk.(helpdesk.ConversationCreator).CreateConversation(ctx, req)
}

// Check verifies the configuration against Klaviyo with one request (GET
// /api/webhook-topics, tier XS): that the key is a valid private key with
// the webhooks:read scope and that the revision is one Klaviyo serves.
// Mismatches come back as a *helpdesk.ConfigError naming the Config
// field; a failure to reach Klaviyo as it happened.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.WebhookTopics(ctx)
	var ae *helpdesk.APIError
	if err == nil || !errors.As(err, &ae) {
		return err
	}
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	switch ae.StatusCode {
	case http.StatusUnauthorized:
		ce.Add("APIKey", "Klaviyo refused the key: revoked, or not this account's private key")
	case http.StatusForbidden:
		ce.Add("APIKey", "the key lacks a scope (webhooks:read is checked; SMS also needs conversations:read and conversations:write)")
	case http.StatusBadRequest:
		ce.Add("Revision", "Klaviyo refused the request: %s", ae.Message)
	default:
		return err
	}
	return ce.Err()
}
