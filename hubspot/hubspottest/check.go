package hubspottest

import (
	"net/http"
	"strconv"
)

// registerCheck serves the read hubspot.Client.Check makes besides the
// owners list: GET /settings/v3/users/teams, shaped as HubSpot's Settings
// User Provisioning API documents it ({"results":[{"id","name","userIds",
// "secondaryUserIds"}]}). TeamID holds the human agent.
func (s *Server) registerCheck() {
	s.Handle("GET /settings/v3/users/teams", func(w http.ResponseWriter, r *http.Request) {
		if s.limited(w) {
			return
		}
		s.writeJSON(w, http.StatusOK, map[string]any{"results": []map[string]any{{
			"id": strconv.Itoa(TeamID), "name": "Level 2",
			"userIds": []string{strconv.Itoa(AgentUserID)}, "secondaryUserIds": []string{},
		}}})
	})
}
