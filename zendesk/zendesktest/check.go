package zendesktest

import (
	"net/http"
	"strconv"
	"strings"
)

// The endpoints zendesk.Client.Check reads: who the credentials sign in
// as, a user, a group, and the Sunshine app. Shapes follow Zendesk's Users,
// Groups and Sunshine Conversations App API references.
func (s *Server) checkRoutes() {
	s.handleSupport("GET /api/v2/users/me", s.getMe)
	s.handleSupport("GET /api/v2/users/{id}", s.getUser)
	s.handleSupport("GET /api/v2/groups/{id}", s.getGroup)
	s.Sunshine.Handle("GET /v2/apps/{app}", s.getApp)
}

// user returns the fake's user id, or nil: the bot and the human agent
// are agents (the bot an admin unless Options.NotAdmin), the requester an
// end-user.
func (s *Server) user(id int64) map[string]any {
	role := ""
	switch {
	case id == s.opts.BotUserID && !s.opts.NotAdmin:
		role = "admin"
	case s.agents[id]:
		role = "agent"
	case id == s.opts.RequesterID:
		role = "end-user"
	default:
		return nil
	}
	email := "user" + strconv.FormatInt(id, 10) + "@example.com"
	if id == s.opts.BotUserID {
		email = s.opts.Email
	}
	return map[string]any{"id": id, "name": "User " + strconv.FormatInt(id, 10), "email": email, "role": role, "active": true, "suspended": false}
}

// getMe answers as the bot user: the fake's credentials are the bot's.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u := s.user(s.opts.BotUserID)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("id"), ".json"), 10, 64)
	s.mu.Lock()
	u := s.user(id)
	s.mu.Unlock()
	if err != nil || u == nil {
		s.writeSupportError(w, http.StatusNotFound, 0)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("id"), ".json"), 10, 64)
	s.mu.Lock()
	g := s.groups[id]
	var name string
	if g != nil {
		name = g.Name
	}
	s.mu.Unlock()
	if err != nil || g == nil {
		s.writeSupportError(w, http.StatusNotFound, 0)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"group": map[string]any{"id": id, "name": name, "deleted": false, "default": false}})
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("app") != s.opts.SunshineAppID {
		writeSunshineError(w, http.StatusNotFound, 0)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"app": map[string]any{"id": s.opts.SunshineAppID, "displayName": "Fake app", "settings": map[string]any{}}})
}
