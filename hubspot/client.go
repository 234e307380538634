package hubspot

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Vendor is the driver's name, as in helpdesk.Conversation.Vendor.
const Vendor = "hubspot"

// Conversation.Extra keys the driver fills from webhooks and reads when
// replying (without them a reply costs two GETs to find them).
const (
	ExtraChannelID        = "hubspot.channelId"
	ExtraChannelAccountID = "hubspot.channelAccountId"
	// ExtraRecipients is the JSON array of recipients a reply goes to,
	// built from the customer message's senders.
	ExtraRecipients = "hubspot.recipients"
)

const threadsPath = "/conversations/v3/conversations/threads/"

// Options tunes New; nil means defaults.
type Options struct {
	// HTTPClient sends the requests (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
	// Logger receives one debug line per request, secrets redacted.
	Logger *slog.Logger
	// Budget paces requests. Default: an in-process budget with Limits
	// and the X-HubSpot-RateLimit-* headers. Replicas share a budget from
	// helpdesk/budget/redisbudget built with the same limits and
	// NewHeaderReader.
	Budget transport.Budget
	// NoBudget turns the default budget off: requests are then slowed
	// only by HubSpot's own 429s.
	NoBudget bool
	// Limits are the account's limits (default LimitsFree; see
	// LimitsProfessional, LimitsEnterprise, LimitsOAuth).
	Limits []budget.Limit
	// TimeZone is the account's time zone, where the daily limit resets
	// at midnight (default UTC).
	TimeZone *time.Location
	// Tolerance is how far a v3 signature's time may be from the receive
	// time (default driver.DefaultTolerance, HubSpot's 5 minutes).
	Tolerance time.Duration
	// ConversationLimit is how many writes the bot may make into one
	// thread per ConversationWindow: 0 means ConversationWrites, negative
	// turns the guard off.
	ConversationLimit int
	// MaxRetries is the number of retries after the first attempt
	// (default transport.DefaultMaxRetries; -1 disables them). A message
	// that may have reached HubSpot is never resent, whatever this says,
	// until a read-back of the thread shows it is not there.
	MaxRetries int
	// MaxRetryWait caps how long a 429 may hold a retry (default
	// transport.DefaultMaxRetryWait); a daily 429 is never retried.
	MaxRetryWait time.Duration
	// Associations stores ticket-created workflow deliveries (default: a
	// MemoryStore with DefaultAssociationTTL).
	Associations AssociationStore
}

func (o *Options) validate(ce *helpdesk.ConfigError) {
	driver.CheckOptions(ce, driver.OptionValues{Tolerance: o.Tolerance, MaxRetries: o.MaxRetries,
		MaxRetryWait: o.MaxRetryWait, Budget: o.Budget != nil, NoBudget: o.NoBudget})
}

// Client is a HubSpot account seen as a helpdesk.Helpdesk, with HubSpot's
// extras as methods. Reach it from a helpdesk.Helpdesk with helpdesk.As.
type Client struct {
	helpdesk.Helpdesk

	cfg        Config
	http       *transport.Client
	verifier   *driver.Verifier
	webhookURL *url.URL
	assoc      AssociationStore

	ownersMu sync.Mutex
	owners   map[string]string // user id -> owner id

	sent  sentCache
	rec   driver.Reconciler
	appID atomic.Value // string: the integrationAppId HubSpot gives the client's own messages
}

// sentCache remembers the messages the bot sent recently, so that their
// echo (a newMessage webhook like any other) is recognised without the
// GET every other newMessage costs.
type sentCache struct {
	mu    sync.Mutex
	ids   map[string]sentMessage
	order []string
}

type sentMessage struct {
	thread, text string
	internal     bool
}

const sentCacheSize = 4096

func (s *sentCache) add(id string, m sentMessage) {
	if id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]sentMessage{}
	}
	if _, ok := s.ids[id]; ok {
		return
	}
	if len(s.order) >= sentCacheSize {
		delete(s.ids, s.order[0])
		s.order = s.order[1:]
	}
	s.ids[id] = m
	s.order = append(s.order, id)
}

func (s *sentCache) get(id string) (sentMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.ids[id]
	return m, ok
}

// clientDriver implements driver.Driver for the Portable embedded in
// Client.
type clientDriver struct{ c *Client }

var (
	_ driver.Driver              = clientDriver{}
	_ driver.ConversationChecker = clientDriver{}
	_ driver.TargetChecker       = clientDriver{}
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
	limits := opts.Limits
	if limits == nil {
		limits = LimitsFree
	}
	base := cfg.baseURL()
	u, _ := url.Parse(base)
	b, err := driver.Budget(opts.Budget, opts.NoBudget, Vendor+":"+u.Host, limits, NewHeaderReader(opts.TimeZone), budget.WithLogger(opts.Logger))
	if err != nil {
		return nil, err
	}
	secrets := append([]string{}, cfg.ClientSecrets...)
	if cfg.MFASecret != "" {
		secrets = append(secrets, cfg.MFASecret)
	}
	hc, err := transport.New(transport.Options{
		Vendor:           Vendor,
		BaseURL:          base,
		Auth:             transport.Bearer(cfg.AccessToken),
		HTTPClient:       opts.HTTPClient,
		Logger:           opts.Logger,
		Budget:           b,
		MaxRetries:       opts.MaxRetries,
		MaxRetryWait:     opts.MaxRetryWait,
		RequestIDHeaders: []string{RequestIDHeader},
		DecodeError:      decodeError,
		Classify:         classify(opts.TimeZone),
		RetryAfter:       retryAfter(opts.TimeZone),
		Secrets:          secrets,
	})
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:      cfg,
		http:     hc,
		verifier: driver.NewVerifier(opts.Tolerance, cfg.ClientSecrets...),
		assoc:    opts.Associations,
		owners:   map[string]string{},
	}
	if c.assoc == nil {
		c.assoc = NewMemoryStore(0, nil)
	}
	if cfg.WebhookURL != "" {
		c.webhookURL, _ = url.Parse(cfg.WebhookURL)
	}
	guard := driver.ConversationGuard(opts.ConversationLimit, ConversationWrites, ConversationWindow)
	p, err := driver.New(clientDriver{c}, &driver.Options{ConversationLimit: guard})
	if err != nil {
		return nil, err
	}
	c.Helpdesk = p
	return c, nil
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// Associations returns the store of ticket-created workflow deliveries.
func (c *Client) Associations() AssociationStore { return c.assoc }

// As sets *i to c when i is a **Client.
func (c *Client) As(i any) bool {
	if p, ok := i.(**Client); ok && p != nil {
		*p = c
		return true
	}
	return false
}

// ErrorAs reaches *helpdesk.APIError, *AmbiguousTicketError and
// *NoTicketError.
func (c *Client) ErrorAs(err error, i any) bool { return driver.ErrorAs(err, i) }

// String keeps secrets out of %v.
func (c *Client) String() string { return "hubspot.Client{" + c.cfg.String() + "}" }

// GoString keeps secrets out of %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps secrets out of slog.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

// MarshalJSON keeps secrets out of JSON.
func (c *Client) MarshalJSON() ([]byte, error) { return c.cfg.MarshalJSON() }

// Capabilities: messages, comments, closing, webhooks; agent handover
// in every mode and team handover in HandoverEvent mode (HubSpot has no
// team assignment, the workflow does it). No attachments.
func (c *Client) capabilities() helpdesk.Capabilities {
	caps := helpdesk.CapSendMessage | helpdesk.CapInternalNote | helpdesk.CapResolve | helpdesk.CapReassignAgent | helpdesk.CapWebhooks
	if c.cfg.mode() == HandoverEvent {
		caps |= helpdesk.CapReassignGroup
	}
	return helpdesk.Capabilities(caps)
}

func (d clientDriver) Vendor() string                                 { return Vendor }
func (d clientDriver) Capabilities() helpdesk.Capabilities            { return d.c.capabilities() }
func (d clientDriver) As(i any) bool                                  { return d.c.As(i) }
func (d clientDriver) ErrorAs(err error, i any) bool                  { return d.c.ErrorAs(err, i) }
func (d clientDriver) VerifyWebhook(r *helpdesk.WebhookRequest) error { return d.c.verifyWebhook(r) }
func (d clientDriver) ParseWebhook(ctx context.Context, r *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	return d.c.parseWebhook(ctx, r)
}

// CheckConversation refuses thread ids that are not numbers.
func (d clientDriver) CheckConversation(conv helpdesk.Conversation) error {
	if !numericID(conv.ID) {
		return &helpdesk.FieldError{Field: "conversation.id", Problem: "HubSpot thread ids are positive integers"}
	}
	return nil
}

// CheckTarget refuses ids that are not numbers and, in event mode,
// targets no flow transfers to.
func (d clientDriver) CheckTarget(to helpdesk.Target) error {
	if !numericID(to.ID) {
		return &helpdesk.FieldError{Field: "id", Problem: "HubSpot " + string(to.Kind) + " ids are positive integers (a user id for agents)"}
	}
	if d.c.cfg.mode() == HandoverEvent {
		if _, ok := d.c.flowFor(to); !ok {
			return &helpdesk.FieldError{Field: "id", Problem: "no handover flow (Config.HandoverEvent, Config.Flows) transfers to " + to.String()}
		}
	}
	return nil
}

// Actor is a message's sender or recipient, as HubSpot returns it.
type Actor struct {
	ActorID            string              `json:"actorId"`
	Name               string              `json:"name,omitempty"`
	DeliveryIdentifier *DeliveryIdentifier `json:"deliveryIdentifier,omitempty"`
}

// DeliveryIdentifier is an address: HS_EMAIL_ADDRESS, HS_PHONE_NUMBER or
// CHANNEL_SPECIFIC_OPAQUE_ID.
type DeliveryIdentifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Recipient is a recipient in a send request.
type Recipient struct {
	ActorID             string               `json:"actorId,omitempty"`
	Name                string               `json:"name,omitempty"`
	DeliveryIdentifiers []DeliveryIdentifier `json:"deliveryIdentifiers"`
}

// Message is a thread message as GET .../messages/{id} returns it.
type Message struct {
	ID               string  `json:"id"`
	Type             string  `json:"type"`
	Text             string  `json:"text"`
	RichText         string  `json:"richText"`
	Subject          string  `json:"subject"`
	Direction        string  `json:"direction"`
	Senders          []Actor `json:"senders"`
	Recipients       []Actor `json:"recipients"`
	ChannelID        string  `json:"channelId"`
	ChannelAccountID string  `json:"channelAccountId"`
	ThreadID         string  `json:"conversationsThreadId"`
	CreatedAt        string  `json:"createdAt"`
	TruncationStatus string  `json:"truncationStatus"`
	Client           struct {
		ClientType       string      `json:"clientType"`
		IntegrationAppID json.Number `json:"integrationAppId"`
	} `json:"client"`
	Attachments []struct {
		URL  string `json:"url"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"attachments"`
}

// Thread is a conversation thread as GET .../threads/{id} returns it.
type Thread struct {
	ID                       string `json:"id"`
	Status                   string `json:"status"`
	AssignedTo               string `json:"assignedTo"`
	InboxID                  string `json:"inboxId"`
	OriginalChannelID        string `json:"originalChannelId"`
	OriginalChannelAccountID string `json:"originalChannelAccountId"`
	ThreadAssociations       *struct {
		AssociatedTicketID string `json:"associatedTicketId"`
	} `json:"threadAssociations"`
}

// GetMessage fetches one message: GET .../threads/{id}/messages/{messageId}.
// Every newMessage webhook costs one.
func (c *Client) GetMessage(ctx context.Context, thread, messageID string) (*Message, error) {
	var m Message
	_, err := c.http.Do(ctx, &transport.Request{Path: threadsPath + thread + "/messages/" + url.PathEscape(messageID)}, &m)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// GetThread fetches a thread with its ticket association:
// GET .../threads/{id}?association=TICKET.
func (c *Client) GetThread(ctx context.Context, thread string) (*Thread, error) {
	var t Thread
	_, err := c.http.Do(ctx, &transport.Request{Path: threadsPath + thread, Query: url.Values{"association": {"TICKET"}}}, &t)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// replyTo returns the channel, channel account and recipients of a reply
// on conv: from its Extra, or else from the thread and its latest
// customer message (two GETs).
func (c *Client) replyTo(ctx context.Context, conv helpdesk.Conversation) (channel, account string, rcpts []Recipient, err error) {
	channel, account = conv.Get(ExtraChannelID), conv.Get(ExtraChannelAccountID)
	if s := conv.Get(ExtraRecipients); s != "" {
		if json.Unmarshal([]byte(s), &rcpts) != nil {
			rcpts = nil
		}
	}
	if channel != "" && account != "" && len(rcpts) > 0 {
		return channel, account, rcpts, nil
	}
	if channel == "" || account == "" {
		t, err := c.GetThread(ctx, conv.ID)
		if err != nil {
			return "", "", nil, err
		}
		channel, account = t.OriginalChannelID, t.OriginalChannelAccountID
	}
	if len(rcpts) == 0 {
		var page struct {
			Results []Message `json:"results"`
		}
		q := url.Values{"sort": {"-createdAt"}}
		if _, err := c.http.Do(ctx, &transport.Request{Path: threadsPath + conv.ID + "/messages", Query: q}, &page); err != nil {
			return "", "", nil, err
		}
		for _, m := range page.Results { // newest first
			if m.Type == TypeMessage && strings.EqualFold(m.Direction, "INCOMING") {
				rcpts = recipientsFromSenders(m.Senders)
				break
			}
		}
	}
	if channel == "" || account == "" || len(rcpts) == 0 {
		return "", "", nil, &helpdesk.FieldError{Field: "conversation.extra", Problem: "thread " + conv.ID + " has no customer message to reply to"}
	}
	return channel, account, rcpts, nil
}

// richText escapes text into HTML paragraphs.
func richText(text string) string {
	var b strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(p), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// SendMessage posts a message or, for Internal, a comment:
// POST .../threads/{id}/messages. HubSpot takes no idempotency key: a
// send that may have reached it is never resent blindly; the thread is
// read back first (see reconcile.go).
func (d clientDriver) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	body := map[string]any{"text": msg.Text, "richText": richText(msg.Text), "attachments": []any{}}
	if msg.Internal {
		body["type"] = TypeComment
	} else {
		channel, account, rcpts, err := d.c.replyTo(ctx, conv)
		if err != nil {
			return nil, err
		}
		body["type"] = TypeMessage
		body["senderActorId"] = "A-" + d.c.cfg.BotUserID
		body["channelId"] = channel
		body["channelAccountId"] = account
		body["recipients"] = rcpts
	}
	out, err := d.c.postMessage(ctx, conv, body, msg.Text, msg.Internal, msg.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	d.c.sent.add(out.ID, sentMessage{thread: conv.ID, text: msg.Text, internal: msg.Internal})
	return &helpdesk.Receipt{MessageID: out.ID}, nil
}

// Resolve closes the thread: PATCH .../threads/{id} {"status":"CLOSED"}.
func (d clientDriver) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	_, err := d.c.http.Do(ctx, &transport.Request{
		Method: http.MethodPatch, Path: threadsPath + conv.ID, Body: map[string]string{"status": "CLOSED"},
		Priority: transport.PriorityCritical, Idempotent: true,
	}, nil)
	return err
}

// Reassign sends to.Notice to the customer, to.Note as a comment, then
// hands over by Config.HandoverMode. A failed notice or note does not
// keep the customer from a human: the handover is still made and the
// error returned with its result.
func (d clientDriver) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	var errs []error
	if to.Notice != "" {
		if _, err := d.SendMessage(ctx, conv, helpdesk.Message{Text: to.Notice}); err != nil {
			errs = append(errs, fmt.Errorf("handover notice: %w", err))
		}
	}
	if to.Note != "" {
		if _, err := d.SendMessage(ctx, conv, helpdesk.Message{Text: to.Note, Internal: true}); err != nil {
			errs = append(errs, fmt.Errorf("handover note: %w", err))
		}
	}
	var err error
	switch d.c.cfg.mode() {
	case HandoverOwner:
		err = d.c.handOverToOwner(ctx, conv, to)
	case HandoverEvent:
		err = d.c.handOverByEvent(ctx, conv, to)
	default:
		err = d.c.AssignThread(ctx, conv.ID, to.ID)
	}
	if err != nil {
		return errors.Join(append([]error{err}, errs...)...)
	}
	return errors.Join(errs...)
}

// AssignThread assigns a thread to an agent by user id:
// PUT /conversations/conversations/v3/threads/{id}/assignee
// {"actorId":"A-<userId>"}.
func (c *Client) AssignThread(ctx context.Context, thread, userID string) error {
	_, err := c.http.Do(ctx, &transport.Request{
		Method: http.MethodPut, Path: "/conversations/conversations/v3/threads/" + thread + "/assignee",
		Body: map[string]string{"actorId": "A-" + userID}, Priority: transport.PriorityCritical, Idempotent: true,
	}, nil)
	return err
}

// NoTicketError is returned by handovers that need the thread's ticket
// when neither the API nor the association store knows one.
type NoTicketError struct{ Thread string }

func (e *NoTicketError) Error() string {
	return "hubspot: thread " + e.Thread + " has no associated ticket (Help Desk associates one; on the Inbox, see the ticket-created workflow in the package documentation)"
}

// Unwrap makes it match helpdesk.ErrNotFound.
func (e *NoTicketError) Unwrap() error { return helpdesk.ErrNotFound }

// AmbiguousTicketError is returned when a thread has several tickets
// (possible on the older Inbox): the handover is refused instead of
// guessing which ticket's owner to change.
type AmbiguousTicketError struct {
	Thread  string
	Tickets []string
}

func (e *AmbiguousTicketError) Error() string {
	return "hubspot: thread " + e.Thread + " has several tickets (" + strings.Join(e.Tickets, ", ") + "): refusing to guess which to hand over; keep one ticket per conversation"
}

// Unwrap makes it match helpdesk.ErrInvalidRequest.
func (e *AmbiguousTicketError) Unwrap() error { return helpdesk.ErrInvalidRequest }

// TicketOf returns the thread's ticket: the API's association
// (GET .../threads/{id}?association=TICKET), else the one ticket the
// association store holds; several give an *AmbiguousTicketError, none a
// *NoTicketError.
func (c *Client) TicketOf(ctx context.Context, thread string) (string, error) {
	t, err := c.GetThread(ctx, thread)
	if err != nil {
		return "", err
	}
	if t.ThreadAssociations != nil && t.ThreadAssociations.AssociatedTicketID != "" {
		return t.ThreadAssociations.AssociatedTicketID, nil
	}
	tickets, err := c.assoc.Tickets(ctx, thread)
	if err != nil {
		return "", err
	}
	switch len(tickets) {
	case 0:
		return "", &NoTicketError{Thread: thread}
	case 1:
		return tickets[0], nil
	}
	return "", &AmbiguousTicketError{Thread: thread, Tickets: slices.Clone(tickets)}
}

// OwnerID turns a user id into the owner id ticket owners are set with:
// GET /crm/v3/owners, paged, cached.
func (c *Client) OwnerID(ctx context.Context, userID string) (string, error) {
	c.ownersMu.Lock()
	id, ok := c.owners[userID]
	c.ownersMu.Unlock()
	if ok {
		return id, nil
	}
	after := ""
	for range 50 {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Results []struct {
				ID     string      `json:"id"`
				UserID json.Number `json:"userId"`
			} `json:"results"`
			Paging struct {
				Next struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		if _, err := c.http.Do(ctx, &transport.Request{Path: "/crm/v3/owners", Query: q}, &page); err != nil {
			return "", err
		}
		c.ownersMu.Lock()
		for _, o := range page.Results {
			if o.UserID != "" {
				c.owners[string(o.UserID)] = o.ID
			}
		}
		id, ok = c.owners[userID]
		c.ownersMu.Unlock()
		if ok {
			return id, nil
		}
		if after = page.Paging.Next.After; after == "" {
			break
		}
	}
	return "", &helpdesk.FieldError{Field: "id", Problem: "no HubSpot owner has user id " + userID, Err: helpdesk.ErrNotFound}
}

func (c *Client) handOverToOwner(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	ticket, err := c.TicketOf(ctx, conv.ID)
	if err != nil {
		return err
	}
	owner, err := c.OwnerID(ctx, to.ID)
	if err != nil {
		return err
	}
	_, err = c.http.Do(ctx, &transport.Request{
		Method: http.MethodPatch, Path: "/crm/v3/objects/tickets/" + ticket,
		Body:     map[string]any{"properties": map[string]string{"hubspot_owner_id": owner}},
		Priority: transport.PriorityCritical, Idempotent: true,
	}, nil)
	return err
}

func (c *Client) flowFor(to helpdesk.Target) (Flow, bool) {
	flows := c.cfg.flows()
	for _, f := range flows {
		if f.Kind == to.Kind && f.ID == to.ID {
			return f, true
		}
	}
	for _, f := range flows {
		if to.Name != "" && f.Name == to.Name {
			return f, true
		}
	}
	return Flow{}, false
}

// Event property names of a handover event.
const (
	PropFlow       = "flow"
	PropTicketID   = "ticket_id"
	PropThreadID   = "thread_id"
	PropTargetType = "target_type"
	PropTargetID   = "target_id"
)

func (c *Client) handOverByEvent(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	flow, ok := c.flowFor(to)
	if !ok {
		return &helpdesk.FieldError{Field: "id", Problem: "no handover flow transfers to " + to.String()}
	}
	ticket, err := c.TicketOf(ctx, conv.ID)
	if err != nil {
		return err
	}
	return c.SendEvent(ctx, flow.EventName, ticket, map[string]string{
		PropFlow: flow.Name, PropTicketID: ticket, PropThreadID: conv.ID,
		PropTargetType: string(flow.Kind), PropTargetID: flow.ID,
	})
}

// SendEvent sends a custom behavioural event about a ticket:
// POST /events/v3/send {eventName, objectId, properties, uuid}. The uuid
// makes a retry of the same call count once.
func (c *Client) SendEvent(ctx context.Context, eventName, objectID string, props map[string]string) error {
	_, err := c.http.Do(ctx, &transport.Request{
		Method: http.MethodPost, Path: "/events/v3/send",
		Body: map[string]any{
			"eventName": eventName, "objectId": objectID, "properties": props,
			"occurredAt": time.Now().UTC().Format(time.RFC3339Nano), "uuid": newUUID(),
		},
		Priority: transport.PriorityCritical, Idempotent: true,
	}, nil)
	return err
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
