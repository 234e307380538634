package intercom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
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
const Vendor = "intercom"

// MaxAttachments is how many attachment_urls (images) and how many
// attachment_files Intercom takes in one reply.
const MaxAttachments = 10

// MaxAttachmentBytes caps a file the driver downloads to upload it.
const MaxAttachmentBytes = 10 << 20

// Options tunes a Client. A nil *Options means the defaults.
type Options struct {
	// HTTPClient sends the requests (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
	// Logger receives the transport's debug and retry lines, secrets
	// redacted (default: silent).
	Logger *slog.Logger
	// Budget paces requests. Default: an in-process budget with
	// DefaultLimits read through Headers. Replicas sharing one app pass
	// one Redis budget built with DefaultLimits and Headers (Intercom
	// counts per app and per workspace, not per process).
	Budget transport.Budget
	// NoBudget turns the default budget off: requests are then slowed
	// only by Intercom's own 429s.
	NoBudget bool
	// Tolerance is the webhook timestamp tolerance every driver's Options
	// has. Intercom signs no time, so it has no effect here: deduplication
	// on (app id, conversation id, part id) is the replay guard.
	Tolerance time.Duration
	// ConversationLimit is how many writes a minute the bot may make into
	// one conversation (0: DefaultConversationLimit; negative: no guard).
	ConversationLimit int
	// MaxRetries is the transport's retry count (0 = its default, -1 =
	// none).
	MaxRetries int
	// MaxRetryWait caps how long a 429 may hold a call (0 = the
	// transport's default, 60 s, which covers Intercom's 10-second
	// window).
	MaxRetryWait time.Duration
}

// Client is the Intercom driver. Its embedded helpdesk.Helpdesk is the
// portable implementation (driver.Portable) that bot code uses; the
// vendor extras (ListTeams, ListAdmins, GetConversation, AddTag, Snooze,
// ...) are its own methods. It is safe for concurrent use.
type Client struct {
	helpdesk.Helpdesk

	cfg     Config
	api     *transport.Client
	files   *http.Client     // downloads non-image attachments
	hooks   *driver.Verifier // topic webhooks: client secrets
	actions *driver.Verifier // Custom Actions: bearer tokens
	botTeam string
	n2Team  string

	adminMu  sync.Mutex
	adminID  string
	meLookup chan struct{} // one GET /me at a time; a cancellable lock

	rec         driver.Reconciler // reconcile.go
	handovers   driver.Handovers  // steps of unfinished handovers
	noReconcile bool              // tests only: the writes as if unreconciled
}

// clientDriver is the driver.Driver the Portable wraps.
type clientDriver struct{ c *Client }

var _ driver.Driver = clientDriver{}
var _ driver.ConversationChecker = clientDriver{}
var _ driver.TargetChecker = clientDriver{}

// New returns a Client for cfg. It makes no request: the bot's admin id,
// when not configured, is read from GET /me on first use.
func New(cfg Config, opts *Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxRetryWait < 0 || o.Tolerance < 0 || o.MaxRetries < -1 {
		ce := &helpdesk.ConfigError{Vendor: Vendor}
		ce.Add("Options", "MaxRetryWait, Tolerance and MaxRetries must not be negative (MaxRetries -1 means none)")
		return nil, ce
	}
	c := &Client{cfg: cfg, adminID: cfg.BotAdminID, files: o.HTTPClient, meLookup: make(chan struct{}, 1)}
	if c.files == nil {
		c.files = &http.Client{Timeout: 30 * time.Second}
	}
	c.botTeam, _ = ParseTeamID(cfg.BotTeamID)
	c.n2Team, _ = ParseTeamID(cfg.N2TeamID)
	c.hooks = driver.NewVerifier(o.Tolerance, cfg.ClientSecrets...)
	c.actions = driver.NewVerifier(o.Tolerance, cfg.ActionTokens...)
	pace, err := driver.Budget(o.Budget, o.NoBudget, cfg.BudgetKey(), cfg.Limits(), Headers, budget.WithLogger(o.Logger))
	if err != nil {
		return nil, err
	}
	secrets := append(append([]string{cfg.AccessToken}, cfg.ClientSecrets...), cfg.ActionTokens...)
	c.api, err = transport.New(transport.Options{
		Vendor:           Vendor,
		BaseURL:          cfg.baseURL(),
		Auth:             transport.Bearer(cfg.AccessToken),
		HTTPClient:       o.HTTPClient,
		Logger:           o.Logger,
		Budget:           pace,
		MaxRetries:       o.MaxRetries,
		MaxRetryWait:     o.MaxRetryWait,
		Header:           http.Header{"Intercom-Version": {cfg.version()}},
		RequestIDHeaders: []string{RequestIDHeader},
		DecodeError:      DecodeError,
		Classify:         classify,
		RetryAfter:       RetryAfter,
		Secrets:          secrets,
		UserAgent:        "intercom",
	})
	if err != nil {
		return nil, err
	}
	var do driver.Options
	switch n := o.ConversationLimit; {
	case n == 0:
		do.ConversationLimit = conversationLimit(DefaultConversationLimit)
	case n > 0:
		do.ConversationLimit = conversationLimit(n)
	}
	p, err := driver.New(clientDriver{c}, &do)
	if err != nil {
		return nil, err
	}
	c.Helpdesk = p
	return c, nil
}

// Config returns the client's configuration (safe to print: secrets are
// redacted by its String, GoString, MarshalJSON and LogValue methods).
func (c *Client) Config() Config { return c.cfg }

// String identifies the client without secrets.
func (c *Client) String() string { return "intercom.Client(" + c.cfg.baseURL() + ")" }

// GoString identifies the client without secrets.
func (c *Client) GoString() string { return c.String() }

// LogValue logs the client's configuration, secrets redacted.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

// MarshalJSON encodes the client's configuration, secrets redacted.
func (c *Client) MarshalJSON() ([]byte, error) { return c.cfg.MarshalJSON() }

// As sets *i to c when i is a **Client (helpdesk.As).
func (c *Client) As(i any) bool {
	if p, ok := i.(**Client); ok {
		*p = c
		return true
	}
	return false
}

// ErrorAs is errors.As: Intercom's errors are *helpdesk.APIError values
// carrying Intercom's error code and request id.
func (c *Client) ErrorAs(err error, i any) bool { return errors.As(err, i) }

// N2 returns the hand-over target configured in N2TeamID (or N2AdminID),
// and false when neither is set.
func (c *Client) N2() (helpdesk.Target, bool) {
	switch {
	case c.n2Team != "":
		return helpdesk.Target{Kind: helpdesk.TargetGroup, ID: c.n2Team}, true
	case c.cfg.N2AdminID != "":
		return helpdesk.Target{Kind: helpdesk.TargetAgent, ID: c.cfg.N2AdminID}, true
	}
	return helpdesk.Target{}, false
}

// BotAdminID returns the admin the bot acts as: Config.BotAdminID, or the
// token's own admin read once from GET /me.
func (c *Client) BotAdminID(ctx context.Context) (string, error) {
	if id := c.knownAdminID(); id != "" {
		return id, nil
	}
	select {
	case c.meLookup <- struct{}{}:
		defer func() { <-c.meLookup }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if id := c.knownAdminID(); id != "" {
		return id, nil // learned while this call waited
	}
	var me struct {
		Type string `json:"type"`
		ID   id     `json:"id"`
	}
	if _, err := c.api.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/me"}, &me); err != nil {
		return "", err
	}
	if !isDigits(string(me.ID)) {
		return "", fmt.Errorf("intercom: GET /me returned no admin id (type %q): set Config.BotAdminID", me.Type)
	}
	c.adminMu.Lock()
	c.adminID = string(me.ID)
	c.adminMu.Unlock()
	return string(me.ID), nil
}

// knownAdminID returns the bot's admin id if known, without a request.
func (c *Client) knownAdminID() string {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	return c.adminID
}

// Vendor implements driver.Driver.
func (d clientDriver) Vendor() string { return Vendor }

// Capabilities implements driver.Driver: everything. A final message is
// the close part's own body (one request); a hand-over with a customer
// notice is one request.
func (d clientDriver) Capabilities() helpdesk.Capabilities {
	// A handover's notice is the assignment part's own body: one request
	// (CapReassignWithMessage). Opening conversations is not offered.
	return helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapInternalNote | helpdesk.CapAttachments |
		helpdesk.CapResolve | helpdesk.CapResolveWithMessage | helpdesk.CapReassignGroup | helpdesk.CapReassignAgent |
		helpdesk.CapWebhooks | helpdesk.CapReassignWithMessage)
}

// As implements driver.Driver.
func (d clientDriver) As(i any) bool { return d.c.As(i) }

// ErrorAs implements driver.Driver.
func (d clientDriver) ErrorAs(err error, i any) bool { return d.c.ErrorAs(err, i) }

// CheckConversation implements driver.ConversationChecker: Intercom's
// conversation ids are numbers.
func (d clientDriver) CheckConversation(conv helpdesk.Conversation) error {
	if !isDigits(conv.ID) {
		return &helpdesk.FieldError{Field: "conversation.id", Problem: "an Intercom conversation id is a number, got " + strconv.Quote(conv.ID)}
	}
	return nil
}

// CheckTarget implements driver.TargetChecker: team and admin ids are
// numbers.
func (d clientDriver) CheckTarget(to helpdesk.Target) error {
	if !isDigits(to.ID) {
		return &helpdesk.FieldError{Field: "id", Problem: "an Intercom " + map[helpdesk.TargetKind]string{helpdesk.TargetGroup: "team", helpdesk.TargetAgent: "admin"}[to.Kind] + " id is a number, got " + strconv.Quote(to.ID)}
	}
	return nil
}

// replyRequest is POST /conversations/{id}/reply as an admin. admin_id is
// sent as a string: the spec types it string while its examples send
// numbers (the reference notes the same); the driver follows the type.
type replyRequest struct {
	MessageType     string           `json:"message_type"`
	Type            string           `json:"type"`
	AdminID         string           `json:"admin_id"`
	Body            string           `json:"body,omitempty"`
	AttachmentURLs  []string         `json:"attachment_urls,omitempty"`
	AttachmentFiles []attachmentFile `json:"attachment_files,omitempty"`
}

// attachmentFile is a file uploaded inline (base64) with a reply.
type attachmentFile struct {
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"` // encoding/json writes base64
	Name        string `json:"name"`
}

// partsRequest is POST /conversations/{id}/parts (close, assignment,
// snoozed, open). Type is omitted for snoozed and open, which have none.
type partsRequest struct {
	MessageType  string `json:"message_type"`
	Type         string `json:"type,omitempty"`
	AdminID      string `json:"admin_id"`
	AssigneeID   string `json:"assignee_id,omitempty"`
	Body         string `json:"body,omitempty"`
	SnoozedUntil int64  `json:"snoozed_until,omitempty"`
}

// conversationResponse is the part of the conversation object the writes
// read back: the newest part's id.
type conversationResponse struct {
	ID                string `json:"id"`
	State             string `json:"state"`
	ConversationParts struct {
		Parts []struct {
			ID       string `json:"id"`
			PartType string `json:"part_type"`
		} `json:"conversation_parts"`
	} `json:"conversation_parts"`
}

func (r *conversationResponse) lastPartID() string {
	if n := len(r.ConversationParts.Parts); n > 0 {
		return r.ConversationParts.Parts[n-1].ID
	}
	return ""
}

func convPath(id, suffix string) string { return "/conversations/" + id + suffix }

// SendMessage implements driver.Driver: POST /conversations/{id}/reply as
// the bot admin, message_type comment (note when Internal), the text as
// escaped HTML paragraphs. Images go as attachment_urls (the spec: "image
// URLs"); other files are downloaded (at most MaxAttachmentBytes) and
// uploaded as attachment_files. A final customer-visible message without
// attachments is the closing part's body: one POST /parts with
// message_type close. Either write is reconciled (reconcile.go): after an
// ambiguous failure the conversation is read back before sending again.
func (d clientDriver) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	c := d.c
	if len(msg.Attachments) > MaxAttachments {
		return nil, &helpdesk.FieldError{Field: "attachments", Problem: fmt.Sprintf("Intercom takes at most %d attachment URLs per reply, got %d", MaxAttachments, len(msg.Attachments))}
	}
	admin, err := c.BotAdminID(ctx)
	if err != nil {
		return nil, err
	}
	body := TextToHTML(msg.Text)
	key := reconcileKey(conv, msg.IdempotencyKey)
	if msg.Resolve && !msg.Internal && len(msg.Attachments) == 0 && body != "" {
		req := partsRequest{MessageType: "close", Type: "admin", AdminID: admin, Body: body}
		id, err := c.postPart(ctx, conv, partWrite{path: convPath(conv.ID, "/parts"), body: req, prio: transport.PriorityCritical,
			key: key, admin: admin, types: []string{"close"}, html: body})
		if err != nil {
			return nil, err
		}
		return &helpdesk.Receipt{MessageID: id, Resolved: true}, nil
	}
	req := replyRequest{MessageType: "comment", Type: "admin", AdminID: admin, Body: body}
	if msg.Internal {
		req.MessageType = "note"
	}
	for _, a := range msg.Attachments {
		if isImage(a) {
			req.AttachmentURLs = append(req.AttachmentURLs, a.URL)
			continue
		}
		f, err := c.download(ctx, a)
		if err != nil {
			return nil, err
		}
		req.AttachmentFiles = append(req.AttachmentFiles, f)
	}
	id, err := c.postPart(ctx, conv, partWrite{path: convPath(conv.ID, "/reply"), body: req, key: key,
		admin: admin, types: []string{req.MessageType}, html: body, attachments: len(req.AttachmentURLs) + len(req.AttachmentFiles)})
	if err != nil {
		return nil, err
	}
	rcpt := &helpdesk.Receipt{MessageID: id}
	if msg.Resolve {
		if err := d.Resolve(ctx, conv); err != nil {
			return rcpt, &helpdesk.ResolveAfterReplyError{Err: err}
		}
		rcpt.Resolved = true
	}
	return rcpt, nil
}

// Resolve implements driver.Driver: POST /conversations/{id}/parts with
// message_type close.
func (d clientDriver) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	admin, err := d.c.BotAdminID(ctx)
	if err != nil {
		return err
	}
	return d.c.stateWrite(ctx, conv, partsRequest{MessageType: "close", Type: "admin", AdminID: admin})
}

// Reassign implements driver.Driver: the Note as an internal note (POST
// /reply, message_type note) first, then POST /conversations/{id}/parts
// with message_type assignment, type team (TargetGroup) or admin
// (TargetAgent), admin_id the bot and assignee_id the target, the Notice
// as the assignment's body: a hand-over with a notice is one request.
//
// The published spec (2.16, assign_conversation_request) documents the
// assignment body as "a response in the conversation when it is assigned"
// (its example: "Let me pass you over to one of my colleagues."), that is
// a message the customer sees, so the driver puts the customer notice
// there and never the internal note; the note goes as its own note part.
//
// A conversation can have an admin and a team assignee at once: handing
// over to a team when the event showed the bot itself as the admin
// assignee (ExtraAdminAssigneeID) also unassigns the bot (assignee_id
// "0"), so the humans do not see it still assigned to the bot. Assigning
// a closed conversation reopens it.
func (d clientDriver) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	c := d.c
	admin, err := c.BotAdminID(ctx)
	if err != nil {
		return err
	}
	// A retry of a handover that failed part-way does only what is
	// missing (driver.Handovers): the note is not posted twice when the
	// assignment failed after it.
	ho := c.handovers.Begin(conv.Account+"\x00"+conv.ID, to)
	if strings.TrimSpace(to.Note) != "" {
		req := replyRequest{MessageType: "note", Type: "admin", AdminID: admin, Body: TextToHTML(to.Note)}
		if err := ho.Step("note", func(key string) error {
			_, err := c.postPart(ctx, conv, partWrite{path: convPath(conv.ID, "/reply"), body: req, prio: transport.PriorityCritical,
				key: key, admin: admin, types: []string{"note"}, html: req.Body})
			return err
		}); err != nil {
			return err
		}
	}
	kind := "team"
	if to.Kind == helpdesk.TargetAgent {
		kind = "admin"
	}
	req := partsRequest{MessageType: "assignment", Type: kind, AdminID: admin, AssigneeID: to.ID}
	if err := ho.Step("assign", func(key string) error {
		if strings.TrimSpace(to.Notice) == "" {
			return c.stateWrite(ctx, conv, req)
		}
		// The notice is a part the customer reads: reconciled. A
		// closed conversation reopens with part type assign_and_reopen.
		req.Body = TextToHTML(to.Notice)
		_, err := c.postPart(ctx, conv, partWrite{path: convPath(conv.ID, "/parts"), body: req, prio: transport.PriorityCritical,
			key: key, admin: admin, types: []string{"assignment", "assign_and_reopen"}, html: req.Body})
		return err
	}); err != nil {
		return err
	}
	if to.Kind == helpdesk.TargetGroup && conv.Get(ExtraAdminAssigneeID) == admin {
		if err := c.stateWrite(ctx, conv, partsRequest{MessageType: "assignment", Type: "admin", AdminID: admin, AssigneeID: "0"}); err != nil {
			return err
		}
	}
	ho.Complete()
	return nil
}

// isImage reports whether an attachment can go as an attachment_url,
// which the spec documents as image URLs.
func isImage(a helpdesk.Attachment) bool {
	if a.ContentType != "" {
		return strings.HasPrefix(strings.ToLower(a.ContentType), "image/")
	}
	u := strings.ToLower(a.URL)
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	for _, ext := range []string{".png", ".jpg", ".jpeg", ".gif", ".webp"} {
		if strings.HasSuffix(u, ext) {
			return true
		}
	}
	return false
}

// download fetches a non-image attachment to upload it.
func (c *Client) download(ctx context.Context, a helpdesk.Attachment) (attachmentFile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return attachmentFile{}, &helpdesk.FieldError{Field: "attachments.url", Problem: "not a valid URL"}
	}
	resp, err := c.files.Do(req)
	if err != nil {
		return attachmentFile{}, fmt.Errorf("intercom: downloading attachment %s: %w", a.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return attachmentFile{}, fmt.Errorf("intercom: downloading attachment %s: HTTP %d", a.Name, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxAttachmentBytes+1))
	if err != nil {
		return attachmentFile{}, fmt.Errorf("intercom: downloading attachment %s: %w", a.Name, err)
	}
	if len(data) > MaxAttachmentBytes {
		return attachmentFile{}, &helpdesk.FieldError{Field: "attachments", Problem: fmt.Sprintf("%s is larger than %d bytes", a.Name, MaxAttachmentBytes)}
	}
	f := attachmentFile{ContentType: a.ContentType, Data: data, Name: a.Name}
	if f.ContentType == "" {
		f.ContentType = resp.Header.Get("Content-Type")
	}
	if f.ContentType == "" {
		f.ContentType = http.DetectContentType(data)
	}
	if f.Name == "" {
		f.Name = path.Base(req.URL.Path)
	}
	return f, nil
}
