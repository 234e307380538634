package zendesk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Options tunes a Client. A nil *Options means defaults.
type Options struct {
	// HTTPClient sends requests (default: a client with a 30 s timeout).
	HTTPClient *http.Client
	// Logger receives transport debug lines, secrets redacted (default:
	// silent).
	Logger *slog.Logger
	// Budget paces Support API requests. The rule is driver.Budget's, the
	// same in every driver: Budget when set (replicas share one on Redis,
	// built with Config.Limits and budget.WithHeaders(Headers)); none when
	// NoBudget; otherwise NewBudget(cfg), an in-process budget sized from
	// Config.Plan and Config.TicketUpdateShare and fed by Zendesk's
	// rate-limit headers.
	Budget transport.Budget
	// NoBudget disables the default budget (requests are then only slowed
	// by Zendesk's 429s).
	NoBudget bool
	// SunshineBudget paces Sunshine Conversations requests (default none:
	// Sunshine publishes no numbers).
	SunshineBudget transport.Budget
	// ConversationLimit is how many writes the bot makes into one ticket or
	// conversation per 10 minutes (a message, a resolve, a handover and
	// each of its notice and note count one each): default
	// DefaultConversationLimit, Zendesk's 30 updates per user per ticket;
	// negative turns the guard off. Half of it is available at once. A
	// write the guard would hold past the context's deadline fails at once
	// with helpdesk.ErrRateLimited, without a request.
	ConversationLimit int
	// Tolerance is how far a trigger webhook's signed timestamp may be from
	// the time it was received (WebhookRequest.ReceivedAt), either way
	// (default driver.DefaultTolerance, 5 minutes).
	Tolerance time.Duration
	// MaxRetries is passed to the transport (default 3; -1 disables).
	MaxRetries int
	// MaxRetryWait caps how long a Retry-After may make a retry wait
	// (default the transport's 60 s); longer waits are returned as errors.
	MaxRetryWait time.Duration
	// NewIdempotencyKey returns a fresh key for ticket updates whose
	// Message carries none (default: 128 random bits, hex).
	NewIdempotencyKey func() string
}

// Client is the Zendesk driver: the embedded helpdesk.Helpdesk answers
// Support tickets and Sunshine Conversations (see the package
// documentation for the endpoints), and Client adds Zendesk's extras
// (tickets, groups, bulk close). It is safe for concurrent use.
type Client struct {
	helpdesk.Helpdesk

	cfg      Config
	support  *transport.Client
	sunshine *transport.Client
	newKey   func() string
	botID    string
	// trigger verifies trigger webhooks (Config.WebhookSecrets),
	// sunVerify Sunshine deliveries (Config.SunshineWebhookSecrets).
	trigger   *driver.Verifier
	sunVerify *driver.Verifier

	// ids of comments/messages this client posted, to recognise the echo.
	posted *recentMap
	// first Sunshine message seen per conversation.
	firstMsg *recentMap
	// sends whose outcome reconciliation could not settle (reconcile.go).
	rec driver.Reconciler
	// steps done by unfinished handovers.
	handovers driver.Handovers
}

// clientDriver is the driver.Driver the embedded Portable wraps.
type clientDriver struct{ c *Client }

var (
	_ driver.Driver              = clientDriver{}
	_ driver.ConversationChecker = clientDriver{}
	_ driver.TargetChecker       = clientDriver{}
	_ helpdesk.Helpdesk          = (*Client)(nil)
)

// New validates cfg and returns a Client.
func New(cfg Config, opts *Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.Normalize()
	var o Options
	if opts != nil {
		o = *opts
	}
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	if o.MaxRetryWait < 0 {
		ce.Add("MaxRetryWait", "must not be negative")
	}
	if o.Tolerance < 0 {
		ce.Add("Tolerance", "must not be negative")
	}
	if err := ce.Err(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, newKey: o.NewIdempotencyKey,
		posted: newRecentMap(4096), firstMsg: newRecentMap(4096)}
	if c.newKey == nil {
		c.newKey = randomKey
	}
	c.botID = strconv.FormatInt(cfg.BotUserID, 10)
	secrets := nonEmpty(cfg.WebhookSecrets)
	if cfg.AcceptTestSecret {
		secrets = append(secrets, testWebhookSecret)
	}
	sunKeys := nonEmpty(cfg.SunshineWebhookSecrets)
	c.trigger = driver.NewVerifier(o.Tolerance, secrets...)
	c.sunVerify = driver.NewVerifier(o.Tolerance, sunKeys...)

	b, err := driver.Budget(o.Budget, o.NoBudget, cfg.BudgetKey(), cfg.Limits(), Headers, budget.WithLogger(o.Logger))
	if err != nil {
		return nil, fmt.Errorf("zendesk: %w", err)
	}
	auth, extraSecrets, err := c.supportAuth(o)
	if err != nil {
		return nil, err
	}
	so := transportOptions(o, cfg.supportBaseURL())
	so.Auth, so.Budget, so.Classify = auth, b, classifySupport
	so.Secrets = append(append(extraSecrets, secrets...), sunKeys...)
	c.support, err = transport.New(so)
	if err != nil {
		return nil, fmt.Errorf("zendesk: %w", err)
	}
	if cfg.SunshineKeyID != "" {
		sun := transportOptions(o, cfg.sunshineBaseURL())
		sun.Auth, sun.Budget, sun.Classify = transport.Basic(cfg.SunshineKeyID, cfg.SunshineSecret), o.SunshineBudget, classifySunshine
		sun.Secrets = append(append([]string(nil), secrets...), sunKeys...)
		c.sunshine, err = transport.New(sun)
		if err != nil {
			return nil, fmt.Errorf("zendesk: sunshine: %w", err)
		}
	}
	p, err := driver.New(clientDriver{c}, &driver.Options{ConversationLimit: conversationLimit(o.ConversationLimit)})
	if err != nil {
		return nil, fmt.Errorf("zendesk: %w", err)
	}
	c.Helpdesk = p
	return c, nil
}

func (c *Client) supportAuth(o Options) (transport.Auth, []string, error) {
	cfg := c.cfg
	switch {
	case cfg.TokenSource != nil:
		return transport.BearerFrom(cfg.TokenSource), nil, nil
	case cfg.APIToken != "":
		return transport.Basic(cfg.Email+"/token", cfg.APIToken), nil, nil
	case cfg.OAuthToken != "":
		return transport.Bearer(cfg.OAuthToken), nil, nil
	default:
		src, err := newClientCredentials(cfg, o)
		if err != nil {
			return nil, nil, err
		}
		return transport.BearerFrom(src), []string{cfg.OAuthClientSecret}, nil
	}
}

// Config returns the normalised configuration (print it freely: secrets
// are hidden).
func (c *Client) Config() Config { return c.cfg }

// As is the escape hatch helpdesk.As uses: it sets *i to c when i is a
// **Client.
func (c *Client) As(i any) bool {
	p, ok := i.(**Client)
	if !ok || p == nil {
		return false
	}
	*p = c
	return true
}

// ErrorAs is the escape hatch helpdesk.ErrorAs uses. Zendesk's errors are
// *helpdesk.APIError and *helpdesk.FieldError, so it is errors.As.
func (c *Client) ErrorAs(err error, i any) bool { return errors.As(err, i) }

// String describes c without secrets.
func (c *Client) String() string { return "zendesk.Client{" + c.cfg.String() + "}" }

// GoString is String, so %#v does not print secrets either.
func (c *Client) GoString() string { return c.String() }

// Format makes every verb print String.
func (c *Client) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String()) }

// LogValue implements slog.LogValuer: the configuration, secrets hidden.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

// MarshalJSON encodes the configuration, secrets hidden.
func (c *Client) MarshalJSON() ([]byte, error) { return c.cfg.MarshalJSON() }

// Vendor implements driver.Driver.
func (d clientDriver) Vendor() string { return Vendor }

// As implements driver.Driver.
func (d clientDriver) As(i any) bool { return d.c.As(i) }

// ErrorAs implements driver.Driver.
func (d clientDriver) ErrorAs(err error, i any) bool { return d.c.ErrorAs(err, i) }

// Capabilities implements driver.Driver. E-mail mode does everything in
// one request where asked; chat mode cannot post a Sunshine message and
// solve the ticket in one request, so it lacks CapResolveWithMessage (the
// Portable then sends the message and calls Resolve). Attachments by URL
// are not supported (Zendesk needs uploads first).
func (d clientDriver) Capabilities() helpdesk.Capabilities {
	caps := helpdesk.CapSendMessage | helpdesk.CapInternalNote | helpdesk.CapResolve |
		helpdesk.CapReassignGroup | helpdesk.CapReassignAgent | helpdesk.CapWebhooks | helpdesk.CapCreateConversation
	if d.c.cfg.Mode != ModeChat {
		// One ticket update carries the comment with the solve or with
		// the handover (a notice without a note).
		caps |= helpdesk.CapResolveWithMessage | helpdesk.CapReassignWithMessage
	}
	return helpdesk.Capabilities(caps)
}

// CheckConversation implements driver.ConversationChecker: conv must name
// a ticket or a Sunshine conversation.
func (d clientDriver) CheckConversation(conv helpdesk.Conversation) error {
	if _, ok := ticketRef(conv); ok || SunshineConversationID(conv) != "" {
		return nil
	}
	return badConversation(conv)
}

// CheckTarget implements driver.TargetChecker: Zendesk group and user ids
// are positive numbers.
func (d clientDriver) CheckTarget(to helpdesk.Target) error {
	if _, ok := targetID(to); !ok {
		return &helpdesk.FieldError{Field: "id", Problem: fmt.Sprintf("%s id %q is not a Zendesk id (a positive number)", to.Kind, to.ID), Err: helpdesk.ErrInvalidRequest}
	}
	return nil
}

func targetID(to helpdesk.Target) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(to.ID), 10, 64)
	return id, err == nil && id > 0
}

// ticketRef resolves the ticket id of conv: ExtraTicketID, or a numeric ID
// of a conversation that is not a Sunshine one.
func ticketRef(conv helpdesk.Conversation) (int64, bool) {
	if id, ok := TicketID(conv); ok {
		return id, true
	}
	if SunshineConversationID(conv) == "" {
		if id, err := strconv.ParseInt(conv.ID, 10, 64); err == nil && id > 0 {
			return id, true
		}
	}
	return 0, false
}

func badConversation(conv helpdesk.Conversation) error {
	return &helpdesk.FieldError{Field: "conversation", Problem: fmt.Sprintf("%q is neither a Zendesk ticket nor a Sunshine conversation", conv.ID), Err: helpdesk.ErrInvalidRequest}
}

// SendMessage implements driver.Driver.
//
// Ticket: one PUT /api/v2/tickets/{id} with a comment authored by the bot
// user (public, or private when msg.Internal), plus status "solved" when
// msg.Resolve — one request. Sunshine conversation: POST
// /v2/apps/{app}/conversations/{id}/messages as a business author; an
// internal note goes to the ticket as a private comment (a ticket id is
// needed). In chat mode the Portable solves the ticket with a second
// request (Resolve) after the message. After an ambiguous failure the
// driver reads the conversation back before sending again: GET
// /api/v2/tickets/{id}/comments for the ticket update (reconcile.go), GET
// /v2/apps/{app}/conversations/{id}/messages for the Sunshine post
// (sunshine_reconcile.go).
func (d clientDriver) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	c := d.c
	tid, hasTicket := ticketRef(conv)
	sunID := SunshineConversationID(conv)
	if sunID != "" && !msg.Internal {
		return d.sendSunshine(ctx, conv, sunID, msg)
	}
	if !hasTicket {
		return nil, driver.Unsupported(Vendor, "internal note on a Sunshine conversation without its ticket id (see WithTicket)")
	}
	upd := ticketUpdate{Comment: &comment{Body: msg.Text, Public: !msg.Internal, AuthorID: c.cfg.BotUserID}}
	prio := transport.PriorityNormal
	if msg.Resolve {
		upd.Status = "solved"
		prio = transport.PriorityCritical
	}
	key := c.idempotencyKey(tid, msg.IdempotencyKey)
	res, err := c.sendComment(ctx, tid, upd, prio, key, hostKey(key, msg.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	rc := &helpdesk.Receipt{MessageID: res.commentID(), Resolved: msg.Resolve}
	c.posted.putIfAbsent(rc.MessageID, "1")
	return rc, nil
}

// sendSunshine posts a bot message. msg.Resolve reaches it only in e-mail
// mode (which declares CapResolveWithMessage for its tickets) for a
// Sunshine conversation: the ticket is then solved in a second request, as
// the Portable does in chat mode.
func (d clientDriver) sendSunshine(ctx context.Context, conv helpdesk.Conversation, sunID string, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	id, err := d.c.postSunshine(ctx, conv, sunID, msg.Text, transport.PriorityNormal, msg.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	rc := &helpdesk.Receipt{MessageID: id}
	if msg.Resolve {
		if err := d.Resolve(ctx, conv); err != nil {
			return rc, &helpdesk.ResolveAfterReplyError{Err: err}
		}
		rc.Resolved = true
	}
	return rc, nil
}

// Resolve implements driver.Driver: PUT /api/v2/tickets/{id} with status
// "solved" (one request). A Sunshine conversation without a known ticket
// is released instead: POST …/conversations/{id}/releaseControl. Closing
// (solved → closed) is the job of the lifecycle package with a BulkCloser.
func (d clientDriver) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	c := d.c
	if tid, ok := ticketRef(conv); ok {
		_, err := c.updateTicket(ctx, tid, ticketUpdate{Status: "solved"}, transport.PriorityCritical, c.idempotencyKey(tid, ""))
		return err
	}
	return c.releaseControl(ctx, conv, SunshineConversationID(conv), map[string]any{"reason": "resolved"})
}

// Reassign implements driver.Driver.
//
// Ticket: one PUT /api/v2/tickets/{id} setting group_id (with an explicit
// "assignee_id": null, so the bot does not stay assignee) or assignee_id,
// status "open", and the handoff notice as a public comment or the note as
// a private one. Zendesk takes one comment per update, so a notice AND a
// note cost two requests: first the private note alone, then the notice
// with the reassignment — the customer is told only if the handover
// happened, and a failure leaves at most a note behind.
//
// Sunshine conversation: the notice is posted as a bot message, then POST
// …/passControl to Agent Workspace with metadata first_message_id (so the
// ticket shows the whole conversation, not only the last 10 messages),
// then, when the ticket id is known, the ticket PUT with the group/assignee
// and the note. Without a ticket id only a group target without a note
// is possible (the group travels in the passControl metadata as
// "agentdesk_target" for a trigger to route on). The notice and the note
// are read back after an ambiguous failure, passControl is a state change
// the transport may resend, and a retry of a handover that failed
// part-way does only the steps still missing (sunshine_reconcile.go).
func (d clientDriver) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	c := d.c
	targetID, _ := targetID(to) // checked by CheckTarget
	tid, hasTicket := ticketRef(conv)
	sunID := SunshineConversationID(conv)
	if sunID != "" {
		if !hasTicket && (to.Note != "" || to.Kind == helpdesk.TargetAgent) {
			return driver.Unsupported(Vendor, "an agent target or internal note on a Sunshine conversation without its ticket id (see WithTicket)")
		}
		// A retry of a handover that failed part-way does only what is
		// missing (driver.Handovers).
		ho := c.handovers.Begin(c.appID(conv)+"\x00"+sunID, to)
		if to.Notice != "" {
			if err := ho.Step("notice", func(key string) error {
				_, err := c.postSunshine(ctx, conv, sunID, to.Notice, transport.PriorityCritical, key)
				return err
			}); err != nil {
				return err
			}
		}
		if err := ho.Step("control", func(string) error {
			meta := map[string]any{"agentdesk_target": string(to.Kind) + ":" + to.ID}
			if first := c.firstMessageID(conv); first != "" {
				meta["first_message_id"] = first
			}
			return c.passControl(ctx, conv, sunID, meta)
		}); err != nil {
			return err
		}
		if hasTicket {
			upd := reassignUpdate(to.Kind, targetID)
			if to.Note != "" {
				upd.Comment = &comment{Body: to.Note, Public: false, AuthorID: c.cfg.BotUserID}
			}
			if err := c.handoverUpdate(ctx, ho, "ticket", tid, upd); err != nil {
				return err
			}
		}
		ho.Complete()
		return nil
	}
	// A ticket handover with both a notice and a note is two updates: the
	// note, then the notice with the assignment. A retry of one that
	// failed part-way does only what is missing (driver.Handovers).
	ho := c.handovers.Begin(conv.Account+"\x00"+strconv.FormatInt(tid, 10), to)
	upd := reassignUpdate(to.Kind, targetID)
	switch {
	case to.Notice != "" && to.Note != "":
		note := ticketUpdate{Comment: &comment{Body: to.Note, Public: false, AuthorID: c.cfg.BotUserID}}
		if err := c.handoverUpdate(ctx, ho, "note", tid, note); err != nil {
			return err
		}
		upd.Comment = &comment{Body: to.Notice, Public: true, AuthorID: c.cfg.BotUserID}
	case to.Notice != "":
		upd.Comment = &comment{Body: to.Notice, Public: true, AuthorID: c.cfg.BotUserID}
	case to.Note != "":
		upd.Comment = &comment{Body: to.Note, Public: false, AuthorID: c.cfg.BotUserID}
	}
	if err := c.handoverUpdate(ctx, ho, "assign", tid, upd); err != nil {
		return err
	}
	ho.Complete()
	return nil
}

// handoverUpdate sends a ticket update of a handover as its step, once per
// handover, its comment reconciled and recorded as the bot's own.
func (c *Client) handoverUpdate(ctx context.Context, ho driver.Handover, step string, tid int64, upd ticketUpdate) error {
	return ho.Step(step, func(key string) error {
		res, err := c.sendComment(ctx, tid, upd, transport.PriorityCritical, c.idempotencyKey(tid, ""), key)
		if err == nil {
			c.posted.putIfAbsent(res.commentID(), "1")
		}
		return err
	})
}

func reassignUpdate(kind helpdesk.TargetKind, id int64) ticketUpdate {
	upd := ticketUpdate{Status: "open"}
	if kind == helpdesk.TargetGroup {
		upd.GroupID = id
		upd.AssigneeID = nullID()
	} else {
		upd.AssigneeID = someID(id)
	}
	return upd
}

// idempotencyKey derives the Idempotency-Key of a ticket update: from the
// message's key when the host gave one (so the host's own retries are safe
// too), otherwise a fresh random key (so transport retries are).
func (c *Client) idempotencyKey(ticketID int64, msgKey string) string {
	if msgKey == "" {
		return "agentdesk-" + c.newKey()
	}
	sum := sha256.Sum256([]byte(strconv.FormatInt(ticketID, 10) + "\x00" + msgKey))
	return "agentdesk-" + hex.EncodeToString(sum[:16])
}

func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// --- Support API ---------------------------------------------------------

// nullableID is an id that can be sent as an explicit JSON null (to clear
// an assignee): omitted when unset, null when set to zero.
type nullableID struct {
	set bool
	id  int64
}

func nullID() nullableID         { return nullableID{set: true} }
func someID(id int64) nullableID { return nullableID{set: true, id: id} }

func (n nullableID) IsZero() bool { return !n.set }

func (n nullableID) MarshalJSON() ([]byte, error) {
	if n.id == 0 {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.id, 10), nil
}

type comment struct {
	Body     string `json:"body"`
	Public   bool   `json:"public"`
	AuthorID int64  `json:"author_id,omitempty"`
}

// ticketUpdate is the writable part of a ticket this driver sends.
type ticketUpdate struct {
	Comment      *comment   `json:"comment,omitempty"`
	Status       string     `json:"status,omitempty"`
	GroupID      int64      `json:"group_id,omitempty"`
	AssigneeID   nullableID `json:"assignee_id,omitzero"`
	SafeUpdate   bool       `json:"safe_update,omitempty"`
	UpdatedStamp string     `json:"updated_stamp,omitempty"`
}

type ticketResponse struct {
	Ticket Ticket `json:"ticket"`
	Audit  struct {
		ID     ID `json:"id"`
		Events []struct {
			ID   ID     `json:"id"`
			Type string `json:"type"`
		} `json:"events"`
	} `json:"audit"`
}

func (r *ticketResponse) commentID() string {
	for _, e := range r.Audit.Events {
		if e.Type == "Comment" && e.ID != 0 {
			return e.ID.String()
		}
	}
	return ""
}

func (c *Client) updateTicket(ctx context.Context, id int64, upd ticketUpdate, prio transport.Priority, key string) (*ticketResponse, error) {
	var res ticketResponse
	_, err := c.support.Do(ctx, &transport.Request{
		Method:         http.MethodPut,
		Path:           "/api/v2/tickets/" + strconv.FormatInt(id, 10),
		Body:           map[string]ticketUpdate{"ticket": upd},
		Priority:       prio,
		Limits:         []string{LimitTicketsUpdate},
		Idempotent:     true,
		IdempotencyKey: key,
	}, &res)
	if err != nil {
		return nil, fieldError(err)
	}
	return &res, nil
}

// ID is a Zendesk id. It decodes from a JSON number, a numeric string (some
// responses and every trigger placeholder) or null.
type ID int64

// UnmarshalJSON implements json.Unmarshaler.
func (i *ID) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*i = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("zendesk: id %s is not a number", b)
	}
	*i = ID(n)
	return nil
}

func (i ID) String() string { return strconv.FormatInt(int64(i), 10) }

// Ticket is the part of a Zendesk ticket the driver reads.
type Ticket struct {
	ID          ID       `json:"id"`
	Subject     string   `json:"subject"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	Priority    string   `json:"priority"`
	Type        string   `json:"type"`
	RequesterID ID       `json:"requester_id"`
	AssigneeID  ID       `json:"assignee_id"`
	GroupID     ID       `json:"group_id"`
	Tags        []string `json:"tags"`
	Via         struct {
		Channel string `json:"channel"`
	} `json:"via"`
	CreatedAt string `json:"created_at"`
	// UpdatedAt is sent back as updated_stamp for collision-safe updates.
	UpdatedAt string `json:"updated_at"`
}

// Conversation returns the helpdesk.Conversation for t.
func (t *Ticket) Conversation(subdomain string) helpdesk.Conversation {
	conv := TicketConversation(subdomain, int64(t.ID))
	if t.GroupID != 0 {
		conv.Extra[ExtraGroupID] = t.GroupID.String()
	}
	if t.AssigneeID != 0 {
		conv.Extra[ExtraAssigneeID] = t.AssigneeID.String()
	}
	if t.RequesterID != 0 {
		conv.Extra[ExtraRequesterID] = t.RequesterID.String()
	}
	if t.UpdatedAt != "" {
		conv.Extra[ExtraUpdatedAt] = t.UpdatedAt
	}
	return conv
}

// GetTicket returns a ticket: GET /api/v2/tickets/{id}.
func (c *Client) GetTicket(ctx context.Context, id int64) (*Ticket, error) {
	var res struct {
		Ticket Ticket `json:"ticket"`
	}
	if _, err := c.support.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/api/v2/tickets/" + strconv.FormatInt(id, 10)}, &res); err != nil {
		return nil, err
	}
	return &res.Ticket, nil
}

// Group is a Zendesk agent group.
type Group struct {
	ID          ID     `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Default     bool   `json:"default,omitempty"`
	Deleted     bool   `json:"deleted,omitempty"`
}

// ListGroups returns every group: GET /api/v2/groups with cursor
// pagination (100 per page).
func (c *Client) ListGroups(ctx context.Context) ([]Group, error) {
	var all []Group
	q := url.Values{"page[size]": {"100"}}
	for page := 0; page < 1000; page++ {
		var res struct {
			Groups []Group `json:"groups"`
			Meta   struct {
				HasMore     bool   `json:"has_more"`
				AfterCursor string `json:"after_cursor"`
			} `json:"meta"`
		}
		if _, err := c.support.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/api/v2/groups", Query: q}, &res); err != nil {
			return nil, err
		}
		all = append(all, res.Groups...)
		if !res.Meta.HasMore || res.Meta.AfterCursor == "" {
			return all, nil
		}
		q = url.Values{"page[size]": {"100"}, "page[after]": {res.Meta.AfterCursor}}
	}
	return all, errors.New("zendesk: ListGroups: too many pages")
}

// CreateGroup creates an agent group: POST /api/v2/groups. Zendesk allows
// it to admins only (or Enterprise custom roles with "manage groups"); with
// an agent token the error matches ErrAdminRequired and
// helpdesk.ErrUnauthorized.
func (c *Client) CreateGroup(ctx context.Context, name string) (*Group, error) {
	if strings.TrimSpace(name) == "" {
		return nil, &helpdesk.FieldError{Field: "name", Problem: "empty group name", Err: helpdesk.ErrInvalidRequest}
	}
	var res struct {
		Group Group `json:"group"`
	}
	_, err := c.support.Do(ctx, &transport.Request{Method: http.MethodPost, Path: "/api/v2/groups",
		Body: map[string]any{"group": map[string]string{"name": name}}}, &res)
	if err != nil {
		var ae *helpdesk.APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusForbidden {
			return nil, fmt.Errorf("%w: creating the group %q needs a Zendesk admin (or a custom role allowed to manage groups); the configured user is not one: %w", ErrAdminRequired, name, err)
		}
		return nil, fieldError(err)
	}
	return &res.Group, nil
}

// EnsureBotGroup returns the bot's group id: Config.BotGroupID when set,
// else the id of the group called name (ListGroups), else a new group
// created with CreateGroup (admin token needed).
func (c *Client) EnsureBotGroup(ctx context.Context, name string) (int64, error) {
	if c.cfg.BotGroupID > 0 {
		return c.cfg.BotGroupID, nil
	}
	groups, err := c.ListGroups(ctx)
	if err != nil {
		return 0, err
	}
	for _, g := range groups {
		if !g.Deleted && strings.EqualFold(g.Name, name) {
			return int64(g.ID), nil
		}
	}
	g, err := c.CreateGroup(ctx, name)
	if err != nil {
		return 0, err
	}
	return int64(g.ID), nil
}

// --- Sunshine Conversations ----------------------------------------------

// MaxSunshineText is Sunshine's cap on a text message (characters); the
// customer's channel may be stricter (helpdesk/split has presets).
const MaxSunshineText = 4096

type sunAuthor struct {
	Type        string   `json:"type"`
	DisplayName string   `json:"displayName,omitempty"`
	AvatarURL   string   `json:"avatarUrl,omitempty"`
	Subtypes    []string `json:"subtypes,omitempty"`
}

type sunContent struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
}

type sunMessagePost struct {
	Author   sunAuthor         `json:"author"`
	Content  sunContent        `json:"content"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// botMetadataKey marks the bot's Sunshine messages, so their webhook echo
// is recognised even when another integration uses the same display name.
const botMetadataKey = "agentdesk_bot"

func (c *Client) needSunshine() error {
	if c.sunshine == nil {
		return &helpdesk.FieldError{Field: "config", Problem: "Sunshine key id and secret are not configured", Err: helpdesk.ErrInvalidRequest}
	}
	return nil
}

func (c *Client) appID(conv helpdesk.Conversation) string {
	if a := conv.Get(ExtraSunshineAppID); a != "" {
		return a
	}
	return c.cfg.SunshineAppID
}

func (c *Client) sunPath(conv helpdesk.Conversation, convID, tail string) string {
	return "/v2/apps/" + url.PathEscape(c.appID(conv)) + "/conversations/" + url.PathEscape(convID) + tail
}

// postSunshine posts a bot message (text) through the reconciled send of
// sunshine_reconcile.go; msgKey is the host's idempotency key, if any.
func (c *Client) postSunshine(ctx context.Context, conv helpdesk.Conversation, sunID, text string, prio transport.Priority, msgKey string) (string, error) {
	if err := c.needSunshine(); err != nil {
		return "", err
	}
	if n := len([]rune(text)); n > MaxSunshineText {
		return "", &helpdesk.FieldError{Field: "text", Problem: fmt.Sprintf("%d characters exceed Sunshine's %d (split the message first)", n, MaxSunshineText), Err: helpdesk.ErrInvalidRequest}
	}
	body := sunMessagePost{
		Author:  sunAuthor{Type: "business", DisplayName: c.cfg.BotName, AvatarURL: c.cfg.BotAvatarURL},
		Content: sunContent{Type: "text", Text: text},
		Metadata: map[string]string{botMetadataKey: strconv.FormatInt(c.cfg.BotUserID, 10),
			sunWriteKey: c.sunWriteID(conv, sunID, msgKey)},
	}
	if c.cfg.BotAISubtype {
		body.Author.Subtypes = []string{"AI"}
	}
	return c.sendSunshineMessage(ctx, conv, sunID, body, prio, c.sunHostKey(conv, sunID, msgKey))
}

func (c *Client) passControl(ctx context.Context, conv helpdesk.Conversation, sunID string, meta map[string]any) error {
	if err := c.needSunshine(); err != nil {
		return err
	}
	body := map[string]any{"switchboardIntegration": c.cfg.AgentWorkspace, "metadata": meta}
	// A state change: the transport may resend it (sunshine_reconcile.go).
	_, err := c.sunshine.Do(ctx, &transport.Request{Method: http.MethodPost, Path: c.sunPath(conv, sunID, "/passControl"), Body: body,
		Priority: transport.PriorityCritical, Idempotent: true}, nil)
	return err
}

func (c *Client) releaseControl(ctx context.Context, conv helpdesk.Conversation, sunID string, meta map[string]any) error {
	if err := c.needSunshine(); err != nil {
		return err
	}
	body := map[string]any{"metadata": meta}
	_, err := c.sunshine.Do(ctx, &transport.Request{Method: http.MethodPost, Path: c.sunPath(conv, sunID, "/releaseControl"), Body: body,
		Priority: transport.PriorityCritical, Idempotent: true}, nil)
	return err
}

func (c *Client) firstMessageID(conv helpdesk.Conversation) string {
	if v := conv.Get(ExtraFirstMessageID); v != "" {
		return v
	}
	v, _ := c.firstMsg.get(SunshineConversationID(conv))
	return v
}
