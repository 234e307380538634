package cloudchat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Vendor is the driver's name in Conversation.Vendor, errors and logs.
const Vendor = "cloudchat"

// Options tunes a Client. A nil *Options means the defaults.
type Options struct {
	// HTTPClient sends the requests (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
	// Logger receives the transport's debug and retry lines, secrets
	// redacted (default: silent).
	Logger *slog.Logger
	// Budget paces requests. By default (nil, NoBudget false) the client
	// builds an in-process budget named cfg.BudgetKey() with DefaultLimits,
	// read by Headers: a 429 pauses every call until the next
	// minute boundary. Chatwoot limits every client IP to 3000 requests a
	// minute, so replicas behind one address must share one budget: build
	// it with helpdesk/budget/redisbudget from the same three pieces
	// (BudgetKey, DefaultLimits, Headers) and pass it here, as in
	// the New (sharedBudget) example. Only that package links go-redis.
	Budget transport.Budget
	// NoBudget turns the default budget off: requests are then slowed only
	// by Chatwoot's own 429s.
	NoBudget bool
	// ConversationLimit is how many writes a minute the client makes into
	// one conversation (a message, a resolve, a hand-over and each of its
	// notice and note count one each), a quarter of them at once. Zero
	// means DefaultConversationLimit, Chatwoot's flood guard; negative
	// turns the guard off. The guard is in process: a conversation's
	// events are handled in order by one replica at a time, so a runaway
	// loop is stopped where it runs, without a request.
	ConversationLimit int
	// Tolerance is how far a signed webhook timestamp may be from the time
	// the delivery was received, either way (default
	// driver.DefaultTolerance, 5 minutes).
	Tolerance time.Duration
	// MaxRetries is the transport's retry count (0 = its default, -1 = none).
	MaxRetries int
	// MaxRetryWait caps how long a 429 may hold a call before it is
	// returned as an error (0 = the transport's default, 60 s, which always
	// covers Chatwoot's one-minute window).
	MaxRetryWait time.Duration
}

// Client is the Cloud Chat driver: the portable helpdesk.Helpdesk (whose
// SendMessage, Resolve, Reassign and ParseWebhook apply the rules every
// driver shares, see helpdesk/driver) plus Cloud Chat's extras. It is safe
// for concurrent use.
type Client struct {
	helpdesk.Helpdesk

	cfg  Config
	bot  *transport.Client
	user *transport.Client // nil without Config.UserToken
	rec  driver.Reconciler // reconcile.go
	// handovers remembers the messages of unfinished handovers (reconcile.go).
	handovers driver.Handovers
	verifier  *driver.Verifier // Config.WebhookSecrets
	unsigned  *driver.Verifier // Config.UnsignedToken; nil without it
	prefix    string           // /api/v1/accounts/{id}
	account   string

	verMu    sync.Mutex
	ver      version
	verKnown bool
}

// clientDriver is the driver.Driver the portable Helpdesk wraps.
type clientDriver struct{ c *Client }

var (
	_ helpdesk.Helpdesk                     = (*Client)(nil)
	_ driver.Driver                         = clientDriver{}
	_ driver.ConversationChecker            = clientDriver{}
	_ driver.TargetChecker                  = clientDriver{}
	_ interface{ As(any) bool }             = (*Client)(nil)
	_ interface{ ErrorAs(error, any) bool } = (*Client)(nil)
)

// New returns a Client for cfg. It makes no request: the server version is
// read from GET /api only when a version-dependent call first needs it.
func New(cfg Config, opts *Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxRetryWait < 0 || o.Tolerance < 0 {
		ce := &helpdesk.ConfigError{Vendor: Vendor}
		if o.MaxRetryWait < 0 {
			ce.Add("Options.MaxRetryWait", "must not be negative")
		}
		if o.Tolerance < 0 {
			ce.Add("Options.Tolerance", "must not be negative")
		}
		return nil, ce
	}
	c := &Client{
		cfg:      cfg,
		account:  strconv.FormatInt(cfg.AccountID, 10),
		verifier: driver.NewVerifier(o.Tolerance, cfg.WebhookSecrets...),
	}
	if cfg.UnsignedToken != "" {
		c.unsigned = driver.NewVerifier(o.Tolerance, cfg.UnsignedToken)
	}
	c.prefix = "/api/v1/accounts/" + c.account
	if cfg.ServerVersion != "" {
		c.ver, _ = parseVersion(cfg.ServerVersion)
		c.verKnown = true
	}
	pace, err := driver.Budget(o.Budget, o.NoBudget, cfg.BudgetKey(), cfg.Limits(), Headers, budget.WithLogger(o.Logger))
	if err != nil {
		return nil, err
	}
	secrets := append([]string{cfg.UnsignedToken}, cfg.WebhookSecrets...)
	secrets = append(secrets, cfg.UserToken, cfg.APIToken)
	mk := func(token string) (*transport.Client, error) {
		return transport.New(transport.Options{
			Vendor:           Vendor,
			BaseURL:          strings.TrimRight(cfg.BaseURL, "/"),
			Auth:             transport.Header("api_access_token", "", token),
			HTTPClient:       o.HTTPClient,
			Logger:           o.Logger,
			Budget:           pace,
			MaxRetries:       o.MaxRetries,
			MaxRetryWait:     o.MaxRetryWait,
			DecodeError:      DecodeError,
			Classify:         classify,
			RetryAfter:       RetryAfter,
			RequestIDHeaders: requestIDHeaders,
			Secrets:          secrets,
			UserAgent:        "cloudchat",
		})
	}
	if c.bot, err = mk(cfg.APIToken); err != nil {
		return nil, err
	}
	if cfg.UserToken != "" {
		if c.user, err = mk(cfg.UserToken); err != nil {
			return nil, err
		}
	}
	p, err := driver.New(clientDriver{c}, &driver.Options{ConversationLimit: conversationLimit(o.ConversationLimit)})
	if err != nil {
		return nil, err
	}
	c.Helpdesk = p
	return c, nil
}

// Config returns the client's configuration (print it freely: secrets are
// redacted by its String and LogValue methods).
func (c *Client) Config() Config { return c.cfg }

// As sets *i to the client when i is a **Client, so that helpdesk.As
// reaches the Cloud Chat extras through a helpdesk.Helpdesk.
func (c *Client) As(i any) bool {
	if p, ok := i.(**Client); ok && p != nil {
		*p = c
		return true
	}
	return false
}

// ErrorAs is errors.As: the driver's errors (*TooLongError,
// *WindowClosedError, *helpdesk.APIError) are all reachable with it.
func (c *Client) ErrorAs(err error, i any) (ok bool) {
	defer func() {
		if recover() != nil { // i is not a valid errors.As target
			ok = false
		}
	}()
	return errors.As(err, i)
}

// capabilities: Chatwoot cannot resolve in the message request (two
// requests: message, then toggle_status, which the portable Helpdesk
// sends), and attachments need a multipart upload the driver does not do,
// so CapResolveWithMessage and CapAttachments are not declared.
const capabilities = helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapInternalNote | helpdesk.CapResolve |
	helpdesk.CapReassignGroup | helpdesk.CapReassignAgent | helpdesk.CapWebhooks)

func (clientDriver) Vendor() string                      { return Vendor }
func (clientDriver) Capabilities() helpdesk.Capabilities { return capabilities }
func (d clientDriver) As(i any) bool                     { return d.c.As(i) }
func (d clientDriver) ErrorAs(err error, i any) bool     { return d.c.ErrorAs(err, i) }

// CheckConversation checks a conversation reference once, before any
// request: vendor, account and numeric display id (see displayID).
func (d clientDriver) CheckConversation(conv helpdesk.Conversation) error {
	_, err := d.c.displayID(conv)
	return err
}

// CheckTarget requires the numeric team or agent id Chatwoot uses.
func (clientDriver) CheckTarget(to helpdesk.Target) error {
	if _, err := targetID(to); err != nil {
		return err
	}
	return nil
}

func targetID(to helpdesk.Target) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(to.ID), 10, 64)
	if err != nil || n <= 0 {
		what := "agent"
		if to.Kind == helpdesk.TargetGroup {
			what = "team"
		}
		return 0, &helpdesk.FieldError{Field: "id", Problem: "must be a numeric Cloud Chat " + what + " id", Err: helpdesk.ErrInvalidRequest}
	}
	return n, nil
}

// ErrTemplateRequired is matched by *WindowClosedError: the conversation's
// reply window is closed, and only a template (SendTemplate) can reach the
// customer.
var ErrTemplateRequired = errors.New("cloudchat: reply window closed, a template message is required")

// WindowClosedError is returned by SendMessage, without sending anything,
// when the conversation carries can_reply=false: Chatwoot would turn a plain
// reply into a nameless template that fails at WhatsApp ("Template not found
// or invalid template name"). It matches ErrTemplateRequired.
type WindowClosedError struct {
	Channel      helpdesk.Channel
	Conversation string
}

func (e *WindowClosedError) Error() string {
	what := "the reply window"
	if e.Channel == helpdesk.ChannelWhatsApp || e.Channel == helpdesk.ChannelWhatsAppTwilio {
		what = "the WhatsApp 24-hour window"
	}
	return "cloudchat: conversation " + e.Conversation + ": " + what + " is closed; send an approved template with SendTemplate"
}

// Unwrap matches ErrTemplateRequired and the portable
// helpdesk.ErrReplyWindowClosed.
func (e *WindowClosedError) Unwrap() []error {
	return []error{ErrTemplateRequired, helpdesk.ErrReplyWindowClosed}
}

// ErrUserTokenRequired is returned, without sending anything, by calls to
// endpoints an agent-bot token may not use (Chatwoot would answer 401
// "Access to this endpoint is not authorized for bots") when no
// Config.UserToken is set. It matches helpdesk.ErrUnauthorized.
var ErrUserTokenRequired = fmt.Errorf("cloudchat: this endpoint needs Config.UserToken (agent-bot tokens are refused): %w", helpdesk.ErrUnauthorized)

// userClient returns the client for user-only endpoints.
func (c *Client) userClient(ctx context.Context, botSince string) (*transport.Client, error) {
	if c.user != nil {
		return c.user, nil
	}
	if c.cfg.tokenKind() == TokenUser {
		return c.bot, nil
	}
	if botSince != "" {
		v, err := c.version(ctx)
		if err != nil {
			return nil, err
		}
		min, _ := parseVersion(botSince)
		if !v.less(min) {
			return c.bot, nil
		}
	}
	return nil, ErrUserTokenRequired
}

func (c *Client) convPath(conv helpdesk.Conversation, rest string) (string, error) {
	id, err := c.displayID(conv)
	if err != nil {
		return "", err
	}
	return c.prefix + "/conversations/" + id + rest, nil
}

// displayID checks a conversation reference once, without a request: the
// vendor, the account (display ids are per account: 321 in another account
// is a different conversation) and the numeric display id.
func (c *Client) displayID(conv helpdesk.Conversation) (string, error) {
	if conv.Vendor != "" && conv.Vendor != Vendor {
		return "", &helpdesk.FieldError{Field: "conversation.vendor", Problem: "conversation belongs to " + strconv.Quote(conv.Vendor) + ", not cloudchat", Err: helpdesk.ErrInvalidRequest}
	}
	if conv.Account != "" && conv.Account != c.account {
		return "", &helpdesk.FieldError{Field: "conversation.account", Problem: "conversation is in account " + strconv.Quote(conv.Account) + ", this client acts on account " + c.account, Err: helpdesk.ErrInvalidRequest}
	}
	n, err := strconv.ParseInt(conv.ID, 10, 64)
	if err != nil || n <= 0 {
		return "", &helpdesk.FieldError{Field: "conversation.id", Problem: "must be the conversation's numeric display id", Err: helpdesk.ErrInvalidRequest}
	}
	return conv.ID, nil
}

// messageBody is the JSON body of POST …/conversations/{id}/messages
// (Chatwoot spec: create_message_payload).
type messageBody struct {
	Content     string          `json:"content"`
	MessageType string          `json:"message_type"`
	Private     bool            `json:"private"`
	ContentType string          `json:"content_type,omitempty"`
	EchoID      string          `json:"echo_id,omitempty"`
	Template    *templateParams `json:"template_params,omitempty"`
}

type messageResp struct {
	ID json.Number `json:"id"`
}

// SendMessage posts one message with
// POST /api/v1/accounts/{account}/conversations/{id}/messages (bot token),
// the Message's IdempotencyKey as echo_id. It is called by the portable
// Helpdesk (Client.SendMessage), which has already refused attachments,
// empty texts and other vendors' conversations, and which resolves after
// the message (POST …/toggle_status) when msg.Resolve is set. After an
// ambiguous failure it reads the conversation back before sending again
// (reconcile.go).
//
// The server does not enforce channel limits, so a text longer than the
// conversation channel's limit (MessageLimit) is refused with a *TooLongError
// before any request: split it on the host side with helpdesk.Reply and a
// helpdesk/split splitter (SplitLimit), which sends each part after the
// previous one succeeded. When the conversation's reply window is closed
// (Extra ExtraCanReply = "false", from the webhook) a public message is
// refused with a *WindowClosedError (matching ErrTemplateRequired and
// helpdesk.ErrReplyWindowClosed): send a template with SendTemplate.
func (d clientDriver) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	c := d.c
	path, err := c.convPath(conv, "/messages")
	if err != nil {
		return nil, err
	}
	if err := checkLength(conv.Channel, msg.Text, msg.Internal); err != nil {
		return nil, err
	}
	if !msg.Internal && conv.Get(ExtraCanReply) == "false" {
		return nil, &WindowClosedError{Channel: conv.Channel, Conversation: conv.ID}
	}
	body := messageBody{
		Content: msg.Text, MessageType: "outgoing", Private: msg.Internal, ContentType: "text",
		EchoID: msg.IdempotencyKey,
	}
	id, err := c.postMessage(ctx, conv, path, body, transport.PriorityNormal, hostKey(conv, msg.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return &helpdesk.Receipt{MessageID: id}, nil
}

// Resolve resolves with
// POST …/conversations/{id}/toggle_status {"status":"resolved"} (bot token).
func (d clientDriver) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	return d.c.setStatus(ctx, conv, "resolved")
}

type toggleResp struct {
	Payload struct {
		Success       *bool  `json:"success"`
		CurrentStatus string `json:"current_status"`
	} `json:"payload"`
}

func (c *Client) setStatus(ctx context.Context, conv helpdesk.Conversation, status string) error {
	path, err := c.convPath(conv, "/toggle_status")
	if err != nil {
		return err
	}
	var out toggleResp
	_, err = c.bot.Do(ctx, &transport.Request{
		Method:     http.MethodPost,
		Path:       path,
		Body:       map[string]string{"status": status},
		Priority:   transport.PriorityCritical,
		Idempotent: true, // setting a status twice has the same effect
	}, &out)
	if err != nil {
		return err
	}
	if got := out.Payload.CurrentStatus; got != "" && got != status {
		return fmt.Errorf("cloudchat: conversation %s: asked for status %q, server reports %q", conv.ID, status, got)
	}
	return nil
}

// ErrUnknownAssignee is returned when Chatwoot answered an assignment with
// null: its assignment service looks the user (or team) up in the account
// and, when there is none, silently unassigns the conversation instead of
// failing. It matches helpdesk.ErrNotFound.
var ErrUnknownAssignee = fmt.Errorf("cloudchat: assignee not found in the account (the conversation is now unassigned): %w", helpdesk.ErrNotFound)

// Reassign hands the conversation over (called by the portable Helpdesk,
// Client.Reassign, after it validated the target and CheckTarget found a
// numeric id). The order is:
//
//  1. the customer-facing Target.Notice, POST …/messages, while the bot
//     still owns the conversation, so the customer hears it before an agent
//     appears and the bot never speaks after handing over;
//  2. the agents' Target.Note as a private message (POST …/messages with
//     "private": true), so it is in the conversation when the agent is
//     notified;
//  3. POST …/assignments with {"team_id"} for a group or {"assignee_id"} for
//     an agent; an answer of null means the id is unknown to the account and
//     Chatwoot just unassigned the conversation: ErrUnknownAssignee;
//  4. POST …/toggle_status {"status":"open"}: the bot hand-off. A conversation
//     handled by a bot is pending; opening it records the hand-off and runs
//     auto-assignment, which (because the team was set first) picks an online
//     member of that team. For an agent target it moves the conversation out
//     of the bot's pending queue.
//
// A notice longer than the channel allows is refused (*TooLongError) before
// any request. When the reply window is closed (Extra ExtraCanReply =
// "false") the notice could not reach the customer and is skipped: the
// hand-over matters more. Every step uses the bot token. A failure stops the
// sequence and is returned; the steps already done are not undone. The
// notice and the note are posted like any message, read back after an
// ambiguous failure (reconcile.go); a retry of the same handover after a
// failure posts only those not posted yet, and the assignment and status
// are state changes the transport may resend.
func (d clientDriver) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	c := d.c
	id, err := targetID(to)
	if err != nil {
		return err
	}
	path, err := c.convPath(conv, "/messages")
	if err != nil {
		return err
	}
	if to.Notice != "" {
		if err := checkLength(conv.Channel, to.Notice, false); err != nil {
			return err
		}
	}
	// A retry of a handover that failed part-way posts only what is
	// missing (driver.Handovers).
	ho := c.handovers.Begin(conv.Account+"\x00"+conv.ID, to)
	post := func(step string, body messageBody) error {
		return ho.Step(step, func(key string) error {
			_, err := c.postMessage(ctx, conv, path, body, transport.PriorityCritical, key)
			return err
		})
	}
	if to.Notice != "" && conv.Get(ExtraCanReply) != "false" {
		if err := post("notice", messageBody{Content: to.Notice, MessageType: "outgoing", ContentType: "text"}); err != nil {
			return err
		}
	}
	if to.Note != "" {
		if err := post("note", messageBody{Content: to.Note, MessageType: "outgoing", Private: true, ContentType: "text"}); err != nil {
			return err
		}
	}
	body := map[string]int64{"team_id": id}
	if to.Kind == helpdesk.TargetAgent {
		body = map[string]int64{"assignee_id": id}
	}
	if err := c.assign(ctx, conv, body); err != nil {
		return err
	}
	if err := c.setStatus(ctx, conv, "open"); err != nil {
		return err
	}
	ho.Complete()
	return nil
}

func (c *Client) assign(ctx context.Context, conv helpdesk.Conversation, body map[string]int64) error {
	path, err := c.convPath(conv, "/assignments")
	if err != nil {
		return err
	}
	resp, err := c.bot.Do(ctx, &transport.Request{
		Method: http.MethodPost, Path: path, Body: body,
		Priority: transport.PriorityCritical, Idempotent: true,
	}, nil)
	if err != nil {
		return err
	}
	b := strings.TrimSpace(string(resp.Body))
	if b == "" || b == "null" || b == "{}" {
		return ErrUnknownAssignee
	}
	return nil
}

// version is a parsed server version.
type version [3]int

func parseVersion(s string) (version, bool) {
	var v version
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+ "); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func (v version) less(o version) bool {
	for i := range v {
		if v[i] != o[i] {
			return v[i] < o[i]
		}
	}
	return false
}

func (v version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// Version returns the server's Chatwoot version: Config.ServerVersion, or
// the "version" of GET /api, read once and cached (a failed read is retried
// on the next call).
func (c *Client) Version(ctx context.Context) (string, error) {
	v, err := c.version(ctx)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

func (c *Client) version(ctx context.Context) (version, error) {
	c.verMu.Lock()
	defer c.verMu.Unlock()
	if c.verKnown {
		return c.ver, nil
	}
	var out struct {
		Version string `json:"version"`
	}
	if _, err := c.bot.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/api"}, &out); err != nil {
		return version{}, err
	}
	v, ok := parseVersion(out.Version)
	if !ok {
		return version{}, fmt.Errorf("cloudchat: GET /api returned an unreadable version %q", out.Version)
	}
	c.ver, c.verKnown = v, true
	return v, nil
}

// knownVersion returns the version if it is known without a request.
func (c *Client) knownVersion() (version, bool) {
	c.verMu.Lock()
	defer c.verMu.Unlock()
	return c.ver, c.verKnown
}

// messageLimits are the budget limits a message create draws on.
var messageLimits = []string{LimitMessages}

// String describes c by its configuration, secrets redacted.
func (c *Client) String() string { return "cloudchat.Client{" + c.cfg.String() + "}" }

// GoString is String, so %#v does not print the tokens either.
func (c *Client) GoString() string { return c.String() }

// Format makes every verb (%v, %+v, %#v, %s, %q) print String: the
// client's fields hold the tokens and secrets.
func (c *Client) Format(f fmt.State, verb rune) {
	s := c.String()
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = f.Write([]byte(s))
}

// LogValue implements slog.LogValuer: the configuration, secrets redacted.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

// MarshalJSON encodes the configuration, secrets redacted.
func (c *Client) MarshalJSON() ([]byte, error) { return c.cfg.MarshalJSON() }
