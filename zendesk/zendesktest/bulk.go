package zendesktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// bulkState is the fake's bulk-job state, per Server.
type bulkState struct {
	mu           sync.Mutex
	seq          int
	jobs         map[string]*bulkJob
	beforeUpdate func()
}

type bulkJob struct {
	results []map[string]any
	polls   int
}

var bulkStates sync.Map // *Server -> *bulkState

func (s *Server) bulk() *bulkState {
	v, _ := bulkStates.LoadOrStore(s, &bulkState{jobs: map[string]*bulkJob{}})
	return v.(*bulkState)
}

// handleBulk registers the bulk endpoints: show_many, update_many (the
// per-ticket "tickets" form, with safe_update per ticket) and job
// statuses. A job answers "queued" when created and "completed" with its
// per-ticket results on the first poll.
func (s *Server) handleBulk() {
	s.handleSupport("GET /api/v2/tickets/show_many", s.showMany)
	s.handleSupport("GET /api/v2/tickets/show_many.json", s.showMany)
	s.handleSupport("PUT /api/v2/tickets/update_many", s.updateMany)
	s.handleSupport("PUT /api/v2/tickets/update_many.json", s.updateMany)
	s.handleSupport("GET /api/v2/job_statuses/{id}", s.jobStatus)
	s.t.Cleanup(func() { bulkStates.Delete(s) })
}

// OnUpdateMany runs f when an update_many request arrives, before it is
// applied (to change a ticket between a client's read and its update).
func (s *Server) OnUpdateMany(f func()) {
	b := s.bulk()
	b.mu.Lock()
	b.beforeUpdate = f
	b.mu.Unlock()
}

func (s *Server) showMany(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("ids")
	parts := strings.Split(raw, ",")
	if raw == "" || len(parts) > 100 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidParameter", "description": "ids: 1 to 100 comma-separated ticket ids"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, p := range parts {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidParameter", "description": "ids: " + p + " is not an id"})
			return
		}
		if t := s.tickets[id]; t != nil {
			out = append(out, ticketJSON(t))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out})
}

func (s *Server) updateMany(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Tickets []map[string]json.RawMessage `json:"tickets"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Tickets) == 0 || len(req.Tickets) > 100 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidParameter", "description": `body must be {"tickets": [1 to 100 tickets with "id"]}`})
		return
	}
	for i, f := range req.Tickets {
		for k, v := range f {
			if k == "id" {
				continue
			}
			kind, known := ticketFields[k]
			if !known || !checkType(kind, v) {
				recordInvalid(w, map[string]string{k: fmt.Sprintf("tickets[%d].%s: is not a ticket property or has the wrong type", i, k)})
				return
			}
		}
		if _, ok := f["id"]; !ok {
			recordInvalid(w, map[string]string{"id": fmt.Sprintf("tickets[%d]: id is missing", i)})
			return
		}
	}
	b := s.bulk()
	b.mu.Lock()
	hook := b.beforeUpdate
	b.mu.Unlock()
	if hook != nil {
		hook()
	}
	s.mu.Lock()
	var results []map[string]any
	for i, f := range req.Tickets {
		id, _ := strconv.ParseInt(string(f["id"]), 10, 64)
		res := map[string]any{"id": id, "index": i}
		t := s.tickets[id]
		var status, stamp string
		_ = json.Unmarshal(f["status"], &status)
		_ = json.Unmarshal(f["updated_stamp"], &stamp)
		switch {
		case t == nil:
			res["error"], res["details"] = "TicketNotFound", "Ticket not found"
		case t.Status == "closed":
			res["error"], res["details"] = "TicketUpdateFailed", "Status: closed prevents ticket update"
		case string(f["safe_update"]) == "true" && !sameStamp(stamp, t.UpdatedAt):
			res["error"], res["details"] = "UpdateConflict", "Safe Update prevented the update due to outdated ticket data"
		default:
			if status != "" {
				t.Status = status
			}
			t.UpdatedAt = s.stamp()
			t.Updates++
			res["action"], res["success"], res["status"] = "update", true, "Updated"
		}
		results = append(results, res)
	}
	s.mu.Unlock()
	b.mu.Lock()
	b.seq++
	id := fmt.Sprintf("job%032d", b.seq)
	b.jobs[id] = &bulkJob{results: results}
	b.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"job_status": map[string]any{
		"id": id, "status": "queued", "total": len(results), "progress": nil, "results": nil, "message": nil,
		"url": "https://" + s.opts.Subdomain + ".zendesk.com/api/v2/job_statuses/" + id + ".json",
	}})
}

func sameStamp(s string, t time.Time) bool {
	ts, err := time.Parse(time.RFC3339, s)
	return err == nil && ts.Equal(t)
}

func (s *Server) jobStatus(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(r.PathValue("id"), ".json")
	b := s.bulk()
	b.mu.Lock()
	job := b.jobs[id]
	if job != nil {
		job.polls++
	}
	b.mu.Unlock()
	if job == nil {
		s.writeSupportError(w, http.StatusNotFound, 0)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_status": map[string]any{
		"id": id, "status": "completed", "total": len(job.results), "progress": len(job.results),
		"results": job.results, "message": "Completed at " + s.opts.Now().UTC().Format(time.RFC3339),
	}})
}
