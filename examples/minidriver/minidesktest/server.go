// Package minidesktest is a fake Minidesk for tests: a server that answers
// the endpoints the minidriver calls, as strictly as Minidesk does (bearer
// token, required fields, 404 for unknown tickets, 409 for closed ones),
// keeps tickets in memory, can be told to fail, rate-limit or stall, or to
// fail a share of writes before or after posting them
// (drivertest.VendorServer, InjectFaults), and builds signed webhook
// deliveries.
package minidesktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/examples/minidriver"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// Defaults of a new Server.
const (
	// Token is the API token the server accepts.
	Token = "mdk_test_4f1c9a7e2b"
	// BotAgentID is the id of the bot user Token belongs to.
	BotAgentID = 1
	// TeamID and AgentID exist at a new server: a human team and agent.
	TeamID  = 10
	AgentID = 20
)

// Ticket statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Reply is a message on a ticket.
type Reply struct {
	ID         int
	Body       string
	Internal   bool
	AuthorType string
	AuthorID   int
	CreatedAt  time.Time
}

// MarshalJSON writes the reply as Minidesk does.
func (r Reply) MarshalJSON() ([]byte, error) {
	type author struct {
		Type string `json:"type"`
		ID   int    `json:"id"`
	}
	return json.Marshal(struct {
		ID        int       `json:"id"`
		Body      string    `json:"body"`
		Internal  bool      `json:"internal"`
		Author    author    `json:"author"`
		CreatedAt time.Time `json:"created_at"`
	}{r.ID, r.Body, r.Internal, author{r.AuthorType, r.AuthorID}, r.CreatedAt})
}

// Ticket is what the server holds for one ticket.
type Ticket struct {
	ID      int
	Status  string
	TeamID  int // 0: none
	AgentID int // 0: unassigned
	Replies []Reply
}

// Server is a fake Minidesk account.
type Server struct {
	*drivertest.VendorServer

	mu         sync.Mutex
	next       int
	tickets    map[int]*Ticket
	teams      map[int]bool
	agents     map[int]bool
	deliveries map[string][]byte // what was reported, so redeliveries are identical
	requestID  atomic.Int64
}

// NewServer starts a fake Minidesk with one team (TeamID) and one human
// agent (AgentID) besides the bot (BotAgentID). It is closed when the test
// ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		next:       100,
		tickets:    map[int]*Ticket{},
		teams:      map[int]bool{TeamID: true},
		agents:     map[int]bool{AgentID: true, BotAgentID: true},
		deliveries: map[string][]byte{},
	}
	s.VendorServer = drivertest.NewVendorServer(t, drivertest.VendorServerOptions{
		Authorize:  drivertest.HeaderAuth("Authorization", "Bearer "+Token),
		WriteError: s.writeError,
	})
	s.Handle("POST /v1/tickets/{id}/replies", s.postReply)
	s.Handle("GET /v1/tickets/{id}/replies", s.listReplies)
	s.Handle("POST /v1/tickets/{id}/close", s.closeTicket)
	s.Handle("POST /v1/tickets/{id}/assign", s.assign)
	return s
}

// Config returns a driver configuration for this server.
func (s *Server) Config(webhookSecrets ...string) minidriver.Config {
	return minidriver.Config{BaseURL: s.URL, APIToken: Token, BotAgentID: strconv.Itoa(BotAgentID), WebhookSecrets: webhookSecrets}
}

// NewTicket opens a ticket assigned to the bot, with a first message from
// customer 500, and returns its id.
func (s *Server) NewTicket(text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	tk := &Ticket{ID: s.next, Status: StatusOpen, AgentID: BotAgentID}
	s.tickets[tk.ID] = tk
	s.addReply(tk, text, false, minidriver.AuthorCustomer, 500)
	return tk.ID
}

// Ticket returns a copy of ticket id.
func (s *Server) Ticket(id int) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tk, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	cp := *tk
	cp.Replies = slices.Clone(tk.Replies)
	return cp, true
}

// Close closes ticket id the way an agent does in Minidesk's screens.
func (s *Server) Close(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tk, ok := s.tickets[id]; ok {
		tk.Status = StatusClosed
	}
}

// ReplyDelivery returns the body of the reply.created delivery reporting
// that authorType/authorID wrote text on ticket. The first call records
// the reply; a call with the same arguments returns the same body again,
// as Minidesk's redelivery of one event.
func (s *Server) ReplyDelivery(ticket int, authorType string, authorID int, text string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := fmt.Sprintf("%d/%s/%d/%q", ticket, authorType, authorID, text)
	if b, ok := s.deliveries[key]; ok {
		return b
	}
	tk, ok := s.tickets[ticket]
	if !ok {
		tk = &Ticket{ID: ticket, Status: StatusOpen}
		s.tickets[ticket] = tk
	}
	r := s.addReply(tk, text, false, authorType, authorID)
	body, err := json.Marshal(map[string]any{
		"id":        fmt.Sprintf("evt_%d_%d", ticket, r.ID),
		"type":      minidriver.EventReplyCreated,
		"ticket_id": ticket,
		"reply": map[string]any{
			"id": r.ID, "body": r.Body, "internal": r.Internal,
			"author": map[string]any{"type": authorType, "id": authorID},
		},
		"created_at": r.CreatedAt.Format(time.RFC3339Nano),
	})
	if err != nil {
		panic(err)
	}
	s.deliveries[key] = body
	return body
}

func (s *Server) addReply(tk *Ticket, text string, internal bool, authorType string, authorID int) Reply {
	s.next++
	r := Reply{ID: s.next, Body: text, Internal: internal, AuthorType: authorType, AuthorID: authorID, CreatedAt: time.Now().UTC()}
	tk.Replies = append(tk.Replies, r)
	return r
}

// writeError writes Minidesk's error answer.
func (s *Server) writeError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	code := map[int]string{
		http.StatusUnauthorized:        minidriver.CodeUnauthorized,
		http.StatusNotFound:            minidriver.CodeNotFound,
		http.StatusConflict:            minidriver.CodeTicketClosed,
		http.StatusTooManyRequests:     minidriver.CodeRateLimited,
		http.StatusUnprocessableEntity: minidriver.CodeInvalid,
	}[status]
	if code == "" {
		code = "internal_error"
	}
	s.writeErrorCode(w, status, code, http.StatusText(status), retryAfter)
}

func (s *Server) writeErrorCode(w http.ResponseWriter, status int, code, message string, retryAfter time.Duration) {
	if status == http.StatusTooManyRequests {
		secs := int((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	s.writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	id := s.requestID.Add(1)
	w.Header().Set(minidriver.RequestIDHeader, fmt.Sprintf("req_%06d", id))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ticket finds the path's ticket, answering 404 (and nil) when there is
// none.
func (s *Server) ticket(w http.ResponseWriter, r *http.Request) *Ticket {
	id, err := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	tk := s.tickets[id]
	s.mu.Unlock()
	if err != nil || tk == nil {
		s.writeErrorCode(w, http.StatusNotFound, minidriver.CodeNotFound, "no such ticket", 0)
		return nil
	}
	return tk
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		s.writeErrorCode(w, http.StatusUnprocessableEntity, minidriver.CodeInvalid, "body is not valid JSON for this endpoint", 0)
		return false
	}
	return true
}

func (s *Server) invalid(w http.ResponseWriter, message string) {
	s.writeErrorCode(w, http.StatusUnprocessableEntity, minidriver.CodeInvalid, message, 0)
}

func (s *Server) closed(w http.ResponseWriter) {
	s.writeErrorCode(w, http.StatusConflict, minidriver.CodeTicketClosed, "the ticket is closed", 0)
}

// postReply: POST /v1/tickets/{id}/replies {"body": "...", "internal": false}.
func (s *Server) postReply(w http.ResponseWriter, r *http.Request) {
	tk := s.ticket(w, r)
	if tk == nil {
		return
	}
	var in struct {
		Body     *string `json:"body"`
		Internal bool    `json:"internal"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if in.Body == nil || *in.Body == "" {
		s.invalid(w, "body is required")
		return
	}
	s.mu.Lock()
	if tk.Status == StatusClosed {
		s.mu.Unlock()
		s.closed(w)
		return
	}
	rep := s.addReply(tk, *in.Body, in.Internal, minidriver.AuthorBot, BotAgentID)
	s.mu.Unlock()
	s.writeJSON(w, http.StatusCreated, rep)
}

// listReplies: GET /v1/tickets/{id}/replies, every reply and note of the
// ticket, oldest first: {"replies": [...]}.
func (s *Server) listReplies(w http.ResponseWriter, r *http.Request) {
	tk := s.ticket(w, r)
	if tk == nil {
		return
	}
	s.mu.Lock()
	replies := slices.Clone(tk.Replies)
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, map[string]any{"replies": replies})
}

// closeTicket: POST /v1/tickets/{id}/close (no body; closing a closed
// ticket is a no-op).
func (s *Server) closeTicket(w http.ResponseWriter, r *http.Request) {
	tk := s.ticket(w, r)
	if tk == nil {
		return
	}
	s.mu.Lock()
	tk.Status = StatusClosed
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, map[string]any{"id": tk.ID, "status": StatusClosed})
}

// assign: POST /v1/tickets/{id}/assign {"team_id": n} or {"agent_id": n},
// with an optional "note" left as an internal reply.
func (s *Server) assign(w http.ResponseWriter, r *http.Request) {
	tk := s.ticket(w, r)
	if tk == nil {
		return
	}
	var in struct {
		TeamID  *int   `json:"team_id"`
		AgentID *int   `json:"agent_id"`
		Note    string `json:"note"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case (in.TeamID == nil) == (in.AgentID == nil):
		s.invalid(w, "exactly one of team_id and agent_id is required")
		return
	case in.TeamID != nil && !s.teams[*in.TeamID]:
		s.invalid(w, "no such team")
		return
	case in.AgentID != nil && !s.agents[*in.AgentID]:
		s.invalid(w, "no such agent")
		return
	case tk.Status == StatusClosed:
		s.closed(w)
		return
	}
	if in.TeamID != nil {
		tk.TeamID, tk.AgentID = *in.TeamID, 0
	} else {
		tk.AgentID = *in.AgentID
	}
	if in.Note != "" {
		s.addReply(tk, in.Note, true, minidriver.AuthorBot, BotAgentID)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"id": tk.ID, "team_id": tk.TeamID, "agent_id": tk.AgentID})
}
