// Package cloudchattest is a fake Cloud Chat (Chatwoot) server and a
// webhook signer, for testing code that uses the cloudchat driver.
//
// The fake answers only the Application API endpoints the driver calls (any
// other request fails the test), enforces the access tokens and the
// agent-bot allow-list (a bot token on a user-only endpoint gets Chatwoot's
// 401 "Access to this endpoint is not authorized for bots"), keeps each
// conversation's status, assignee, team, labels, channel, can_reply and
// messages, applies the 200-messages-a-minute flood guard and the
// 3000-requests-a-minute throttle (429 text/plain "Retry later", no
// Retry-After), and can validate request bodies against the Chatwoot spec.
// It is built on drivertest.VendorServer, whose FailNext, Stall,
// RateLimit and Requests it exposes.
package cloudchattest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// Defaults used by NewServer for zero Options fields.
const (
	DefaultAccountID = 1
	DefaultBotToken  = "bot-token-0123456789abcdef"
	DefaultUserToken = "user-token-0123456789abcdef"
	DefaultBotID     = 7
	DefaultVersion   = "4.15.1"
	DefaultInboxID   = 4
)

// Options configures a Server.
type Options struct {
	AccountID int64
	// BotToken is the agent bot's access token; UserToken an agent user's.
	BotToken, UserToken string
	// BotID is the agent bot's id (sender of messages posted with
	// BotToken).
	BotID int64
	// Version is what GET /api reports (default 4.15.1). Bot tokens may
	// read conversations and labels from 4.14.2 only.
	Version string
	// Validate, when set, checks every API request and its body (e.g. the
	// Chatwoot OpenAPI spec); an error fails the test and answers 400.
	Validate func(r *http.Request, body []byte) error
	// Now is the clock of the flood guard and the throttle (default
	// time.Now).
	Now func() time.Time
	// RequestsPerMinute is the throttle (default 3000; negative disables).
	RequestsPerMinute int
}

// Team is a team at the fake.
type Team struct {
	ID              int64
	Name            string
	AllowAutoAssign bool
	Members         []int64
}

// Agent is an agent user at the fake.
type Agent struct {
	ID           int64
	Name         string
	Email        string
	Availability string // online, busy, offline
}

// Message is a message held by the fake.
type Message struct {
	ID          int64
	Content     string
	MessageType int // 0 incoming, 1 outgoing, 2 activity, 3 template
	Private     bool
	SenderType  string // "Contact", "User", "AgentBot"
	SenderID    int64
	Template    map[string]any
	EchoID      string
	CreatedAt   time.Time
}

// Conversation is the fake's state for one conversation.
type Conversation struct {
	ID           int64 // display id
	InboxID      int64
	ContactID    int64
	Status       string // pending, open, resolved, snoozed
	AssigneeID   int64
	AssigneeType string // "User", "AgentBot" or ""
	TeamID       int64
	Channel      string // e.g. "Channel::Whatsapp"
	SourceID     string
	CanReply     bool
	Labels       []string
	Messages     []Message
	// AutoAssign runs round robin over online members of the team (or
	// of every agent without a team) when the conversation opens.
	AutoAssign bool
}

// Contact is a contact at the fake.
type Contact struct {
	ID                   int64
	Name                 string
	Email                string
	PhoneNumber          string
	Identifier           string
	Labels               []string
	CustomAttributes     map[string]any
	AdditionalAttributes map[string]any
}

// Server is a fake Cloud Chat.
type Server struct {
	*drivertest.VendorServer
	t    testing.TB
	opts Options

	mu       sync.Mutex
	convs    map[int64]*Conversation
	teams    map[int64]*Team
	agents   map[int64]*Agent
	contacts map[int64]*Contact
	nextID   int64
	flood    map[int64][]time.Time
	rr       int
	echoIDs  []string
}

// NewServer starts a fake Cloud Chat, closed when the test ends.
func NewServer(t testing.TB, opts *Options) *Server {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.AccountID == 0 {
		o.AccountID = DefaultAccountID
	}
	if o.BotToken == "" {
		o.BotToken = DefaultBotToken
	}
	if o.UserToken == "" {
		o.UserToken = DefaultUserToken
	}
	if o.BotID == 0 {
		o.BotID = DefaultBotID
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RequestsPerMinute == 0 {
		o.RequestsPerMinute = 3000
	}
	s := &Server{t: t, opts: o, convs: map[int64]*Conversation{}, teams: map[int64]*Team{},
		agents: map[int64]*Agent{}, contacts: map[int64]*Contact{}, nextID: 100, flood: map[int64][]time.Time{}}
	s.VendorServer = drivertest.NewVendorServer(t, drivertest.VendorServerOptions{
		Authorize:  s.authorize,
		WriteError: writeError,
		Now:        o.Now,
	})
	if o.RequestsPerMinute > 0 {
		s.RateLimit(o.RequestsPerMinute, time.Minute)
	}
	s.routes()
	return s
}

// AccountID, BotToken, UserToken and BotID return the fake's credentials.
func (s *Server) AccountID() int64  { return s.opts.AccountID }
func (s *Server) BotToken() string  { return s.opts.BotToken }
func (s *Server) UserToken() string { return s.opts.UserToken }
func (s *Server) BotID() int64      { return s.opts.BotID }

// writeError writes Chatwoot's error answers. Rack::Attack's 429 is plain
// text with no Retry-After, whatever wait the fake would like to announce.
func writeError(w http.ResponseWriter, status int, _ time.Duration) {
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		io.WriteString(w, "Retry later\n")
		return
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, "<html><body>Service Unavailable</body></html>")
		return
	}
	msg := map[int]string{
		http.StatusUnauthorized:        "Invalid Access Token",
		http.StatusNotFound:            "Resource could not be found",
		http.StatusUnprocessableEntity: "Validation failed",
		http.StatusForbidden:           "You are not authorized to do this action",
	}[status]
	if msg == "" {
		msg = http.StatusText(status)
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) authorize(r *http.Request) bool {
	if r.URL.Path == "/api" {
		return true // the version probe needs no token
	}
	tok := r.Header.Get("api_access_token")
	return tok != "" && (tok == s.opts.BotToken || tok == s.opts.UserToken)
}

func (s *Server) isBot(r *http.Request) bool {
	return r.Header.Get("api_access_token") == s.opts.BotToken
}

func (s *Server) versionAtLeast(min string) bool {
	a, b := parseV(s.opts.Version), parseV(min)
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

func parseV(v string) [3]int {
	var out [3]int
	for i, p := range strings.SplitN(v, ".", 3) {
		out[i], _ = strconv.Atoi(p)
	}
	return out
}

// endpoint wraps a handler: account check, bot allow-list, body read and
// spec validation.
type endpoint struct {
	s *Server
	// botSince is "" for user-only endpoints, "0" for always, else the
	// first version where bot tokens may call it.
	botSince string
	fn       func(w http.ResponseWriter, r *http.Request, body []byte)
}

func (e endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := e.s
	if r.PathValue("account") != "" && r.PathValue("account") != strconv.FormatInt(s.opts.AccountID, 10) {
		writeError(w, http.StatusNotFound, 0)
		return
	}
	if s.isBot(r) && (e.botSince == "" || (e.botSince != "0" && !s.versionAtLeast(e.botSince))) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Access to this endpoint is not authorized for bots"})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, 0)
		return
	}
	if s.opts.Validate != nil {
		if err := s.opts.Validate(r, body); err != nil {
			s.t.Errorf("cloudchattest: %s %s violates the Chatwoot spec: %v", r.Method, r.URL.Path, err)
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	}
	if len(body) > 0 && r.Method != http.MethodGet && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "expected application/json"})
		return
	}
	e.fn(w, r, body)
}

const acct = "/api/v1/accounts/{account}"

func (s *Server) routes() {
	h := func(pattern, botSince string, fn func(http.ResponseWriter, *http.Request, []byte)) {
		s.Handle(pattern, endpoint{s: s, botSince: botSince, fn: fn}.ServeHTTP)
	}
	s.Handle("GET /api", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"version": s.opts.Version, "timestamp": s.opts.Now().UTC().Format(time.RFC3339), "queue_services": "ok", "data_services": "ok"})
	})
	h("POST "+acct+"/conversations", "0", s.createConversation)
	h("POST "+acct+"/conversations/{id}/messages", "0", s.createMessage)
	h("POST "+acct+"/conversations/{id}/toggle_status", "0", s.toggleStatus)
	h("POST "+acct+"/conversations/{id}/assignments", "0", s.assign)
	h("GET "+acct+"/conversations/{id}", "4.14.2", s.getConversation)
	h("GET "+acct+"/conversations/{id}/messages", "", s.listMessages)
	h("GET "+acct+"/conversations/{id}/labels", "4.14.2", s.getLabels)
	h("POST "+acct+"/conversations/{id}/labels", "4.14.2", s.setLabels)
	h("GET "+acct+"/contacts/search", "", s.searchContacts)
	h("POST "+acct+"/contacts", "", s.createContact)
	h("PUT "+acct+"/contacts/{id}", "", s.updateContact)
	h("GET "+acct+"/contacts/{id}/labels", "", s.getContactLabels)
	h("POST "+acct+"/contacts/{id}/labels", "", s.setContactLabels)
	h("GET "+acct+"/teams", "", s.listTeams)
	h("GET "+acct+"/teams/{team}/team_members", "", s.teamMembers)
	h("GET "+acct+"/agents", "", s.listAgents)
}

// --- state helpers -------------------------------------------------------

func (s *Server) id() int64 { s.nextID++; return s.nextID }

// AddTeam adds a team and returns its id.
func (s *Server) AddTeam(name string, members ...int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.id()
	s.teams[id] = &Team{ID: id, Name: name, AllowAutoAssign: true, Members: members}
	return id
}

// AddAgent adds an agent with availability (online, busy, offline).
func (s *Server) AddAgent(name, availability string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.id()
	s.agents[id] = &Agent{ID: id, Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.test", Availability: availability}
	return id
}

// SetAvailability changes an agent's availability.
func (s *Server) SetAvailability(agent int64, availability string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.agents[agent]; a != nil {
		a.Availability = availability
	}
}

// AddConversation stores c (ID assigned when zero; Status defaults to
// pending, the state of a conversation a bot handles) and returns its id.
func (s *Server) AddConversation(c Conversation) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == 0 {
		c.ID = s.id()
	}
	if c.Status == "" {
		c.Status = "pending"
	}
	if c.InboxID == 0 {
		c.InboxID = DefaultInboxID
	}
	if c.Channel == "" {
		c.Channel = "Channel::Api"
	}
	cp := c
	cp.Messages = slices.Clone(c.Messages)
	cp.Labels = slices.Clone(c.Labels)
	s.convs[c.ID] = &cp
	return c.ID
}

// AddContact stores a contact and returns its id.
func (s *Server) AddContact(c Contact) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == 0 {
		c.ID = s.id()
	}
	cp := c
	s.contacts[c.ID] = &cp
	return c.ID
}

// Conversation returns a copy of the conversation's state.
func (s *Server) Conversation(id int64) (Conversation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok {
		return Conversation{}, false
	}
	cp := *c
	cp.Messages = slices.Clone(c.Messages)
	cp.Labels = slices.Clone(c.Labels)
	return cp, true
}

// EchoIDs returns the echo_id of every message created with one, in the
// order the fake received them (the driver sends Message.IdempotencyKey as
// echo_id).
func (s *Server) EchoIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.echoIDs)
}

// Contact returns a copy of a contact.
func (s *Server) Contact(id int64) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[id]
	if !ok {
		return Contact{}, false
	}
	cp := *c
	cp.Labels = slices.Clone(c.Labels)
	return cp, true
}

// Contacts returns every contact.
func (s *Server) Contacts() []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Contact
	for _, c := range s.contacts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Contact) int { return int(a.ID - b.ID) })
	return out
}

func (s *Server) conv(w http.ResponseWriter, r *http.Request) *Conversation {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c := s.convs[id]
	if err != nil || c == nil {
		writeError(w, http.StatusNotFound, 0)
		return nil
	}
	return c
}

// --- handlers ------------------------------------------------------------

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Content        *string        `json:"content"`
		MessageType    string         `json:"message_type"`
		Private        bool           `json:"private"`
		ContentType    string         `json:"content_type"`
		EchoID         string         `json:"echo_id"`
		TemplateParams map[string]any `json:"template_params"`
	}
	if json.Unmarshal(body, &in) != nil {
		writeJSON(w, 422, map[string]string{"error": "param is missing or the value is empty: content"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(w, r)
	if c == nil {
		return
	}
	mt := 1
	switch in.MessageType {
	case "", "outgoing":
	case "incoming":
		if c.Channel != "Channel::Api" {
			writeJSON(w, 422, map[string]string{"error": "Incoming messages are only allowed in Api inboxes"})
			return
		}
		mt = 0
	default:
		writeJSON(w, 422, map[string]string{"error": "'" + in.MessageType + "' is not a valid message_type"})
		return
	}
	if in.Content == nil && in.TemplateParams == nil {
		writeJSON(w, 422, map[string]string{"error": "param is missing or the value is empty: content"})
		return
	}
	now := s.opts.Now()
	recent := s.flood[c.ID][:0]
	for _, t := range s.flood[c.ID] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= 200 {
		s.flood[c.ID] = recent
		writeJSON(w, 422, map[string]string{"error": "Validation failed: Too many messages"})
		return
	}
	s.flood[c.ID] = append(recent, now)
	m := Message{ID: s.id(), MessageType: mt, Private: in.Private, EchoID: in.EchoID, Template: in.TemplateParams, CreatedAt: now}
	if in.Content != nil {
		m.Content = *in.Content
	}
	if s.isBot(r) {
		m.SenderType, m.SenderID = "AgentBot", s.opts.BotID
	} else {
		m.SenderType = "User"
	}
	c.Messages = append(c.Messages, m)
	if m.EchoID != "" {
		s.echoIDs = append(s.echoIDs, m.EchoID)
	}
	writeJSON(w, 200, map[string]any{
		"id": m.ID, "content": m.Content, "account_id": s.opts.AccountID, "inbox_id": c.InboxID,
		"conversation_id": c.ID, "message_type": m.MessageType, "created_at": now.Unix(), "private": m.Private,
		"echo_id": m.EchoID, "status": "sent", "content_type": "text", "source_id": nil,
	})
}

func (s *Server) createConversation(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		InboxID   int64  `json:"inbox_id"`
		ContactID int64  `json:"contact_id"`
		SourceID  string `json:"source_id"`
		Status    string `json:"status"`
		TeamID    int64  `json:"team_id"`
		Message   *struct {
			Content        string         `json:"content"`
			TemplateParams map[string]any `json:"template_params"`
		} `json:"message"`
	}
	if json.Unmarshal(body, &in) != nil || in.InboxID == 0 || in.SourceID == "" {
		writeJSON(w, 422, map[string]string{"error": "param is missing or the value is empty: source_id"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ContactID != 0 && s.contacts[in.ContactID] == nil {
		writeError(w, http.StatusNotFound, 0)
		return
	}
	c := &Conversation{ID: s.id(), InboxID: in.InboxID, ContactID: in.ContactID, SourceID: in.SourceID, Status: in.Status,
		TeamID: in.TeamID, Channel: "Channel::Whatsapp", CanReply: false}
	if c.Status == "" {
		c.Status = "open"
	}
	if in.Message != nil {
		m := Message{ID: s.id(), Content: in.Message.Content, MessageType: 1, Template: in.Message.TemplateParams, CreatedAt: s.opts.Now()}
		if s.isBot(r) {
			m.SenderType, m.SenderID = "AgentBot", s.opts.BotID
		}
		c.Messages = append(c.Messages, m)
	}
	s.convs[c.ID] = c
	writeJSON(w, 200, map[string]any{"id": c.ID, "account_id": s.opts.AccountID, "inbox_id": c.InboxID})
}

func (s *Server) toggleStatus(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(body, &in)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(w, r)
	if c == nil {
		return
	}
	switch in.Status {
	case "":
		if c.Status == "open" {
			in.Status = "resolved"
		} else {
			in.Status = "open"
		}
	case "open", "resolved", "pending", "snoozed":
	default:
		writeJSON(w, 422, map[string]string{"error": "Invalid status"})
		return
	}
	var success any = true
	if in.Status == "open" && c.Status == "pending" && s.isBot(r) {
		success = nil // a bot hand-off
	}
	c.Status = in.Status
	if in.Status == "open" {
		s.autoAssign(c)
	}
	writeJSON(w, 200, map[string]any{"meta": map[string]any{}, "payload": map[string]any{"success": success, "conversation_id": c.ID, "current_status": c.Status}})
}

// autoAssign runs round robin when a conversation opens without a human
// assignee: over online members of its team (when the team allows it) or,
// without a team, over every online agent.
func (s *Server) autoAssign(c *Conversation) {
	if !c.AutoAssign || (c.AssigneeType == "User" && c.AssigneeID != 0) {
		return
	}
	var pool []int64
	if t := s.teams[c.TeamID]; t != nil {
		if !t.AllowAutoAssign {
			return
		}
		pool = t.Members
	} else {
		for id := range s.agents {
			pool = append(pool, id)
		}
		slices.Sort(pool)
	}
	var online []int64
	for _, id := range pool {
		if a := s.agents[id]; a != nil && a.Availability == "online" {
			online = append(online, id)
		}
	}
	if len(online) == 0 {
		return
	}
	s.rr++
	c.AssigneeID, c.AssigneeType = online[s.rr%len(online)], "User"
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		AssigneeID   *json.Number `json:"assignee_id"`
		AssigneeType string       `json:"assignee_type"`
		TeamID       *json.Number `json:"team_id"`
	}
	if json.Unmarshal(body, &in) != nil {
		writeError(w, 422, 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(w, r)
	if c == nil {
		return
	}
	if in.AssigneeID != nil {
		id, _ := in.AssigneeID.Int64()
		if in.AssigneeType == "AgentBot" {
			c.AssigneeID, c.AssigneeType = id, "AgentBot"
			writeJSON(w, 200, map[string]any{"id": id, "name": "Bot"})
			return
		}
		a := s.agents[id]
		if a == nil {
			// Chatwoot's assignment service: an unknown user unassigns.
			c.AssigneeID, c.AssigneeType = 0, ""
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, "null")
			return
		}
		c.AssigneeID, c.AssigneeType = id, "User"
		writeJSON(w, 200, map[string]any{"id": a.ID, "name": a.Name, "email": a.Email, "availability_status": a.Availability, "role": "agent", "account_id": s.opts.AccountID})
		return
	}
	if in.TeamID != nil {
		id, _ := in.TeamID.Int64()
		t := s.teams[id]
		if t == nil {
			c.TeamID = 0
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, "null")
			return
		}
		c.TeamID = id
		// Setting a team drops an assignee outside it (bots included).
		if c.AssigneeType != "User" || !slices.Contains(t.Members, c.AssigneeID) {
			c.AssigneeID, c.AssigneeType = 0, ""
		}
		writeJSON(w, 200, map[string]any{"id": t.ID, "name": t.Name, "allow_auto_assign": t.AllowAutoAssign, "account_id": s.opts.AccountID})
		return
	}
	c.AssigneeID, c.AssigneeType = 0, ""
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	io.WriteString(w, "null")
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(w, r)
	if c == nil {
		return
	}
	obj := ConversationJSON(*c, s.opts.AccountID)
	obj["messages"] = s.lastPublic(c)
	obj["last_non_activity_message"] = s.lastNonActivity(c)
	writeJSON(w, 200, obj)
}

func (s *Server) getLabels(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(w, r)
	if c == nil {
		return
	}
	writeJSON(w, 200, map[string]any{"payload": nonNil(c.Labels)})
}

func (s *Server) setLabels(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Labels []string `json:"labels"`
	}
	if json.Unmarshal(body, &in) != nil {
		writeError(w, 422, 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(w, r)
	if c == nil {
		return
	}
	c.Labels = slices.Clone(in.Labels) // POST replaces the list
	writeJSON(w, 200, map[string]any{"payload": nonNil(c.Labels)})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func contactJSON(c *Contact) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "email": nullable(c.Email), "phone_number": nullable(c.PhoneNumber),
		"identifier": nullable(c.Identifier), "custom_attributes": orEmpty(c.CustomAttributes),
		"additional_attributes": orEmpty(c.AdditionalAttributes), "blocked": false,
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// searchContacts matches name, email and phone case-insensitively (by
// substring) and identifier exactly, 15 per page, like Chatwoot.
func (s *Server) searchContacts(w http.ResponseWriter, r *http.Request, _ []byte) {
	q := r.URL.Query().Get("q")
	if q == "" {
		writeJSON(w, 422, map[string]string{"error": "Specify search string with parameter q"})
		return
	}
	lq := strings.ToLower(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []map[string]any
	ids := make([]int64, 0, len(s.contacts))
	for id := range s.contacts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := s.contacts[id]
		if strings.Contains(strings.ToLower(c.Name), lq) || strings.Contains(strings.ToLower(c.Email), lq) ||
			strings.Contains(strings.ToLower(c.PhoneNumber), lq) || c.Identifier == q {
			hits = append(hits, contactJSON(c))
		}
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	start, end := (page-1)*15, page*15
	all := len(hits)
	if start > all {
		start = all
	}
	if end > all {
		end = all
	}
	hits = hits[start:end]
	if hits == nil {
		hits = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"meta": map[string]any{"count": all, "current_page": page, "has_more": end < all}, "payload": hits})
}

type contactIn struct {
	InboxID              *json.Number   `json:"inbox_id"`
	Name                 *string        `json:"name"`
	Email                *string        `json:"email"`
	PhoneNumber          *string        `json:"phone_number"`
	Identifier           *string        `json:"identifier"`
	CustomAttributes     map[string]any `json:"custom_attributes"`
	AdditionalAttributes map[string]any `json:"additional_attributes"`
}

func (s *Server) uniqueErr(w http.ResponseWriter, self int64, in contactIn) bool {
	for _, c := range s.contacts {
		if c.ID == self {
			continue
		}
		switch {
		case in.Email != nil && *in.Email != "" && strings.EqualFold(c.Email, *in.Email):
			writeJSON(w, 422, map[string]any{"message": "Email has already been taken", "attributes": []string{"email"}})
		case in.Identifier != nil && *in.Identifier != "" && c.Identifier == *in.Identifier:
			writeJSON(w, 422, map[string]any{"message": "Identifier has already been taken", "attributes": []string{"identifier"}})
		case in.PhoneNumber != nil && *in.PhoneNumber != "" && c.PhoneNumber == *in.PhoneNumber:
			writeJSON(w, 422, map[string]any{"message": "Phone number has already been taken", "attributes": []string{"phone_number"}})
		default:
			continue
		}
		return true
	}
	if in.PhoneNumber != nil && *in.PhoneNumber != "" && !validE164(*in.PhoneNumber) {
		writeJSON(w, 422, map[string]any{"message": "Phone number should be in e164 format", "attributes": []string{"phone_number"}})
		return true
	}
	return false
}

// validE164 mirrors Chatwoot's /\+[1-9]\d{1,14}\z/ (anchored at the end
// only).
func validE164(p string) bool {
	i := strings.LastIndexByte(p, '+')
	if i < 0 || i+2 >= len(p)+1 {
		return false
	}
	d := p[i+1:]
	if len(d) < 2 || len(d) > 15 || d[0] == '0' {
		return false
	}
	return strings.Trim(d, "0123456789") == ""
}

func (c *Contact) apply(in contactIn) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Email != nil {
		c.Email = *in.Email
	}
	if in.PhoneNumber != nil {
		c.PhoneNumber = *in.PhoneNumber
	}
	if in.Identifier != nil {
		c.Identifier = *in.Identifier
	}
	// contact attributes merge
	if in.CustomAttributes != nil {
		if c.CustomAttributes == nil {
			c.CustomAttributes = map[string]any{}
		}
		for k, v := range in.CustomAttributes {
			c.CustomAttributes[k] = v
		}
	}
	if in.AdditionalAttributes != nil {
		if c.AdditionalAttributes == nil {
			c.AdditionalAttributes = map[string]any{}
		}
		for k, v := range in.AdditionalAttributes {
			c.AdditionalAttributes[k] = v
		}
	}
}

func (s *Server) createContact(w http.ResponseWriter, _ *http.Request, body []byte) {
	var in contactIn
	if json.Unmarshal(body, &in) != nil {
		writeError(w, 422, 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uniqueErr(w, 0, in) {
		return
	}
	c := &Contact{ID: s.id()}
	c.apply(in)
	s.contacts[c.ID] = c
	inbox := int64(0)
	if in.InboxID != nil {
		inbox, _ = in.InboxID.Int64()
	}
	writeJSON(w, 200, map[string]any{"payload": map[string]any{"contact": contactJSON(c), "contact_inbox": map[string]any{"inbox": map[string]any{"id": inbox}, "source_id": fmt.Sprintf("src-%d", c.ID)}}})
}

func (s *Server) contact(w http.ResponseWriter, r *http.Request) *Contact {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c := s.contacts[id]
	if err != nil || c == nil {
		writeError(w, http.StatusNotFound, 0)
		return nil
	}
	return c
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, body []byte) {
	var in contactIn
	if json.Unmarshal(body, &in) != nil {
		writeError(w, 422, 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.contact(w, r)
	if c == nil {
		return
	}
	if s.uniqueErr(w, c.ID, in) {
		return
	}
	c.apply(in)
	writeJSON(w, 200, map[string]any{"payload": contactJSON(c)})
}

func (s *Server) getContactLabels(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.contact(w, r)
	if c == nil {
		return
	}
	writeJSON(w, 200, map[string]any{"payload": nonNil(c.Labels)})
}

func (s *Server) setContactLabels(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Labels []string `json:"labels"`
	}
	if json.Unmarshal(body, &in) != nil {
		writeError(w, 422, 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.contact(w, r)
	if c == nil {
		return
	}
	c.Labels = slices.Clone(in.Labels) // replaces, like conversation labels
	writeJSON(w, 200, map[string]any{"payload": nonNil(c.Labels)})
}

func (s *Server) listTeams(w http.ResponseWriter, _ *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, id := range sortedKeys(s.teams) {
		t := s.teams[id]
		out = append(out, map[string]any{"id": t.ID, "name": t.Name, "description": nil, "allow_auto_assign": t.AllowAutoAssign, "account_id": s.opts.AccountID, "is_member": false})
	}
	writeJSON(w, 200, out) // a bare array
}

func (s *Server) agentJSON(a *Agent) map[string]any {
	return map[string]any{"id": a.ID, "account_id": s.opts.AccountID, "availability_status": a.Availability, "auto_offline": true,
		"confirmed": true, "email": a.Email, "available_name": a.Name, "name": a.Name, "role": "agent", "thumbnail": ""}
}

func (s *Server) teamMembers(w http.ResponseWriter, r *http.Request, _ []byte) {
	id, _ := strconv.ParseInt(r.PathValue("team"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[id]
	if t == nil {
		writeError(w, http.StatusNotFound, 0)
		return
	}
	out := []map[string]any{}
	for _, m := range t.Members {
		if a := s.agents[m]; a != nil {
			out = append(out, s.agentJSON(a))
		}
	}
	writeJSON(w, 200, out)
}

func (s *Server) listAgents(w http.ResponseWriter, _ *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, id := range sortedKeys(s.agents) {
		out = append(out, s.agentJSON(s.agents[id]))
	}
	writeJSON(w, 200, out)
}

func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
