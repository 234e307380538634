// Package zendesktest is a fake Zendesk (Support API and Sunshine
// Conversations) for tests, plus a signer that builds signed trigger
// webhooks and Sunshine deliveries.
//
// The fake answers only the endpoints the zendesk driver calls; anything
// else fails the test with its method and path. It checks credentials,
// keeps ticket state (status, group, assignee, comments with their public
// flag and author), refuses updates to closed tickets with Zendesk's 422,
// validates request bodies (mistyped ticket fields, an assignee outside the
// group → RecordInvalid; properties Zendesk ignores, such as a comment's
// read-only created_at, are accepted and listed by IgnoredFields), honours Idempotency-Key on ticket
// updates, enforces Zendesk's rate limits as Zendesk does when told to
// (Options.Limits, SetLimits: the account limit with X-Rate-Limit and
// ratelimit-* headers, the Update Ticket limit with
// Zendesk-RateLimit-tickets-update, the per-ticket limit, 429 with
// Retry-After), and can fail or stall through drivertest.VendorServer. IdempotencyKeys lists the Idempotency-Key
// headers it received, in order.
package zendesktest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/zendesk"
)

// Defaults used when Options leaves a field empty.
const (
	DefaultSubdomain             = "acme"
	DefaultEmail                 = "bot@acme.example"
	DefaultAPIToken              = "zd-test-api-token-0123456789"
	DefaultBotUserID             = 9001
	DefaultBotGroupID            = 100
	DefaultN2GroupID             = 200
	DefaultAgentID               = 501
	DefaultRequesterID           = 7001
	DefaultWebhookSecret         = "zd-test-webhook-signing-secret"
	DefaultSunshineAppID         = "5f0000000000000000000001"
	DefaultSunshineKeyID         = "app_5f0000000000000000000abc"
	DefaultSunshineSecret        = "sunshine-test-secret-0123456789"
	DefaultSunshineWebhookSecret = "sunshine-test-webhook-secret"
	DefaultBotName               = "Support Bot"
)

// Options configures a Server. Zero values take the defaults above.
type Options struct {
	Subdomain string
	Email     string
	APIToken  string
	// OAuthToken, when set, is also accepted as a bearer token.
	OAuthToken string
	// OAuthClientID and OAuthClientSecret enable POST /oauth/tokens
	// (client credentials); issued tokens are accepted as bearer tokens.
	OAuthClientID     string
	OAuthClientSecret string
	// NotAdmin makes the API user an agent: POST /api/v2/groups answers 403.
	NotAdmin bool

	BotUserID   int64
	BotGroupID  int64
	N2GroupID   int64
	AgentID     int64
	RequesterID int64

	WebhookSecret         string
	SunshineAppID         string
	SunshineKeyID         string
	SunshineSecret        string
	SunshineWebhookSecret string

	// Now is the fake's clock (ticket updated_at, rate-limit windows).
	Now func() time.Time
	// Limits are the rate limits the Support API enforces (none by
	// default); see ZendeskLimits for a real account's.
	Limits Limits
	// ValidateSunshine, when set, checks each Sunshine request and returns
	// an error describing a mismatch, which fails the test (the zendesk
	// package's own tests plug in the published OpenAPI spec here; the fake
	// itself carries no spec dependency).
	ValidateSunshine func(r *http.Request, body []byte) error
}

// Server is a fake Zendesk: Support holds the Support API, Sunshine the
// Sunshine Conversations API (two hosts, as with api.smooch.io; the
// driver reaches both through Config.BaseURL and Config.SunshineBaseURL).
type Server struct {
	Support  *drivertest.VendorServer
	Sunshine *drivertest.VendorServer

	t    testing.TB
	opts Options

	mu              sync.Mutex
	seq             int64
	nextID          int64
	tickets         map[int64]*Ticket
	groups          map[int64]*Group
	agents          map[int64]bool
	convs           map[string]*Conversation
	idem            map[string]idemRecord
	idemKeys        []string
	ignored         []string
	requiredOnSolve []RequiredField
	issuedTokens    map[string]bool
	lastStamp       time.Time
	lim             limitState
}

// Ticket is the fake's state of a ticket.
type Ticket struct {
	ID           int64
	Subject      string
	Status       string
	GroupID      int64
	AssigneeID   int64
	RequesterID  int64
	Comments     []Comment
	CustomFields map[string]any
	UpdatedAt    time.Time
	// Updates counts accepted PUTs.
	Updates int
}

// Comment is one ticket comment.
type Comment struct {
	ID       int64
	AuthorID int64
	Body     string
	Public   bool
	// CreatedAt is when the API posted it (zero for customer comments
	// added by the test).
	CreatedAt time.Time
	seq       int64
}

// Group is an agent group and its members.
type Group struct {
	ID      int64
	Name    string
	Members []int64
}

// Conversation is the fake's state of a Sunshine conversation.
type Conversation struct {
	ID       string
	AppID    string
	TicketID int64
	Messages []Message
	// Control is the active switchboard integration ("" = the bot).
	Control string
	// PassControls holds the metadata of each passControl call.
	PassControls []map[string]any
	Releases     int
	// Full is set by Fill: the conversation holds Sunshine's maximum of
	// 30,000 messages and refuses more with 423 Locked.
	Full bool
}

// Message is a Sunshine message.
type Message struct {
	ID          string
	AuthorType  string
	DisplayName string
	AvatarURL   string
	Subtypes    []string
	Text        string
	Metadata    map[string]any
	// Received is when the fake received it (Sunshine's "received").
	Received time.Time
	seq      int64
}

// RequiredField is a ticket field required to solve.
type RequiredField struct {
	// Key is what the 422's details name (e.g. "reason_for_contact").
	Key string
	// Title is the field's title in the error description.
	Title string
}

type idemRecord struct {
	hash   [32]byte
	status int
	body   []byte
}

// NewServer starts a fake Zendesk; it stops when the test ends. A nil opts
// (or a zero field) takes the defaults, as cloudchattest.NewServer and
// intercomtest.NewServer do.
func NewServer(t testing.TB, o *Options) *Server {
	t.Helper()
	var opts Options
	if o != nil {
		opts = *o
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defID := func(p *int64, v int64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&opts.Subdomain, DefaultSubdomain)
	def(&opts.Email, DefaultEmail)
	def(&opts.APIToken, DefaultAPIToken)
	def(&opts.WebhookSecret, DefaultWebhookSecret)
	def(&opts.SunshineAppID, DefaultSunshineAppID)
	def(&opts.SunshineKeyID, DefaultSunshineKeyID)
	def(&opts.SunshineSecret, DefaultSunshineSecret)
	def(&opts.SunshineWebhookSecret, DefaultSunshineWebhookSecret)
	defID(&opts.BotUserID, DefaultBotUserID)
	defID(&opts.BotGroupID, DefaultBotGroupID)
	defID(&opts.N2GroupID, DefaultN2GroupID)
	defID(&opts.AgentID, DefaultAgentID)
	defID(&opts.RequesterID, DefaultRequesterID)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{t: t, opts: opts, nextID: 1000,
		tickets: map[int64]*Ticket{}, convs: map[string]*Conversation{}, idem: map[string]idemRecord{},
		issuedTokens: map[string]bool{},
		groups: map[int64]*Group{
			opts.BotGroupID: {ID: opts.BotGroupID, Name: "Bot", Members: []int64{opts.BotUserID}},
			opts.N2GroupID:  {ID: opts.N2GroupID, Name: "Level 2", Members: []int64{opts.AgentID}},
		},
		agents: map[int64]bool{opts.BotUserID: true, opts.AgentID: true},
	}
	s.Support = drivertest.NewVendorServer(t, drivertest.VendorServerOptions{
		Authorize: s.authorizeSupport, WriteError: s.writeSupportError, Now: opts.Now,
	})
	s.Sunshine = drivertest.NewVendorServer(t, drivertest.VendorServerOptions{
		Authorize:  drivertest.BasicAuth(opts.SunshineKeyID, opts.SunshineSecret),
		WriteError: writeSunshineError, Now: opts.Now,
	})
	// {id} also matches "123.json": the suffix is optional at Zendesk.
	s.SetLimits(opts.Limits)
	s.handleSupport(updateTicketPattern, s.putTicket)
	s.handleSupport("POST /api/v2/tickets", s.postTicket)
	s.handleSupport("GET /api/v2/tickets/{id}", s.getTicket)
	s.handleSupport("GET /api/v2/tickets/{id}/comments", s.listComments)
	s.handleSupport("GET /api/v2/groups", s.listGroups)
	s.handleSupport("GET /api/v2/groups.json", s.listGroups)
	s.handleSupport("POST /api/v2/groups", s.createGroup)
	s.handleSupport("POST /api/v2/groups.json", s.createGroup)
	// The OAuth token endpoint is not part of the Support API's limits.
	s.Support.Handle("POST /oauth/tokens", s.oauthToken)
	s.checkRoutes()
	s.handleBulk()
	s.handleSunshine()
	return s
}

// Options returns the options with defaults applied.
func (s *Server) Options() Options { return s.opts }

// Config returns a zendesk.Config (e-mail mode) pointing at the fake, with
// the Sunshine credentials filled in too.
func (s *Server) Config() zendesk.Config {
	o := s.opts
	return zendesk.Config{
		Mode: zendesk.ModeEmail, Subdomain: o.Subdomain, Email: o.Email, APIToken: o.APIToken,
		BotUserID: o.BotUserID, BotGroupID: o.BotGroupID, N2GroupID: o.N2GroupID,
		WebhookSecrets: []string{o.WebhookSecret},
		SunshineAppID:  o.SunshineAppID, SunshineKeyID: o.SunshineKeyID, SunshineSecret: o.SunshineSecret,
		SunshineWebhookSecrets: []string{o.SunshineWebhookSecret}, BotName: DefaultBotName,
		BaseURL: s.Support.URL, SunshineBaseURL: s.Sunshine.URL,
	}
}

// ChatConfig is Config in chat mode.
func (s *Server) ChatConfig() zendesk.Config {
	c := s.Config()
	c.Mode = zendesk.ModeChat
	return c
}

// Requests is the number of requests both hosts received.
func (s *Server) Requests() int { return s.Support.Requests() + s.Sunshine.Requests() }

// RequireOnSolve makes solving fail with Zendesk's 422 until the ticket's
// custom field key is set.
func (s *Server) RequireOnSolve(f RequiredField) {
	s.mu.Lock()
	s.requiredOnSolve = append(s.requiredOnSolve, f)
	s.mu.Unlock()
}

// AddGroup adds a group with members and returns its id.
func (s *Server) AddGroup(name string, members ...int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := s.nextID
	s.groups[id] = &Group{ID: id, Name: name, Members: members}
	for _, m := range members {
		s.agents[m] = true
	}
	return id
}

func (s *Server) stamp() time.Time {
	now := s.opts.Now().UTC().Truncate(time.Second)
	if !now.After(s.lastStamp) {
		now = s.lastStamp.Add(time.Second)
	}
	s.lastStamp = now
	return now
}

// CreateTicket creates an open ticket assigned to the bot in the bot
// group, with a first public comment by the requester, and returns its id.
func (s *Server) CreateTicket(subject, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createTicketLocked(subject, text)
}

func (s *Server) createTicketLocked(subject, text string) int64 {
	s.nextID++
	id := s.nextID
	s.nextID++
	s.seq++
	s.tickets[id] = &Ticket{ID: id, Subject: subject, Status: "open", GroupID: s.opts.BotGroupID, AssigneeID: s.opts.BotUserID,
		RequesterID: s.opts.RequesterID, UpdatedAt: s.stamp(),
		Comments: []Comment{{ID: s.nextID, AuthorID: s.opts.RequesterID, Body: text, Public: true, seq: s.seq}}}
	return id
}

// AddCustomerComment appends a public comment by the requester (what a
// customer reply does; a solved ticket reopens) and returns its id.
func (s *Server) AddCustomerComment(ticketID int64, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[ticketID]
	if t == nil {
		s.t.Errorf("zendesktest: no ticket %d", ticketID)
		return 0
	}
	s.nextID++
	s.seq++
	t.Comments = append(t.Comments, Comment{ID: s.nextID, AuthorID: t.RequesterID, Body: text, Public: true, seq: s.seq})
	if t.Status == "solved" || t.Status == "pending" {
		t.Status = "open"
	}
	t.UpdatedAt = s.stamp()
	return s.nextID
}

// SetStatus sets a ticket's status directly (as an agent or automation
// would).
func (s *Server) SetStatus(ticketID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tickets[ticketID]; t != nil {
		t.Status = status
		t.UpdatedAt = s.stamp()
	}
}

// CreateConversation creates a Sunshine conversation with a first user
// message and its messaging ticket, and returns both ids.
func (s *Server) CreateConversation(text string) (convID string, ticketID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ticketID = s.createTicketLocked("Conversation with customer", text)
	s.nextID++
	s.seq++
	convID = fmt.Sprintf("c%023d", s.nextID)
	s.convs[convID] = &Conversation{ID: convID, AppID: s.opts.SunshineAppID, TicketID: ticketID,
		Messages: []Message{{ID: fmt.Sprintf("m%023d", s.nextID), AuthorType: "user", Text: text, Received: s.opts.Now().UTC(), seq: s.seq}}}
	return convID, ticketID
}

// Fill marks a Sunshine conversation as holding Sunshine's maximum of
// 30,000 messages: further messages are refused with 423 Locked.
func (s *Server) Fill(convID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.convs[convID]; c != nil {
		c.Full = true
	} else {
		s.t.Errorf("zendesktest: no conversation %s", convID)
	}
}

// IdempotencyKeys returns the Idempotency-Key headers of the ticket
// updates the fake received, in order (replays included).
func (s *Server) IdempotencyKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.idemKeys...)
}

// IgnoredFields lists the request properties the fake accepted without
// using, as Zendesk does ("ticket.created_at", "comment.id",
// "message.foo"), in the order received. A fake as strict as Zendesk and
// no stricter accepts what Zendesk accepts; tests that want a client to
// send only documented properties check this list.
func (s *Server) IgnoredFields() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ignored...)
}

func (s *Server) recordIgnored(r *http.Request, fields []string) {
	if len(fields) == 0 {
		return
	}
	sort.Strings(fields)
	s.t.Logf("zendesktest: %s %s: ignored %v, as Zendesk does", r.Method, r.URL.Path, fields)
	s.mu.Lock()
	s.ignored = append(s.ignored, fields...)
	s.mu.Unlock()
}

// Ticket returns a copy of a ticket's state.
func (s *Server) Ticket(id int64) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[id]
	if t == nil {
		return Ticket{}, false
	}
	cp := *t
	cp.Comments = append([]Comment(nil), t.Comments...)
	return cp, true
}

// Conversation returns a copy of a Sunshine conversation's state.
func (s *Server) Conversation(id string) (Conversation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.convs[id]
	if c == nil {
		return Conversation{}, false
	}
	cp := *c
	cp.Messages = append([]Message(nil), c.Messages...)
	cp.PassControls = append([]map[string]any(nil), c.PassControls...)
	return cp, true
}

// State returns what the fake holds for conv, normalised for
// drivertest.RunConformance: public texts are the bot's ticket comments
// and business messages in order, notes the private comments.
func (s *Server) State(conv helpdesk.Conversation) drivertest.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st drivertest.State
	type item struct {
		seq  int64
		text string
	}
	var pub []item
	if id, ok := zendesk.TicketID(conv); ok {
		if t := s.tickets[id]; t != nil {
			st.Status = normalStatus(t.Status)
			if t.GroupID != 0 {
				st.GroupID = strconv.FormatInt(t.GroupID, 10)
			}
			if t.AssigneeID != 0 {
				st.AgentID = strconv.FormatInt(t.AssigneeID, 10)
			}
			for _, c := range t.Comments {
				switch {
				case !c.Public:
					st.Notes = append(st.Notes, c.Body)
				case c.AuthorID != t.RequesterID:
					pub = append(pub, item{c.seq, c.Body})
				}
			}
		}
	}
	if c := s.convs[zendesk.SunshineConversationID(conv)]; c != nil {
		for _, m := range c.Messages {
			if m.AuthorType == "business" {
				pub = append(pub, item{m.seq, m.Text})
			}
		}
	}
	sort.SliceStable(pub, func(i, j int) bool { return pub[i].seq < pub[j].seq })
	for _, p := range pub {
		st.Public = append(st.Public, p.text)
	}
	return st
}

func normalStatus(s string) helpdesk.Status { return helpdesk.ParseStatus(s) }

// --- auth and errors -----------------------------------------------------

func (s *Server) authorizeSupport(r *http.Request) bool {
	if r.URL.Path == "/oauth/tokens" {
		return true
	}
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.opts.Email+"/token" && p == s.opts.APIToken
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return (s.opts.OAuthToken != "" && tok == s.opts.OAuthToken) || s.issuedTokens[tok]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeSupportError writes Zendesk's error bodies and, for 429, its
// rate-limit headers.
func (s *Server) writeSupportError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	h := w.Header()
	h.Set("X-Zendesk-Request-Id", fmt.Sprintf("fake-%d", time.Now().UnixNano()))
	if retryAfter > 0 {
		secs := int(retryAfter.Seconds() + 0.999)
		h.Set("Retry-After", strconv.Itoa(secs))
		if status == http.StatusTooManyRequests && h.Get("X-Rate-Limit-Remaining") == "" {
			// An injected 429 (FailNext, InjectFaults) says the account
			// limit is spent; one from Limits has its headers already.
			if limit := s.Limits().Account; limit > 0 {
				h.Set("X-Rate-Limit", strconv.Itoa(limit))
				h.Set("Ratelimit-Limit", strconv.Itoa(limit))
			}
			h.Set("X-Rate-Limit-Remaining", "0")
			h.Set("Ratelimit-Remaining", "0")
			h.Set("Ratelimit-Reset", strconv.Itoa(secs))
		}
	}
	var body any
	switch status {
	case http.StatusUnauthorized:
		body = map[string]string{"error": "Couldn't authenticate you"}
	case http.StatusForbidden:
		body = map[string]any{"error": "Forbidden", "description": "You do not have access to this page. Please contact the account owner of this help desk for further help."}
	case http.StatusNotFound:
		body = map[string]any{"error": "RecordNotFound", "description": "Not found"}
	case http.StatusTooManyRequests:
		body = map[string]any{"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"}
	case http.StatusUnprocessableEntity:
		body = map[string]any{"error": "RecordInvalid", "description": "Record validation errors", "details": map[string]any{}}
	default:
		body = map[string]any{"error": http.StatusText(status)}
	}
	writeJSON(w, status, body)
}

// writeSunshineError writes Sunshine's {"errors":[{code,title}]}. Sunshine
// publishes no rate-limit headers; the fake still announces an injected
// wait in Retry-After so tests can see it.
func writeSunshineError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds()+0.999)))
	}
	code := map[int]string{401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "too_many_requests", 423: "locked"}[status]
	if code == "" {
		code = "internal_error"
	}
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{"code": code, "title": http.StatusText(status)}}})
}

func recordInvalid(w http.ResponseWriter, details map[string]string) {
	d := map[string]any{}
	for k, v := range details {
		d[k] = []map[string]string{{"description": v, "error": "InvalidValue"}}
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid", "description": "Record validation errors", "details": d})
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("id"), ".json"), 10, 64)
	return id, err == nil && id > 0
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if mt := r.Header.Get("Content-Type"); !strings.HasPrefix(mt, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "UnsupportedMediaType", "description": "Content-Type must be application/json"})
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidBody"})
		return nil, false
	}
	return b, true
}

// --- Support endpoints ---------------------------------------------------

// ticketFields are the writable ticket properties the Support API
// documents for a ticket update.
var ticketFields = map[string]string{
	"comment": "object", "status": "status", "group_id": "id", "assignee_id": "id|null", "assignee_email": "string",
	"custom_status_id": "id", "tags": "strings", "custom_fields": "array", "priority": "string", "type": "string",
	"safe_update": "bool", "updated_stamp": "time", "subject": "string",
}

var commentFields = map[string]string{"body": "string", "html_body": "string", "public": "bool", "author_id": "id", "uploads": "strings"}

func checkType(kind string, raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false
	}
	switch kind {
	case "object":
		return raw[0] == '{'
	case "array":
		return raw[0] == '['
	case "bool":
		return string(raw) == "true" || string(raw) == "false"
	case "string", "status", "time":
		var s string
		return json.Unmarshal(raw, &s) == nil
	case "strings":
		var ss []string
		return json.Unmarshal(raw, &ss) == nil
	case "id", "id|null":
		if string(raw) == "null" {
			return kind == "id|null"
		}
		_, err := strconv.ParseInt(string(raw), 10, 64)
		return err == nil
	}
	return false
}

func (s *Server) putTicket(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.writeSupportError(w, http.StatusNotFound, 0)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidJSON", "description": "body is not JSON"})
		return
	}
	var fields map[string]json.RawMessage
	if raw, ok := env["ticket"]; !ok || len(env) != 1 || json.Unmarshal(raw, &fields) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidParameter", "description": `body must be {"ticket": {...}}`})
		return
	}
	problems := map[string]string{}
	var ignored []string
	for k, v := range fields {
		kind, known := ticketFields[k]
		switch {
		case !known:
			// Zendesk ignores properties it does not take on update
			// (read-only ones such as created_at, or unknown ones):
			// accept, and record them for tests that care.
			ignored = append(ignored, "ticket."+k)
		case !checkType(kind, v):
			problems[k] = k + ": has the wrong type (" + kind + ")"
		}
	}
	var cm map[string]json.RawMessage
	if raw, ok := fields["comment"]; ok && problems["comment"] == "" {
		_ = json.Unmarshal(raw, &cm)
		for k, v := range cm {
			kind, known := commentFields[k]
			switch {
			case !known:
				// A read-only created_at, id or via, as other Go
				// clients send: Zendesk ignores it.
				ignored = append(ignored, "comment."+k)
			case !checkType(kind, v):
				problems["comment"] = "Comment: " + k + " has the wrong type"
			}
		}
		var b string
		_ = json.Unmarshal(cm["body"], &b)
		var hb string
		_ = json.Unmarshal(cm["html_body"], &hb)
		if strings.TrimSpace(b) == "" && strings.TrimSpace(hb) == "" {
			problems["comment"] = "Comment: cannot be blank"
		}
	}
	var status string
	if raw, ok := fields["status"]; ok && problems["status"] == "" {
		_ = json.Unmarshal(raw, &status)
		switch status {
		case "new", "open", "pending", "hold", "solved", "closed":
		default:
			problems["status"] = "Status: " + status + " is not valid"
		}
	}
	if raw, ok := fields["updated_stamp"]; ok && problems["updated_stamp"] == "" {
		var ts string
		_ = json.Unmarshal(raw, &ts)
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			problems["updated_stamp"] = "Updated stamp: is not a time"
		}
	}
	if len(problems) > 0 {
		s.t.Logf("zendesktest: PUT %s refused: %v", r.URL.Path, problems)
		recordInvalid(w, problems)
		return
	}
	s.recordIgnored(r, ignored)

	key := r.Header.Get("Idempotency-Key")
	hash := sha256.Sum256(append([]byte(r.URL.Path+"\x00"), body...))
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		s.idemKeys = append(s.idemKeys, key)
		if rec, ok := s.idem[key]; ok {
			if rec.hash != hash {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "IdempotentRequestError", "description": "Idempotency-Key reused with different parameters"})
				return
			}
			w.Header().Set("X-Idempotency-Lookup", "hit")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body)
			return
		}
	}
	t := s.tickets[id]
	if t == nil {
		s.writeSupportError(w, http.StatusNotFound, 0)
		return
	}
	if t.Status == "closed" {
		recordInvalid(w, map[string]string{"status": "Status: closed prevents ticket update"})
		return
	}
	if raw, ok := fields["updated_stamp"]; ok && string(fields["safe_update"]) == "true" {
		var ts string
		_ = json.Unmarshal(raw, &ts)
		stamp, _ := time.Parse(time.RFC3339, ts)
		if !stamp.Equal(t.UpdatedAt) {
			writeJSON(w, http.StatusConflict, map[string]string{"error": "UpdateConflict", "description": "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."})
			return
		}
	}
	group, assignee := t.GroupID, t.AssigneeID
	if raw, ok := fields["group_id"]; ok {
		group, _ = strconv.ParseInt(string(raw), 10, 64)
		if s.groups[group] == nil {
			recordInvalid(w, map[string]string{"group": "Group: is invalid"})
			return
		}
	}
	if raw, ok := fields["assignee_id"]; ok {
		assignee = 0
		if string(raw) != "null" {
			assignee, _ = strconv.ParseInt(string(raw), 10, 64)
			if !s.agents[assignee] {
				recordInvalid(w, map[string]string{"assignee": "Assignee: is invalid"})
				return
			}
			if _, groupSet := fields["group_id"]; !groupSet && !s.member(group, assignee) {
				// Assigning an agent outside the ticket's group moves
				// the ticket to the agent's (first) group.
				group = s.firstGroupOf(assignee)
			}
		}
	}
	if assignee != 0 && group != 0 && !s.member(group, assignee) {
		recordInvalid(w, map[string]string{"assignee": "Assignee: is not a member of the group"})
		return
	}
	newStatus := t.Status
	if status != "" {
		newStatus = status
	}
	if newStatus == "solved" && t.Status != "solved" {
		for _, f := range s.requiredOnSolve {
			if _, ok := t.CustomFields[f.Key]; !ok {
				recordInvalid(w, map[string]string{f.Key: f.Title + ": is required when solving"})
				return
			}
		}
	}
	var events []map[string]any
	if cm != nil {
		if len(t.Comments) >= 5000 {
			recordInvalid(w, map[string]string{"comment": "Comment: the ticket has reached the maximum of 5000 comments"})
			return
		}
		c := Comment{AuthorID: s.opts.BotUserID, Public: true}
		_ = json.Unmarshal(cm["body"], &c.Body)
		if c.Body == "" {
			_ = json.Unmarshal(cm["html_body"], &c.Body)
		}
		if raw, ok := cm["public"]; ok {
			c.Public = string(raw) == "true"
		}
		if raw, ok := cm["author_id"]; ok {
			c.AuthorID, _ = strconv.ParseInt(string(raw), 10, 64)
		}
		s.nextID++
		s.seq++
		c.ID, c.seq = s.nextID, s.seq
		c.CreatedAt = s.opts.Now()
		t.Comments = append(t.Comments, c)
		events = append(events, map[string]any{"id": c.ID, "type": "Comment", "body": c.Body, "public": c.Public, "author_id": c.AuthorID})
	}
	if newStatus != t.Status {
		events = append(events, map[string]any{"id": s.nextID + 1, "type": "Change", "field_name": "status", "value": newStatus, "previous_value": t.Status})
		s.nextID++
	}
	t.Status, t.GroupID, t.AssigneeID = newStatus, group, assignee
	t.UpdatedAt = s.stamp()
	t.Updates++
	s.nextID++
	resp, _ := json.Marshal(map[string]any{"ticket": ticketJSON(t), "audit": map[string]any{"id": s.nextID, "ticket_id": t.ID, "author_id": s.opts.BotUserID, "events": events}})
	if key != "" {
		s.idem[key] = idemRecord{hash: hash, status: http.StatusOK, body: resp}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}

func (s *Server) member(group, user int64) bool {
	g := s.groups[group]
	if g == nil {
		return false
	}
	for _, m := range g.Members {
		if m == user {
			return true
		}
	}
	return false
}

func (s *Server) firstGroupOf(user int64) int64 {
	ids := make([]int64, 0, len(s.groups))
	for id := range s.groups {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if s.member(id, user) {
			return id
		}
	}
	return 0
}

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func ticketJSON(t *Ticket) map[string]any {
	return map[string]any{
		"id": t.ID, "subject": t.Subject, "status": t.Status, "group_id": nullable(t.GroupID),
		"assignee_id": nullable(t.AssigneeID), "requester_id": t.RequesterID,
		"updated_at": t.UpdatedAt.UTC().Format(time.RFC3339), "via": map[string]any{"channel": "email"}, "tags": []string{},
	}
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[id]
	if !ok || t == nil {
		s.writeSupportError(w, http.StatusNotFound, 0)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": ticketJSON(t)})
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	size := 100
	if v := r.URL.Query().Get("page[size]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidPaginationParameter", "description": "page[size] must be 1..100"})
			return
		}
		size = n
	}
	after := int64(0)
	if v := r.URL.Query().Get("page[after]"); v != "" {
		after, _ = strconv.ParseInt(v, 10, 64)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.groups))
	for id := range s.groups {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	more := len(ids) > size
	if more {
		ids = ids[:size]
	}
	groups := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		groups = append(groups, map[string]any{"id": id, "name": s.groups[id].Name, "deleted": false})
	}
	meta := map[string]any{"has_more": more, "after_cursor": nil, "before_cursor": nil}
	if more {
		meta["after_cursor"] = strconv.FormatInt(ids[len(ids)-1], 10)
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": groups, "meta": meta})
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	if s.opts.NotAdmin {
		s.writeSupportError(w, http.StatusForbidden, 0)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Group *struct {
			Name *string `json:"name"`
		} `json:"group"`
	}
	if json.Unmarshal(body, &req) != nil || req.Group == nil || req.Group.Name == nil || strings.TrimSpace(*req.Group.Name) == "" {
		recordInvalid(w, map[string]string{"name": "Name: cannot be blank"})
		return
	}
	id := s.AddGroup(*req.Group.Name)
	writeJSON(w, http.StatusCreated, map[string]any{"group": map[string]any{"id": id, "name": *req.Group.Name, "deleted": false}})
}

func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if json.Unmarshal(body, &req) != nil || req.GrantType != "client_credentials" || s.opts.OAuthClientID == "" ||
		req.ClientID != s.opts.OAuthClientID || req.ClientSecret != s.opts.OAuthClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	}
	s.mu.Lock()
	s.nextID++
	tok := fmt.Sprintf("fake-access-token-%d", s.nextID)
	s.issuedTokens[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "scope": "read write", "expires_in": 3600})
}
