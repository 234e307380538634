// Package intercomtest is a fake Intercom for tests: an httptest server
// that answers the REST endpoints the intercom driver calls, keeps
// conversation state, enforces the bearer token and the Intercom-Version
// header, rate-limits like Intercom (10-second windows, X-RateLimit-*
// headers, no Retry-After), injects failures; plus a signer for topic
// webhooks and a builder for Custom Action requests.
package intercomtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// Defaults the fake starts with.
const (
	DefaultToken      = "dG9rOmZha2UtaW50ZXJjb20tYWNjZXNzLXRva2Vu"
	DefaultVersion    = "2.16"
	DefaultAppID      = "abc123de"
	DefaultBotAdminID = "991267600"
	DefaultBotTeamID  = "7286213"
	DefaultBotName    = "Claudia"
)

// Options configures a Server.
type Options struct {
	// Token is the access token the fake accepts (default DefaultToken).
	Token string
	// Version is the Intercom-Version every request must carry (default
	// DefaultVersion).
	Version string
	// Validate, when set, checks every request against the published
	// spec (intercom's contract tests pass the openapi checker's
	// Validate); a violation fails the test.
	Validate func(r *http.Request, body []byte) error
	// Now is the fake's clock (default time.Now).
	Now func() time.Time
}

// Author of a part.
type Author struct {
	// Type is "user", "lead", "admin", "bot" or "team".
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Part is a conversation part as the fake keeps it.
type Part struct {
	ID         string `json:"id"`
	PartType   string `json:"part_type"`
	Body       string `json:"body"` // HTML, as sent
	Author     Author `json:"author"`
	CreatedAt  int64  `json:"created_at"`
	AssignedTo string `json:"-"`
	// Attachments are the attachment URLs, or the names of uploaded
	// files, the part carries.
	Attachments []string `json:"-"`
	// AppPackageCode is set on parts made through the API.
	AppPackageCode string `json:"app_package_code,omitempty"`
}

// Text returns the part's body as plain text.
func (p Part) Text() string { return htmlText(p.Body) }

// Conversation is the fake's state of one conversation.
type Conversation struct {
	ID              string
	State           string // open, closed, snoozed
	AdminAssigneeID string
	TeamAssigneeID  string
	SnoozedUntil    int64
	ContactID       string
	SourceType      string // conversation, email, whatsapp, ...
	Source          Part   // the customer's first message
	Parts           []Part
	Tags            []string
}

// Admin is a teammate at the fake.
type Admin struct {
	ID      string
	Name    string
	Email   string
	Away    bool
	TeamIDs []string
}

// Server is the fake Intercom.
type Server struct {
	*drivertest.VendorServer
	opts Options

	mu      sync.Mutex
	convs   map[string]*Conversation
	admins  []*Admin
	teams   map[string]string // id -> name
	tags    map[string]string // id -> name
	nextID  int64
	partSeq int64

	// The X-RateLimit-* headers of every answer: Intercom reports its
	// 10-second window on all authenticated responses.
	hdrLimit int
	winStart time.Time
	winCount int
}

// RateLimit makes the fake refuse more than n requests per window with
// Intercom's 429, and report n in X-RateLimit-Limit.
func (s *Server) RateLimit(n int, window time.Duration) {
	s.mu.Lock()
	s.hdrLimit = n
	s.winStart, s.winCount = time.Time{}, 0
	s.mu.Unlock()
	s.VendorServer.RateLimit(n, window)
}

// rateHeaders writes X-RateLimit-Limit, -Remaining and -Reset (a Unix
// time) for the current 10-second window.
func (s *Server) rateHeaders(w http.ResponseWriter) {
	s.mu.Lock()
	now := s.opts.Now()
	if s.winStart.IsZero() || now.Sub(s.winStart) >= 10*time.Second {
		s.winStart, s.winCount = now.Truncate(10*time.Second), 0
	}
	s.winCount++
	limit := s.hdrLimit
	if limit <= 0 {
		limit = 1667
	}
	remaining := max(0, limit-s.winCount)
	reset := s.winStart.Add(10 * time.Second).Unix()
	s.mu.Unlock()
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
}

// NewServer starts a fake Intercom with the bot admin (DefaultBotAdminID)
// in the bot's team (DefaultBotTeamID); it is closed when the test ends.
func NewServer(t testing.TB, opts *Options) *Server {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{opts: o, convs: map[string]*Conversation{}, teams: map[string]string{}, tags: map[string]string{}, nextID: 100, partSeq: 1000}
	s.VendorServer = drivertest.NewVendorServer(t, drivertest.VendorServerOptions{
		Authorize:  drivertest.HeaderAuth("Authorization", "Bearer "+o.Token),
		WriteError: s.writeError,
		Now:        o.Now,
	})
	s.teams[DefaultBotTeamID] = "Cloud Humans"
	s.admins = append(s.admins, &Admin{ID: DefaultBotAdminID, Name: DefaultBotName, Email: "claudia@example.com", TeamIDs: []string{DefaultBotTeamID}})
	s.route(t, "GET /me", s.me)
	s.route(t, "GET /admins", s.listAdmins)
	s.route(t, "GET /teams", s.listTeams)
	s.route(t, "GET /conversations/{id}", s.getConversation)
	s.route(t, "POST /conversations/{id}/reply", s.reply)
	s.route(t, "POST /conversations/{id}/parts", s.parts)
	s.route(t, "POST /conversations/{id}/tags", s.tag)
	return s
}

// route registers a documented endpoint behind the version check and the
// spec check.
func (s *Server) route(t testing.TB, pattern string, h func(w http.ResponseWriter, r *http.Request, body []byte)) {
	s.Handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if v := r.Header.Get("Intercom-Version"); v != s.opts.Version {
			// Without the header Intercom answers with the app's
			// default version; the fake insists, so a driver that
			// forgets to pin it fails.
			s.errorList(w, http.StatusBadRequest, "intercom_version_invalid", fmt.Sprintf("Intercom-Version %q: the fake expects %q", v, s.opts.Version))
			return
		}
		if s.opts.Validate != nil {
			if err := s.opts.Validate(r, body); err != nil {
				t.Errorf("intercomtest: %v", err)
			}
		}
		s.rateHeaders(w)
		if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			s.errorList(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json")
			return
		}
		h(w, r, body)
	})
}

// writeError writes Intercom's error.list; a 429 carries the
// X-RateLimit-* headers with the reset as a Unix time, and no Retry-After.
func (s *Server) writeError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	code, msg := "server_error", http.StatusText(status)
	switch status {
	case http.StatusUnauthorized:
		code, msg = "unauthorized", "Access Token Invalid"
	case http.StatusForbidden:
		code, msg = "api_plan_restricted", "Active subscription needed."
	case http.StatusNotFound:
		code, msg = "not_found", "Resource Not Found"
	case http.StatusTooManyRequests:
		code, msg = "rate_limit_exceeded", "Exceeded rate limit of 1667 in 10_seconds"
		now := s.opts.Now()
		w.Header().Set("X-RateLimit-Limit", "1667")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(retryAfter).Unix(), 10))
	case http.StatusServiceUnavailable:
		code = "service_unavailable"
	}
	s.errorList(w, status, code, msg)
}

func (s *Server) errorList(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	reqID := fmt.Sprintf("req-%d", time.Now().UnixNano())
	w.Header().Set("X-Request-Id", reqID)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "error.list", "request_id": reqID,
		"errors": []map[string]string{{"code": code, "message": msg}},
	})
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", time.Now().UnixNano()))
	_ = json.NewEncoder(w).Encode(v)
}

// AddAdmin adds a teammate and returns its id.
func (s *Server) AddAdmin(name string, away bool, teamIDs ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := strconv.FormatInt(991000000+s.nextID, 10)
	s.admins = append(s.admins, &Admin{ID: id, Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com", Away: away, TeamIDs: teamIDs})
	return id
}

// SetAway sets a teammate's away mode.
func (s *Server) SetAway(adminID string, away bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.admins {
		if a.ID == adminID {
			a.Away = away
		}
	}
}

// AddTeam adds a team with the given members and returns its id.
func (s *Server) AddTeam(name string, adminIDs ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := strconv.FormatInt(8000000+s.nextID, 10)
	s.teams[id] = name
	for _, a := range s.admins {
		for _, m := range adminIDs {
			if a.ID == m {
				a.TeamIDs = append(a.TeamIDs, id)
			}
		}
	}
	return id
}

// AddTag creates a tag and returns its id.
func (s *Server) AddTag(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := strconv.FormatInt(s.nextID, 10)
	s.tags[id] = name
	return id
}

// AddConversation stores c (its ID, part ids and defaults filled in) and
// returns its id. By default it is open, assigned to the bot's team, with
// the customer's first message "Hi" on a Messenger chat.
func (s *Server) AddConversation(c Conversation) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	if c.ID == "" {
		c.ID = strconv.FormatInt(60000000000+s.nextID, 10)
	}
	if c.State == "" {
		c.State = "open"
	}
	if c.TeamAssigneeID == "" && c.AdminAssigneeID == "" {
		c.TeamAssigneeID = DefaultBotTeamID
	}
	if c.ContactID == "" {
		c.ContactID = "6762f16e1bb69f9f2193bb" + strconv.FormatInt(s.nextID%100, 10)
	}
	if c.SourceType == "" {
		c.SourceType = "conversation"
	}
	if c.Source.ID == "" {
		s.partSeq++
		c.Source.ID = strconv.FormatInt(403900000+s.partSeq, 10)
	}
	if c.Source.Body == "" {
		c.Source.Body = "<p>Hi</p>"
	}
	if c.Source.Author.Type == "" {
		c.Source.Author = Author{Type: "user", ID: c.ContactID, Name: "Maria Silva"}
	}
	if c.Source.CreatedAt == 0 {
		c.Source.CreatedAt = s.opts.Now().Unix()
	}
	for i := range c.Parts {
		if c.Parts[i].ID == "" {
			s.partSeq++
			c.Parts[i].ID = strconv.FormatInt(s.partSeq, 10)
		}
	}
	cp := c
	s.convs[c.ID] = &cp
	return c.ID
}

// CustomerReply appends a customer part to conversation id (as Intercom
// does when the customer writes) and returns it, for building the
// conversation.user.replied webhook. A closed conversation reopens.
func (s *Server) CustomerReply(id, text string) (Part, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok {
		return Part{}, false
	}
	p := s.newPart("comment", "<p>"+html.EscapeString(text)+"</p>", Author{Type: "user", ID: c.ContactID, Name: c.Source.Author.Name})
	c.Parts = append(c.Parts, p)
	if c.State != "open" {
		c.State = "open"
	}
	return p, true
}

// Conversation returns a copy of the fake's state of id.
func (s *Server) Conversation(id string) (Conversation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok {
		return Conversation{}, false
	}
	cp := *c
	cp.Parts = append([]Part(nil), c.Parts...)
	cp.Tags = append([]string(nil), c.Tags...)
	return cp, true
}

// Close closes conversation id at the fake, as a human teammate would.
func (s *Server) Close(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.convs[id]; ok {
		c.State = "closed"
	}
}

func (s *Server) newPart(partType, body string, a Author) Part {
	s.partSeq++
	return Part{ID: strconv.FormatInt(s.partSeq, 10), PartType: partType, Body: body, Author: a, CreatedAt: s.opts.Now().Unix()}
}

func (s *Server) admin(id string) *Admin {
	for _, a := range s.admins {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	a := s.admin(DefaultBotAdminID)
	s.mu.Unlock()
	s.writeJSON(w, map[string]any{"type": "admin", "id": a.ID, "name": a.Name, "email": a.Email, "email_verified": true,
		"app": map[string]any{"type": "app", "id_code": DefaultAppID, "name": "Fake workspace", "region": "US"}})
}

func (s *Server) listAdmins(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, a := range s.admins {
		teams := make([]int64, 0, len(a.TeamIDs))
		for _, t := range a.TeamIDs {
			n, _ := strconv.ParseInt(t, 10, 64)
			teams = append(teams, n)
		}
		out = append(out, map[string]any{"type": "admin", "id": a.ID, "name": a.Name, "email": a.Email,
			"away_mode_enabled": a.Away, "away_mode_reassign": false, "has_inbox_seat": true, "team_ids": teams})
	}
	s.writeJSON(w, map[string]any{"type": "admin.list", "admins": out})
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.teams))
	for id := range s.teams {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []map[string]any
	for _, id := range ids {
		members := []int64{}
		for _, a := range s.admins {
			for _, t := range a.TeamIDs {
				if t == id {
					n, _ := strconv.ParseInt(a.ID, 10, 64)
					members = append(members, n)
				}
			}
		}
		out = append(out, map[string]any{"type": "team", "id": id, "name": s.teams[id], "admin_ids": members})
	}
	s.writeJSON(w, map[string]any{"type": "team.list", "teams": out})
}

// conversationJSON renders c as Intercom's conversation object; parts
// limits the parts listed (Intercom's write answers list the new part
// only).
func (s *Server) conversationJSON(c *Conversation, parts []Part, plain bool) map[string]any {
	body := func(b string) string {
		if plain {
			return htmlText(b)
		}
		return b
	}
	ps := make([]map[string]any, 0, len(parts))
	for _, p := range parts {
		m := map[string]any{"type": "conversation_part", "id": p.ID, "part_type": p.PartType, "body": nilIfEmpty(body(p.Body)),
			"created_at": p.CreatedAt, "updated_at": p.CreatedAt, "notified_at": p.CreatedAt,
			"author": map[string]any{"type": p.Author.Type, "id": p.Author.ID, "name": p.Author.Name}, "attachments": partAttachments(p),
			"app_package_code": nilIfEmpty(p.AppPackageCode), "redacted": false}
		if p.AssignedTo != "" {
			m["assigned_to"] = map[string]any{"type": "admin", "id": p.AssignedTo}
		}
		ps = append(ps, m)
	}
	tags := []map[string]any{}
	for _, t := range c.Tags {
		tags = append(tags, map[string]any{"type": "tag", "name": t})
	}
	return map[string]any{
		"type": "conversation", "id": c.ID, "created_at": c.Source.CreatedAt, "updated_at": s.opts.Now().Unix(),
		"state": c.State, "open": c.State == "open", "read": false,
		"admin_assignee_id": numOrNil(c.AdminAssigneeID), "team_assignee_id": numOrNil(c.TeamAssigneeID),
		"snoozed_until": numOrNil(strconv.FormatInt(c.SnoozedUntil, 10)),
		"source": map[string]any{"type": c.SourceType, "id": c.Source.ID, "delivered_as": "customer_initiated", "subject": "",
			"body": body(c.Source.Body), "author": map[string]any{"type": c.Source.Author.Type, "id": c.Source.Author.ID, "name": c.Source.Author.Name}, "attachments": []any{}},
		"contacts":           map[string]any{"type": "contact.list", "contacts": []map[string]any{{"type": "contact", "id": c.ContactID}}},
		"tags":               map[string]any{"type": "tag.list", "tags": tags},
		"conversation_parts": map[string]any{"type": "conversation_part.list", "conversation_parts": ps, "total_count": len(ps)},
	}
}

// partAttachments renders a part's attachments as the spec's
// part_attachment objects: an attachment URL as given, an uploaded file
// by its name under a fake download host.
func partAttachments(p Part) []map[string]any {
	out := make([]map[string]any, 0, len(p.Attachments))
	for _, a := range p.Attachments {
		name, u := a, "https://downloads.intercomcdn.test/"+url.PathEscape(a)
		if strings.Contains(a, "://") {
			u = a
			name = path.Base(strings.SplitN(a, "?", 2)[0])
		}
		out = append(out, map[string]any{"type": "upload", "name": name, "url": u})
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func numOrNil(s string) any {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return nil
	}
	return n
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[r.PathValue("id")]
	if !ok {
		s.errorList(w, http.StatusNotFound, "not_found", "Conversation not found")
		return
	}
	s.writeJSON(w, s.conversationJSON(c, c.Parts, r.URL.Query().Get("display_as") == "plaintext"))
}

type writeBody struct {
	MessageType     string          `json:"message_type"`
	Type            string          `json:"type"`
	AdminID         json.RawMessage `json:"admin_id"`
	AssigneeID      json.RawMessage `json:"assignee_id"`
	Body            *string         `json:"body"`
	SnoozedUntil    *int64          `json:"snoozed_until"`
	AttachmentURLs  []string        `json:"attachment_urls"`
	AttachmentFiles []struct {
		ContentType string `json:"content_type"`
		Data        []byte `json:"data"`
		Name        string `json:"name"`
	} `json:"attachment_files"`
}

// idString reads an id sent as a string (the spec's type) or a number
// (the spec's examples); Intercom accepts both.
func idString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func (s *Server) decodeWrite(w http.ResponseWriter, body []byte) (*writeBody, bool) {
	var b writeBody
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&b); err != nil {
		s.errorList(w, http.StatusBadRequest, "parameter_invalid", "Request body is not valid JSON")
		return nil, false
	}
	return &b, true
}

func (s *Server) conv(w http.ResponseWriter, r *http.Request) (*Conversation, bool) {
	c, ok := s.convs[r.PathValue("id")]
	if !ok {
		s.errorList(w, http.StatusNotFound, "not_found", "Resource Not Found")
	}
	return c, ok
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, body []byte) {
	b, ok := s.decodeWrite(w, body)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conv(w, r)
	if !ok {
		return
	}
	admin := idString(b.AdminID)
	switch {
	case b.MessageType == "":
		s.errorList(w, http.StatusBadRequest, "parameter_not_found", "message_type is required")
		return
	case b.MessageType != "comment" && b.MessageType != "note":
		s.errorList(w, http.StatusBadRequest, "parameter_invalid", "message_type must be comment or note for an admin reply (quick_reply is not faked)")
		return
	case b.Type != "admin":
		s.errorList(w, http.StatusBadRequest, "parameter_invalid", "type must be admin")
		return
	case admin == "" || s.admin(admin) == nil:
		s.errorList(w, http.StatusNotFound, "admin_not_found", "Admin not found")
		return
	case (b.Body == nil || strings.TrimSpace(*b.Body) == "") && len(b.AttachmentURLs)+len(b.AttachmentFiles) == 0:
		s.errorList(w, http.StatusBadRequest, "parameter_not_found", "body is required for comment and note")
		return
	case len(b.AttachmentURLs) > 10 || len(b.AttachmentFiles) > 10:
		s.errorList(w, http.StatusBadRequest, "parameter_invalid", "at most 10 attachment_urls and 10 attachment_files")
		return
	}
	for _, f := range b.AttachmentFiles {
		if f.Name == "" || f.ContentType == "" || len(f.Data) == 0 {
			s.errorList(w, http.StatusBadRequest, "parameter_invalid", "attachment_files need name, content_type and data")
			return
		}
	}
	text := ""
	if b.Body != nil {
		text = *b.Body
	}
	p := s.newPart(b.MessageType, text, Author{Type: "admin", ID: admin, Name: s.admin(admin).Name})
	p.AppPackageCode = "fake-app"
	p.Attachments = append(p.Attachments, b.AttachmentURLs...)
	for _, f := range b.AttachmentFiles {
		p.Attachments = append(p.Attachments, f.Name)
	}
	c.Parts = append(c.Parts, p)
	s.writeJSON(w, s.conversationJSON(c, []Part{p}, false))
}

func (s *Server) parts(w http.ResponseWriter, r *http.Request, body []byte) {
	b, ok := s.decodeWrite(w, body)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conv(w, r)
	if !ok {
		return
	}
	admin := idString(b.AdminID)
	if admin == "" || s.admin(admin) == nil {
		s.errorList(w, http.StatusNotFound, "admin_not_found", "Admin not found")
		return
	}
	author := Author{Type: "admin", ID: admin, Name: s.admin(admin).Name}
	text := ""
	if b.Body != nil {
		text = *b.Body
	}
	var p Part
	switch b.MessageType {
	case "close":
		if b.Type != "admin" {
			s.errorList(w, http.StatusBadRequest, "parameter_invalid", "type must be admin")
			return
		}
		p = s.newPart("close", text, author)
		c.State = "closed"
	case "open":
		p = s.newPart("open", "", author)
		c.State = "open"
	case "snoozed":
		if b.SnoozedUntil == nil || *b.SnoozedUntil <= s.opts.Now().Unix() {
			s.errorList(w, http.StatusBadRequest, "parameter_invalid", "snoozed_until must be a future Unix time")
			return
		}
		p = s.newPart("snoozed", "", author)
		c.State, c.SnoozedUntil = "snoozed", *b.SnoozedUntil
	case "assignment":
		assignee := idString(b.AssigneeID)
		switch b.Type {
		case "team":
			if _, ok := s.teams[assignee]; !ok && assignee != "0" {
				s.errorList(w, http.StatusNotFound, "team_not_found", "Team not found")
				return
			}
			// A conversation can have an admin and a team assignee at
			// once: assigning a team leaves the admin assignee as it is.
			c.TeamAssigneeID = assignee
			if assignee == "0" {
				c.TeamAssigneeID = ""
			}
		case "admin":
			if s.admin(assignee) == nil && assignee != "0" {
				s.errorList(w, http.StatusNotFound, "admin_not_found", "Admin not found")
				return
			}
			c.AdminAssigneeID = assignee
			if assignee == "0" {
				c.AdminAssigneeID = ""
			}
		default:
			s.errorList(w, http.StatusBadRequest, "parameter_invalid", "type must be admin or team")
			return
		}
		pt := "assignment"
		if c.State == "closed" {
			pt = "assign_and_reopen"
			c.State = "open"
		}
		// The body is "a response in the conversation when it is
		// assigned" (spec 2.16): the customer sees it.
		p = s.newPart(pt, text, author)
		p.AssignedTo = assignee
	default:
		s.errorList(w, http.StatusBadRequest, "parameter_invalid", "message_type must be close, snoozed, open or assignment")
		return
	}
	p.AppPackageCode = "fake-app"
	c.Parts = append(c.Parts, p)
	s.writeJSON(w, s.conversationJSON(c, []Part{p}, false))
}

func (s *Server) tag(w http.ResponseWriter, r *http.Request, body []byte) {
	var b struct {
		ID      json.RawMessage `json:"id"`
		AdminID json.RawMessage `json:"admin_id"`
	}
	if json.Unmarshal(body, &b) != nil {
		s.errorList(w, http.StatusBadRequest, "parameter_invalid", "Request body is not valid JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conv(w, r)
	if !ok {
		return
	}
	tagID, admin := idString(b.ID), idString(b.AdminID)
	name, ok := s.tags[tagID]
	switch {
	case s.admin(admin) == nil:
		s.errorList(w, http.StatusNotFound, "admin_not_found", "Admin not found")
		return
	case !ok:
		s.errorList(w, http.StatusNotFound, "tag_not_found", "Tag not found")
		return
	}
	c.Tags = append(c.Tags, name)
	s.writeJSON(w, map[string]any{"type": "tag", "id": tagID, "name": name, "applied_at": s.opts.Now().Unix(),
		"applied_by": map[string]any{"type": "admin", "id": admin}})
}

var (
	reParaEnd  = regexp.MustCompile(`(?i)</p>`)
	reBlockEnd = regexp.MustCompile(`(?i)<br\s*/?>|</div>|</li>`)
	reTag      = regexp.MustCompile(`<[^>]*>`)
	reBlank    = regexp.MustCompile(`\n{3,}`)
)

// htmlText is the fake's own HTML-to-text (independent of the driver's):
// paragraphs end in a blank line, other block ends in a newline, tags are
// dropped, entities unescaped.
func htmlText(s string) string {
	s = reParaEnd.ReplaceAllString(s, "\n\n")
	s = reBlockEnd.ReplaceAllString(s, "\n")
	s = reTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(reBlank.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
