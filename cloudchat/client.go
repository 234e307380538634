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
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Vendor is the driver's name in Conversation.Vendor, errors and logs.
const Vendor = "cloudchat"

// Limit names passed to the budget in transport.Call.Limits. A budget
// configured with a PerEndpoint limit of that name paces the calls; see
// DefaultLimits.
const (
	// LimitMessages is drawn on by every message create; Chatwoot refuses
	// more than 200 messages a minute in one conversation.
	LimitMessages = "messages-per-conversation"
	// LimitContactSearch is drawn on by GET /contacts/search (100/min per
	// account).
	LimitContactSearch = "contact-search"
	// LimitConversation is the budget.PerKey prefix of the per-conversation
	// flood guard: message creates name
	// budget.KeyedLimit(LimitConversation, "<account>/<conversation>").
	LimitConversation = "conversation"
)

// DefaultConversationLimit is Chatwoot's flood guard
// (CONVERSATION_MESSAGE_PER_MINUTE_LIMIT): messages a minute in one
// conversation before it answers 422 "Too many messages".
const DefaultConversationLimit = 200

// Options tunes a Client. A nil *Options means the defaults.
type Options struct {
	// HTTPClient sends the requests (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
	// Logger receives the transport's debug and retry lines, secrets
	// redacted (default: silent).
	Logger *slog.Logger
	// ConversationLimit is how many messages a minute the driver sends into
	// one conversation (default DefaultConversationLimit; negative turns the
	// guard off). The guard is an in-process budget.PerKey placed before
	// Budget: a conversation's events are handled in order by one replica
	// at a time, so a runaway loop is stopped where it runs.
	ConversationLimit int
	// Budget paces requests. Chatwoot limits every client IP to 3000
	// requests a minute, so replicas behind one address must share one
	// budget: use a Redis budget from helpdesk/budget with DefaultLimits and
	// RetryAfter's reading of 429s. Nil sends without pacing.
	Budget transport.Budget
	// MaxRetries is the transport's retry count (0 = its default, -1 = none).
	MaxRetries int
	// MaxRetryWait caps how long a 429 may hold a call before it is
	// returned as an error (0 = the transport's default, 60 s, which always
	// covers Chatwoot's one-minute window).
	MaxRetryWait time.Duration
	// Now is the clock for webhook timestamp checks (default time.Now).
	Now func() time.Time
	// Tolerance is how old or how far in the future a signed webhook
	// timestamp may be (default 5 minutes).
	Tolerance time.Duration
}

// Client is the Cloud Chat driver. It implements helpdesk.Helpdesk and is
// safe for concurrent use.
type Client struct {
	cfg     Config
	bot     *transport.Client
	user    *transport.Client // nil without Config.UserToken
	now     func() time.Time
	tol     time.Duration
	prefix  string // /api/v1/accounts/{id}
	account string

	verMu    sync.Mutex
	ver      version
	verKnown bool
}

var _ helpdesk.Helpdesk = (*Client)(nil)

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
		return nil, errors.New("cloudchat: negative option")
	}
	c := &Client{
		cfg:     cfg,
		now:     o.Now,
		tol:     o.Tolerance,
		account: strconv.FormatInt(cfg.AccountID, 10),
	}
	c.prefix = "/api/v1/accounts/" + c.account
	if c.now == nil {
		c.now = time.Now
	}
	if c.tol == 0 {
		c.tol = helpdesk.DefaultTolerance
	}
	if cfg.ServerVersion != "" {
		c.ver, _ = parseVersion(cfg.ServerVersion)
		c.verKnown = true
	}
	pace := o.Budget
	if o.ConversationLimit >= 0 {
		n := o.ConversationLimit
		if n == 0 {
			n = DefaultConversationLimit
		}
		perConv, err := budget.NewPerKey(LimitConversation, 0, func(key string) (transport.Budget, error) {
			return budget.NewLocal(Vendor+":"+LimitConversation+":"+key, []budget.Limit{{Count: n, Window: time.Minute, Burst: max(1, n/4)}})
		})
		if err != nil {
			return nil, err
		}
		pace = budget.Chain{perConv, o.Budget}
	}
	secrets := append([]string{cfg.UnsignedToken}, cfg.WebhookSecrets...)
	secrets = append(secrets, cfg.UserToken, cfg.APIToken)
	mk := func(token string) (*transport.Client, error) {
		return transport.New(transport.Options{
			Vendor:       Vendor,
			BaseURL:      strings.TrimRight(cfg.BaseURL, "/"),
			Auth:         transport.Header("api_access_token", "", token),
			HTTPClient:   o.HTTPClient,
			Logger:       o.Logger,
			Budget:       pace,
			MaxRetries:   o.MaxRetries,
			MaxRetryWait: o.MaxRetryWait,
			Classify:     classify,
			RetryAfter:   RetryAfter,
			Secrets:      secrets,
			UserAgent:    "cloudchat",
		})
	}
	var err error
	if c.bot, err = mk(cfg.APIToken); err != nil {
		return nil, err
	}
	if cfg.UserToken != "" {
		if c.user, err = mk(cfg.UserToken); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Config returns the client's configuration (print it freely: secrets are
// redacted by its String and LogValue methods).
func (c *Client) Config() Config { return c.cfg }

// Capabilities implements helpdesk.Helpdesk. Chatwoot cannot resolve in the
// message request (two requests: message, then toggle_status), and
// attachments need a multipart upload the driver does not do, so
// CapResolveWithMessage and CapAttachments are not declared.
func (c *Client) Capabilities() helpdesk.Capabilities {
	return helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapInternalNote | helpdesk.CapResolve |
		helpdesk.CapReassignGroup | helpdesk.CapReassignAgent | helpdesk.CapWebhooks)
}

// RetryAfter reads how long a Chatwoot 429 asks to wait. Rack::Attack
// throttles per fixed clock minute and answers "Retry later" as text/plain
// with no Retry-After, so the wait is up to the next minute boundary,
// measured on the server's Date header when present (the window is keyed on
// the server's clock) and on now otherwise. A Retry-After added by a proxy
// in front of the instance wins. It is the transport's RetryAfter hook.
func RetryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if d, ok := transport.ParseRetryAfter(resp, now); ok {
		return d, true
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	return untilNextMinute(resp.Header, now), true
}

// untilNextMinute returns the time from the server's clock (Date header, or
// now) to the next whole minute: always in (0, 60 s].
func untilNextMinute(h http.Header, now time.Time) time.Duration {
	t := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		t = d
	}
	sec := t.Unix() % 60
	if sec < 0 {
		sec += 60
	}
	d := time.Duration(60-sec)*time.Second - time.Duration(t.Nanosecond())
	if d <= 0 {
		d = time.Minute
	}
	return d
}

// classify adjusts Chatwoot errors: the flood guard's 422 "Too many
// messages" is a rate limit, not an invalid request.
func classify(e *helpdesk.APIError) {
	if e.StatusCode == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(e.Message), "too many messages") {
		e.Kind = helpdesk.ErrRateLimited
		if e.RetryAfter == 0 {
			e.RetryAfter = time.Minute
		}
	}
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

func (c *Client) displayID(conv helpdesk.Conversation) (string, error) {
	if conv.Account != "" && conv.Account != c.account {
		// Display ids are per account: 321 in another account is a
		// different conversation.
		return "", &helpdesk.FieldError{Field: "conversation.account", Problem: "conversation is in account " + strconv.Quote(conv.Account) + ", this client acts on account " + c.account, Err: helpdesk.ErrInvalidRequest}
	}
	if conv.Vendor != "" && conv.Vendor != Vendor {
		return "", &helpdesk.FieldError{Field: "conversation.vendor", Problem: "conversation belongs to " + strconv.Quote(conv.Vendor) + ", not cloudchat", Err: helpdesk.ErrInvalidRequest}
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

// SendMessage implements helpdesk.Helpdesk with
// POST /api/v1/accounts/{account}/conversations/{id}/messages (bot token).
//
// The server does not enforce channel limits, so a text longer than the
// conversation channel's limit (MessageLimit) is refused with a *TooLongError
// before any request: split it on the host side with helpdesk.Reply and a
// helpdesk/split splitter, which sends each part after the previous one
// succeeded. When the conversation's reply window is closed (Extra
// "can_reply" = "false", from the webhook) a public message is refused with a
// *WindowClosedError (matching ErrTemplateRequired): send a template with
// SendTemplate. Attachments are not supported. With msg.Resolve the
// conversation is resolved by a second request (toggle_status) after the
// message; if that fails the receipt is returned with a
// *helpdesk.ResolveAfterReplyError.
func (c *Client) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := c.convPath(conv, "/messages")
	if err != nil {
		return nil, err
	}
	if len(msg.Attachments) > 0 {
		return nil, helpdesk.Unsupported(Vendor, "attachments by URL")
	}
	if strings.TrimSpace(msg.Text) == "" {
		return nil, &helpdesk.FieldError{Field: "text", Problem: "empty message", Err: helpdesk.ErrInvalidRequest}
	}
	if err := checkLength(conv.Channel, msg.Text, msg.Internal); err != nil {
		return nil, err
	}
	if !msg.Internal && conv.Get(ExtraCanReply) == "false" {
		return nil, &WindowClosedError{Channel: conv.Channel, Conversation: conv.ID}
	}
	var out messageResp
	_, err = c.bot.Do(ctx, &transport.Request{
		Method: http.MethodPost,
		Path:   path,
		Body: messageBody{
			Content: msg.Text, MessageType: "outgoing", Private: msg.Internal, ContentType: "text",
			EchoID: msg.IdempotencyKey,
		},
		Limits: c.messageLimits(conv),
	}, &out)
	if err != nil {
		return nil, err
	}
	rcpt := &helpdesk.Receipt{MessageID: out.ID.String()}
	if msg.Resolve {
		if err := c.setStatus(ctx, conv, "resolved"); err != nil {
			return rcpt, &helpdesk.ResolveAfterReplyError{Err: err}
		}
		rcpt.Resolved = true
	}
	return rcpt, nil
}

// Resolve implements helpdesk.Helpdesk with
// POST …/conversations/{id}/toggle_status {"status":"resolved"} (bot token).
func (c *Client) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.setStatus(ctx, conv, "resolved")
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

// Reassign implements helpdesk.Helpdesk. The order is:
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
// When the reply window is closed (Extra "can_reply" = "false") the notice
// could not reach the customer and is skipped: the hand-over matters more.
// Every step uses the bot token. A failure stops the sequence and is
// returned; the steps already done are not undone.
func (c *Client) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	if err := to.Validate(); err != nil {
		return err
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(to.ID), 10, 64); err != nil || n <= 0 {
		return &helpdesk.FieldError{Field: "id", Problem: "must be a numeric Cloud Chat " + map[helpdesk.TargetKind]string{helpdesk.TargetGroup: "team", helpdesk.TargetAgent: "agent"}[to.Kind] + " id", Err: helpdesk.ErrInvalidRequest}
	}
	if err := ctx.Err(); err != nil {
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
	if to.Notice != "" && conv.Get(ExtraCanReply) != "false" {
		if _, err := c.bot.Do(ctx, &transport.Request{
			Method: http.MethodPost, Path: path, Priority: transport.PriorityCritical, Limits: c.messageLimits(conv),
			Body: messageBody{Content: to.Notice, MessageType: "outgoing", ContentType: "text"},
		}, nil); err != nil {
			return err
		}
	}
	if to.Note != "" {
		if _, err := c.bot.Do(ctx, &transport.Request{
			Method: http.MethodPost, Path: path, Priority: transport.PriorityCritical, Limits: c.messageLimits(conv),
			Body: messageBody{Content: to.Note, MessageType: "outgoing", Private: true, ContentType: "text"},
		}, nil); err != nil {
			return err
		}
	}
	id, _ := strconv.ParseInt(strings.TrimSpace(to.ID), 10, 64)
	body := map[string]int64{"team_id": id}
	if to.Kind == helpdesk.TargetAgent {
		body = map[string]int64{"assignee_id": id}
	}
	if err := c.assign(ctx, conv, body); err != nil {
		return err
	}
	return c.setStatus(ctx, conv, "open")
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

// messageLimits are the limits a message create in conv draws on: the
// endpoint limit and the conversation's flood guard.
func (c *Client) messageLimits(conv helpdesk.Conversation) []string {
	return []string{LimitMessages, budget.KeyedLimit(LimitConversation, c.account+"/"+conv.ID)}
}
