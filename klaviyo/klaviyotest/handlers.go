package klaviyotest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/klaviyo"
)

// profileRef is a JSON:API profile identity in an event.
type profileRef struct {
	Data struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes struct {
			Email       string `json:"email"`
			PhoneNumber string `json:"phone_number"`
			ExternalID  string `json:"external_id"`
		} `json:"attributes"`
	} `json:"data"`
}

type metricRef struct {
	Data struct {
		Type       string `json:"type"`
		Attributes struct {
			Name string `json:"name"`
		} `json:"attributes"`
	} `json:"data"`
}

type eventAttrs struct {
	Properties map[string]any `json:"properties"`
	Time       *time.Time     `json:"time"`
	UniqueID   string         `json:"unique_id"`
	Metric     *metricRef     `json:"metric"`
	Profile    *profileRef    `json:"profile"`
}

// profileFor finds or creates the profile an event identifies; "" and a
// problem when it identifies none or gives a malformed phone.
func (s *Server) profileFor(p *profileRef) (string, string) {
	if p == nil || p.Data.Type != "profile" {
		return "", "profile is required"
	}
	a := p.Data.Attributes
	if p.Data.ID == "" && a.Email == "" && a.PhoneNumber == "" && a.ExternalID == "" {
		return "", "at least one profile identifier is required"
	}
	if a.PhoneNumber != "" && !klaviyo.ValidPhone(a.PhoneNumber) {
		return "", "Invalid phone number format (E.164 expected)"
	}
	if p.Data.ID != "" {
		if _, ok := s.profiles[p.Data.ID]; ok {
			return p.Data.ID, ""
		}
		return "", "profile not found"
	}
	for _, pr := range s.profiles {
		if (a.Email != "" && pr.Email == a.Email) || (a.PhoneNumber != "" && pr.Phone == a.PhoneNumber) ||
			(a.ExternalID != "" && pr.ExternalID == a.ExternalID) {
			return pr.ID, ""
		}
	}
	pr := &Profile{ID: s.id("01P"), Email: a.Email, Phone: a.PhoneNumber, ExternalID: a.ExternalID}
	s.profiles[pr.ID] = pr
	return pr.ID, ""
}

// accept records one event unless Klaviyo would drop it as a duplicate.
func (s *Server) accept(profileID string, e eventAttrs) string {
	if e.Metric == nil || e.Metric.Data.Attributes.Name == "" {
		return "metric name is required"
	}
	if len(e.Metric.Data.Attributes.Name) >= 128 {
		return "metric name must be shorter than 128 characters"
	}
	if e.Properties == nil {
		return "properties is required"
	}
	at := time.Now().UTC()
	if e.Time != nil {
		at = e.Time.UTC()
	}
	at = at.Truncate(time.Second)
	uid := e.UniqueID
	if uid == "" {
		uid = at.Format(time.RFC3339) // Klaviyo's default: the time in seconds
	}
	key := profileID + "\x00" + e.Metric.Data.Attributes.Name + "\x00" + uid
	if s.seen[key] {
		s.duplicates++
		return ""
	}
	s.seen[key] = true
	s.events = append(s.events, Event{ProfileID: profileID, Metric: e.Metric.Data.Attributes.Name, UniqueID: e.UniqueID, Time: at, Properties: e.Properties})
	return ""
}

// createEvent: POST /api/events → 202.
func (s *Server) createEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Data struct {
			Type       string     `json:"type"`
			Attributes eventAttrs `json:"attributes"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &in) != nil || in.Data.Type != "event" {
		invalid(w, "body must be a JSON:API event")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pid, problem := s.profileFor(in.Data.Attributes.Profile)
	if problem == "" {
		problem = s.accept(pid, in.Data.Attributes)
	}
	if problem != "" {
		invalid(w, problem)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// bulkCreateEvents: POST /api/event-bulk-create-jobs → 202, at most 1,000
// events. The whole job is checked before any event is recorded.
func (s *Server) bulkCreateEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				Jobs struct {
					Data []struct {
						Type       string `json:"type"`
						Attributes struct {
							Profile *profileRef `json:"profile"`
							Events  struct {
								Data []struct {
									Type       string     `json:"type"`
									Attributes eventAttrs `json:"attributes"`
								} `json:"data"`
							} `json:"events"`
						} `json:"attributes"`
					} `json:"data"`
				} `json:"events-bulk-create"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &in) != nil || in.Data.Type != "event-bulk-create-job" {
		invalid(w, "body must be a JSON:API event-bulk-create-job")
		return
	}
	n := 0
	for _, j := range in.Data.Attributes.Jobs.Data {
		n += len(j.Attributes.Events.Data)
	}
	if n == 0 || n > 1000 {
		invalid(w, "a job holds 1 to 1,000 events")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pids := make([]string, len(in.Data.Attributes.Jobs.Data))
	for i, j := range in.Data.Attributes.Jobs.Data {
		pid, problem := s.profileFor(j.Attributes.Profile)
		if problem != "" {
			invalid(w, problem)
			return
		}
		pids[i] = pid
	}
	for i, j := range in.Data.Attributes.Jobs.Data {
		for _, e := range j.Attributes.Events.Data {
			if problem := s.accept(pids[i], e.Attributes); problem != "" {
				invalid(w, problem)
				return
			}
		}
	}
	s.bulkBatches++
	if len(s.failAfter) > 0 {
		status := s.failAfter[0]
		s.failAfter = s.failAfter[1:]
		writeError(w, status, time.Second)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// BulkJobs returns how many bulk jobs were accepted.
func (s *Server) BulkJobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bulkBatches
}

func conversationObject(c *Conversation) map[string]any {
	return map[string]any{
		"type": "conversation", "id": c.ID,
		"attributes": map[string]any{"channel": c.Channel},
		"links":      map[string]string{"self": "https://a.klaviyo.com/api/conversations/" + c.ID},
	}
}

// profileConversations: GET /api/profiles/{id}/conversations (2026-07-15)
// and, for older revisions, GET /api/profiles/{id}/conversation.
func (s *Server) profileConversations(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.profiles[id]
	var data []any
	for _, c := range s.convs {
		if c.ProfileID == id {
			data = append(data, conversationObject(c))
		}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, 0)
		return
	}
	if data == nil {
		data = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": map[string]string{"self": "https://a.klaviyo.com" + r.URL.Path}})
}

func (s *Server) profileConversation(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.profiles[id]
	c := s.smsConversation(id)
	var data any
	if c != nil {
		data = conversationObject(c)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, 0)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": map[string]string{"self": "https://a.klaviyo.com" + r.URL.Path}})
}

// createConversationMessage: POST /api/conversation-messages → 202.
func (s *Server) createConversationMessage(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				Body *string `json:"body"`
			} `json:"attributes"`
			Relationships struct {
				Conversation struct {
					Data struct {
						Type string `json:"type"`
						ID   string `json:"id"`
					} `json:"data"`
				} `json:"conversation"`
			} `json:"relationships"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &in) != nil || in.Data.Type != "conversation-message" {
		invalid(w, "body must be a JSON:API conversation-message")
		return
	}
	if in.Data.Attributes.Body == nil || *in.Data.Attributes.Body == "" {
		invalid(w, "body is required")
		return
	}
	ref := in.Data.Relationships.Conversation.Data
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[ref.ID]
	if ref.Type != "conversation" || !ok {
		writeError(w, http.StatusNotFound, 0)
		return
	}
	c.Messages = append(c.Messages, Message{ID: s.id("01M"), Body: *in.Data.Attributes.Body, Direction: Outbound, At: time.Now().UTC()})
	w.WriteHeader(http.StatusAccepted)
}

// webhookTopics: GET /api/webhook-topics.
func (s *Server) webhookTopics(w http.ResponseWriter, r *http.Request, _ []byte) {
	data := make([]any, 0, len(s.topics))
	for _, t := range s.topics {
		data = append(data, map[string]any{"type": "webhook-topic", "id": t, "links": map[string]string{"self": "https://a.klaviyo.com/api/webhook-topics/" + t}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": map[string]string{"self": "https://a.klaviyo.com/api/webhook-topics"}})
}
