package zendesktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// created remembers, per server, the ticket each Idempotency-Key created.
var created sync.Map // *Server → *createdKeys

type createdKeys struct {
	mu   sync.Mutex
	ids  map[string]int64
	tags map[int64][]string
}

func (s *Server) createdKeys() *createdKeys {
	v, _ := created.LoadOrStore(s, &createdKeys{ids: map[string]int64{}, tags: map[int64][]string{}})
	return v.(*createdKeys)
}

// TicketTags returns the tags a ticket was created with through POST
// /api/v2/tickets.
func (s *Server) TicketTags(id int64) []string {
	ck := s.createdKeys()
	ck.mu.Lock()
	defer ck.mu.Unlock()
	return append([]string(nil), ck.tags[id]...)
}

// postTicket: POST /api/v2/tickets {"ticket": {"subject", "comment":
// {"body", "public"}, "requester": {"name", "email"} or "requester_id",
// "tags"}}, as Zendesk answers it: 201 with the ticket; 422 without a
// comment body or a requester; the ticket an Idempotency-Key created
// before for the same key. The ticket is open, assigned to the bot like
// every ticket of the fake, its first comment the requester's.
func (s *Server) postTicket(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in struct {
		Ticket *struct {
			Subject string `json:"subject"`
			Comment *struct {
				Body   string `json:"body"`
				Public *bool  `json:"public"`
			} `json:"comment"`
			Requester *struct {
				Name  string `json:"name"`
				Email string `json:"email"`
			} `json:"requester"`
			RequesterID json.Number `json:"requester_id"`
			Tags        []string    `json:"tags"`
		} `json:"ticket"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Ticket == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidParameter", "description": `body must be {"ticket": {...}}`})
		return
	}
	t := in.Ticket
	switch {
	case t.Comment == nil || strings.TrimSpace(t.Comment.Body) == "":
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid", "description": "Record validation errors",
			"details": map[string]any{"description": []map[string]string{{"description": "Description: cannot be blank", "error": "BlankValue"}}}})
		return
	case t.RequesterID == "" && (t.Requester == nil || strings.TrimSpace(t.Requester.Name) == "" && t.Requester.Email == ""):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid", "description": "Record validation errors",
			"details": map[string]any{"requester": []map[string]string{{"description": "Requester: cannot be blank", "error": "BlankValue"}}}})
		return
	}
	ck := s.createdKeys()
	ck.mu.Lock()
	defer ck.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	id, again := ck.ids[key]
	if key == "" || !again {
		id = s.CreateTicket(t.Subject, t.Comment.Body)
		if key != "" {
			ck.ids[key] = id
		}
		ck.tags[id] = t.Tags
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ticket": map[string]any{
		"id": id, "subject": t.Subject, "status": "open", "tags": t.Tags,
		"url": fmt.Sprintf("https://%s.zendesk.com/api/v2/tickets/%s.json", s.opts.Subdomain, strconv.FormatInt(id, 10)),
	}})
}
