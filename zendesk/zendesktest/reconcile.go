package zendesktest

import (
	"net/http"
	"strconv"
	"time"
)

// IgnoreIdempotencyKey makes the fake ignore Idempotency-Key on every
// Support request, as Zendesk may on ticket updates: it documents the
// header for ticket creation only. A driver must then not rely on the key
// to avoid duplicate comments (see zendesk's reconciliation).
func (s *Server) IgnoreIdempotencyKey() { s.Support.IgnoreHeader("Idempotency-Key") }

// listComments answers GET /api/v2/tickets/{id}/comments: the ticket's
// comments, oldest first or, with sort_order=desc, newest first; per_page
// (at most 100, the default) of them.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.writeSupportError(w, http.StatusNotFound, 0)
		return
	}
	per := 100
	if v := r.URL.Query().Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidPaginationParameter", "description": "per_page must be a positive number"})
			return
		}
		per = min(n, 100)
	}
	desc := r.URL.Query().Get("sort_order") == "desc"
	s.mu.Lock()
	t := s.tickets[id]
	var list []Comment
	if t != nil {
		list = append(list, t.Comments...)
	}
	s.mu.Unlock()
	if t == nil {
		s.writeSupportError(w, http.StatusNotFound, 0)
		return
	}
	if desc {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
	count := len(list)
	if len(list) > per {
		list = list[:per]
	}
	out := make([]map[string]any, 0, len(list))
	for _, c := range list {
		m := map[string]any{"id": c.ID, "type": "Comment", "author_id": c.AuthorID, "body": c.Body,
			"plain_body": c.Body, "public": c.Public}
		if !c.CreatedAt.IsZero() {
			m["created_at"] = c.CreatedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": out, "count": count, "next_page": nil, "previous_page": nil})
}
