package zendesktest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Sunshine Conversations endpoints of the fake: post a message, list a
// conversation's messages (the read-back after an ambiguous post), and the
// switchboard actions.

// sunshineTime is Sunshine's datetime format, YYYY-MM-DDThh:mm:ss.SSSZ.
const sunshineTime = "2006-01-02T15:04:05.000Z07:00"

// sunshinePage is Sunshine's fixed page size of List Messages.
const sunshinePage = 100

func (s *Server) handleSunshine() {
	s.Sunshine.Handle("POST /v2/apps/{app}/conversations/{conv}/messages", s.postMessage)
	s.Sunshine.Handle("GET /v2/apps/{app}/conversations/{conv}/messages", s.listMessages)
	s.Sunshine.Handle("POST /v2/apps/{app}/conversations/{conv}/passControl", s.passControl)
	s.Sunshine.Handle("POST /v2/apps/{app}/conversations/{conv}/releaseControl", s.releaseControl)
}

func (s *Server) sunshineRequest(w http.ResponseWriter, r *http.Request) (*Conversation, []byte, bool) {
	var body []byte
	if r.Method != http.MethodGet {
		var ok bool
		if body, ok = readBody(w, r); !ok {
			return nil, nil, false
		}
	}
	if s.opts.ValidateSunshine != nil {
		if err := s.opts.ValidateSunshine(r, body); err != nil {
			s.t.Errorf("zendesktest: %s %s does not match the Sunshine spec: %v", r.Method, r.URL.Path, err)
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []map[string]string{{"code": "bad_request", "title": err.Error()}}})
			return nil, nil, false
		}
	}
	s.mu.Lock()
	c := s.convs[r.PathValue("conv")]
	s.mu.Unlock()
	if r.PathValue("app") != s.opts.SunshineAppID || c == nil {
		writeSunshineError(w, http.StatusNotFound, 0)
		return nil, nil, false
	}
	return c, body, true
}

func sunBad(w http.ResponseWriter, title string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []map[string]string{{"code": "bad_request", "title": title}}})
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	c, body, ok := s.sunshineRequest(w, r)
	if !ok {
		return
	}
	var req struct {
		Author *struct {
			Type        string   `json:"type"`
			DisplayName string   `json:"displayName"`
			AvatarURL   string   `json:"avatarUrl"`
			Subtypes    []string `json:"subtypes"`
		} `json:"author"`
		Content *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		Metadata map[string]any `json:"metadata"`
	}
	// Unknown properties are accepted and recorded (IgnoredFields): where
	// unsure whether Sunshine refuses them, the fake accepts.
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		var ignored []string
		for k := range top {
			switch k {
			case "author", "content", "metadata":
			default:
				ignored = append(ignored, "message."+k)
			}
		}
		s.recordIgnored(r, ignored)
	}
	switch {
	case json.Unmarshal(body, &req) != nil:
		sunBad(w, "invalid message body")
		return
	case req.Author == nil || (req.Author.Type != "business" && req.Author.Type != "user"):
		sunBad(w, "author.type must be business or user")
		return
	case req.Content == nil || req.Content.Type == "":
		sunBad(w, "content is required")
		return
	case req.Content.Type == "text" && (req.Content.Text == "" || len([]rune(req.Content.Text)) > 4096):
		sunBad(w, "content.text must be 1..4096 characters")
		return
	}
	if mb, _ := json.Marshal(req.Metadata); len(mb) > 4096 {
		sunBad(w, "metadata exceeds 4 KB")
		return
	}
	s.mu.Lock()
	if c.Full || len(c.Messages) >= 30000 {
		s.mu.Unlock()
		writeSunshineError(w, http.StatusLocked, 0)
		return
	}
	s.nextID++
	s.seq++
	m := Message{ID: fmt.Sprintf("m%023d", s.nextID), AuthorType: req.Author.Type, DisplayName: req.Author.DisplayName,
		AvatarURL: req.Author.AvatarURL, Subtypes: req.Author.Subtypes, Text: req.Content.Text, Metadata: req.Metadata,
		Received: s.opts.Now().UTC(), seq: s.seq}
	c.Messages = append(c.Messages, m)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"messages": []map[string]any{messageJSON(m)}})
}

// messageJSON is m as Sunshine's API returns it.
func messageJSON(m Message) map[string]any {
	author := map[string]any{"type": m.AuthorType}
	if m.DisplayName != "" {
		author["displayName"] = m.DisplayName
	}
	if m.AvatarURL != "" {
		author["avatarUrl"] = m.AvatarURL
	}
	if len(m.Subtypes) > 0 {
		author["subtypes"] = m.Subtypes
	}
	source := "api:conversations"
	if m.AuthorType == "user" {
		author["userId"] = "u-customer"
		source = "web"
	}
	out := map[string]any{"id": m.ID, "received": m.Received.UTC().Format(sunshineTime), "author": author,
		"content": map[string]any{"type": "text", "text": m.Text}, "source": map[string]any{"type": source}}
	if m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

// listMessages answers GET …/conversations/{id}/messages as Sunshine
// does: cursor pagination backwards from the newest page, a fixed page of
// 100 messages, oldest first within a page; page[before] (a message id)
// gives the page before it, page[after] the page after it (only one of
// them); meta.hasMore and meta.beforeCursor/afterCursor, links.prev/next.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sunshineRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	before, after := q.Get("page[before]"), q.Get("page[after]")
	if before != "" && after != "" {
		sunBad(w, "only one of page[before] and page[after] may be given")
		return
	}
	s.mu.Lock()
	all := append([]Message(nil), c.Messages...)
	s.mu.Unlock()
	index := func(id string) int {
		for i, m := range all {
			if m.ID == id {
				return i
			}
		}
		return -1
	}
	lo, hi := max(len(all)-sunshinePage, 0), len(all) // newest page
	switch {
	case before != "":
		i := index(before)
		if i < 0 {
			sunBad(w, "page[before] is not a message of this conversation")
			return
		}
		lo, hi = max(i-sunshinePage, 0), i
	case after != "":
		i := index(after)
		if i < 0 {
			sunBad(w, "page[after] is not a message of this conversation")
			return
		}
		lo, hi = i+1, min(i+1+sunshinePage, len(all))
	}
	page := make([]map[string]any, 0, hi-lo)
	for _, m := range all[lo:hi] {
		page = append(page, messageJSON(m))
	}
	base := "/v2/apps/" + c.AppID + "/conversations/" + c.ID + "/messages"
	meta, links := map[string]any{}, map[string]any{}
	if after == "" {
		meta["hasMore"] = lo > 0
	} else {
		meta["hasMore"] = hi < len(all)
	}
	if lo > 0 && hi > lo {
		meta["beforeCursor"] = all[lo].ID
		links["prev"] = s.Sunshine.URL + base + "?page[before]=" + all[lo].ID
	}
	if hi < len(all) && hi > lo {
		meta["afterCursor"] = all[hi-1].ID
		links["next"] = s.Sunshine.URL + base + "?page[after]=" + all[hi-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": page, "meta": meta, "links": links})
}

func (s *Server) passControl(w http.ResponseWriter, r *http.Request) {
	c, body, ok := s.sunshineRequest(w, r)
	if !ok {
		return
	}
	var req struct {
		SwitchboardIntegration string         `json:"switchboardIntegration"`
		Metadata               map[string]any `json:"metadata"`
	}
	if json.Unmarshal(body, &req) != nil || req.SwitchboardIntegration == "" {
		sunBad(w, "switchboardIntegration is required")
		return
	}
	for k, v := range req.Metadata {
		switch v.(type) {
		case string, float64, bool:
		default:
			sunBad(w, "metadata."+k+" must be a string, number or boolean")
			return
		}
	}
	if mb, _ := json.Marshal(req.Metadata); len(mb) > 4096 {
		sunBad(w, "metadata exceeds 4 KB")
		return
	}
	s.mu.Lock()
	c.Control = req.SwitchboardIntegration
	c.PassControls = append(c.PassControls, req.Metadata)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *Server) releaseControl(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sunshineRequest(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	c.Control = ""
	c.Releases++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{})
}

// AddUserMessage adds a message the customer wrote to a Sunshine
// conversation, as if it arrived from their channel, and returns its id.
func (s *Server) AddUserMessage(convID, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.convs[convID]
	if c == nil {
		s.t.Errorf("zendesktest: no conversation %s", convID)
		return ""
	}
	s.nextID++
	s.seq++
	m := Message{ID: fmt.Sprintf("m%023d", s.nextID), AuthorType: "user", Text: text, Received: s.opts.Now().UTC(), seq: s.seq}
	c.Messages = append(c.Messages, m)
	return m.ID
}
