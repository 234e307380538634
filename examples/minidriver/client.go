package minidriver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Vendor is the driver's name, as in helpdesk.Conversation.Vendor.
const Vendor = "minidesk"

// Capabilities are what Minidesk can do: replies and internal notes,
// closing, assigning to a team or an agent, signed webhooks. It has no
// attachments, and a reply cannot close the ticket in the same request.
const Capabilities = helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapInternalNote |
	helpdesk.CapResolve | helpdesk.CapReassignGroup | helpdesk.CapReassignAgent | helpdesk.CapWebhooks)

// Options tunes New; nil means defaults.
type Options struct {
	// HTTPClient sends the requests (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
	// Logger receives one debug line per request, secrets redacted.
	// Default: silent.
	Logger *slog.Logger
	// Budget paces requests. Default: an in-process budget with Limits
	// and HeaderReader. Replicas share a budget from
	// helpdesk/budget/redisbudget built with the same limits.
	Budget transport.Budget
	// NoBudget turns the default budget off: requests are then slowed
	// only by Minidesk's own 429s.
	NoBudget bool
	// Tolerance is how far a delivery's signed time may be from its
	// receive time (default driver.DefaultTolerance).
	Tolerance time.Duration
	// ConversationLimit is how many writes the bot may make into one
	// ticket per ConversationWindow, half of them at once: 0 means
	// ConversationWrites, negative turns the guard off.
	ConversationLimit int
	// MaxRetries is the number of retries after the first attempt
	// (default transport.DefaultMaxRetries; -1 disables them).
	MaxRetries int
	// MaxRetryWait caps how long a Retry-After may hold a retry (default
	// transport.DefaultMaxRetryWait); a longer one is returned as the
	// error's RetryAfter.
	MaxRetryWait time.Duration
}

func (o *Options) validate(ce *helpdesk.ConfigError) {
	driver.CheckOptions(ce, driver.OptionValues{Tolerance: o.Tolerance, MaxRetries: o.MaxRetries,
		MaxRetryWait: o.MaxRetryWait, Budget: o.Budget != nil, NoBudget: o.NoBudget})
}

// Client is a Minidesk account seen as a helpdesk.Helpdesk. Reach it from
// a helpdesk.Helpdesk with helpdesk.As.
type Client struct {
	helpdesk.Helpdesk

	cfg      Config
	http     *transport.Client
	verifier *driver.Verifier
	rec      driver.Reconciler // replies posted or found, sends unsettled
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
	u, _ := url.Parse(cfg.BaseURL)
	b, err := driver.Budget(opts.Budget, opts.NoBudget, Vendor+":"+u.Host, Limits, HeaderReader, budget.WithLogger(opts.Logger))
	if err != nil {
		return nil, err
	}
	hc, err := transport.New(transport.Options{
		Vendor:           Vendor,
		BaseURL:          cfg.BaseURL,
		Auth:             transport.Bearer(cfg.APIToken),
		HTTPClient:       opts.HTTPClient,
		Logger:           opts.Logger,
		Budget:           b,
		MaxRetries:       opts.MaxRetries,
		MaxRetryWait:     opts.MaxRetryWait,
		RequestIDHeaders: []string{RequestIDHeader},
		DecodeError:      decodeError,
		Classify:         classify,
		Secrets:          cfg.WebhookSecrets,
	})
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:      cfg,
		http:     hc,
		verifier: driver.NewVerifier(opts.Tolerance, cfg.WebhookSecrets...),
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

// ErrorAs is errors.As: Minidesk's errors are *helpdesk.APIError values.
func (c *Client) ErrorAs(err error, i any) bool { return driver.ErrorAs(err, i) }

// String keeps the token and secrets out of %v.
func (c *Client) String() string { return "minidriver.Client{" + c.cfg.String() + "}" }

// GoString keeps the token and secrets out of %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps the token and secrets out of slog.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

// MarshalJSON keeps the token and secrets out of JSON.
func (c *Client) MarshalJSON() ([]byte, error) { return c.cfg.MarshalJSON() }

// reply is Minidesk's reply object, as POST .../replies returns it and
// GET .../replies lists it.
type reply struct {
	ID       flexID `json:"id"`
	Body     string `json:"body"`
	Internal bool   `json:"internal"`
	Author   struct {
		Type string `json:"type"`
		ID   flexID `json:"id"`
	} `json:"author"`
	// CreatedAt is RFC 3339, kept as a string so that an unreadable time
	// never fails the read-back.
	CreatedAt string `json:"created_at"`
}

func ticketPath(conv helpdesk.Conversation, action string) string {
	return "/v1/tickets/" + conv.ID + "/" + action
}

func (d clientDriver) Vendor() string                                 { return Vendor }
func (d clientDriver) Capabilities() helpdesk.Capabilities            { return Capabilities }
func (d clientDriver) As(i any) bool                                  { return d.c.As(i) }
func (d clientDriver) ErrorAs(err error, i any) bool                  { return d.c.ErrorAs(err, i) }
func (d clientDriver) VerifyWebhook(r *helpdesk.WebhookRequest) error { return d.c.verifyWebhook(r) }
func (d clientDriver) ParseWebhook(ctx context.Context, r *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	return d.c.parseWebhook(r)
}

// CheckConversation refuses ticket ids that are not Minidesk's positive
// integers, without a request.
func (d clientDriver) CheckConversation(conv helpdesk.Conversation) error {
	if !numericID(conv.ID) {
		return &helpdesk.FieldError{Field: "conversation.id", Problem: "Minidesk ticket ids are positive integers"}
	}
	return nil
}

// CheckTarget refuses team and agent ids that are not positive integers.
func (d clientDriver) CheckTarget(to helpdesk.Target) error {
	if !numericID(to.ID) {
		return &helpdesk.FieldError{Field: "id", Problem: "Minidesk " + string(to.Kind) + " ids are positive integers"}
	}
	return nil
}

// SendMessage posts a reply or an internal note: POST
// /v1/tickets/{id}/replies. Minidesk takes no idempotency key, so a reply
// that may have been posted is never resent blindly: the driver reads the
// ticket's replies back first (reconcile.go).
func (d clientDriver) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	id, err := d.c.postReply(ctx, conv, msg)
	if err != nil {
		return nil, err
	}
	return &helpdesk.Receipt{MessageID: id}, nil
}

// Resolve closes the ticket: POST /v1/tickets/{id}/close. Closing a closed
// ticket changes nothing, so the request may be retried.
func (d clientDriver) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	_, err := d.c.http.Do(ctx, &transport.Request{
		Method:     http.MethodPost,
		Path:       ticketPath(conv, "close"),
		Priority:   transport.PriorityCritical,
		Idempotent: true,
	}, nil)
	return err
}

// Reassign assigns the ticket to a team (which clears the agent) or an
// agent, with to.Note as the assignment's internal note, in one request:
// POST /v1/tickets/{id}/assign. The customer notice follows as a reply,
// so that a failed notice never keeps the customer from a human: its error
// is returned after the handover took place, and retrying the handover
// assigns again without harm.
func (d clientDriver) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	id, _ := strconv.ParseUint(to.ID, 10, 64) // CheckTarget passed
	body := map[string]any{}
	if to.Kind == helpdesk.TargetAgent {
		body["agent_id"] = id
	} else {
		body["team_id"] = id
	}
	if to.Note != "" {
		body["note"] = to.Note
	}
	_, err := d.c.http.Do(ctx, &transport.Request{
		Method:     http.MethodPost,
		Path:       ticketPath(conv, "assign"),
		Body:       body,
		Priority:   transport.PriorityCritical,
		Idempotent: to.Note == "", // a repeated note would show twice
	}, nil)
	if err != nil || to.Notice == "" {
		return err
	}
	_, err = d.SendMessage(ctx, conv, helpdesk.Message{Text: to.Notice})
	return err
}

// flexID reads an id Minidesk writes as a JSON number or a string.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*f = flexID(s)
	return nil
}
