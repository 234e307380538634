package cloudchattest

import "net/http"

// messageJSON is a message as Chatwoot's conversation and message list
// endpoints return it (message_type as an integer, created_at in Unix
// seconds).
func (s *Server) messageJSON(c *Conversation, m Message) map[string]any {
	var sender any
	switch m.SenderType {
	case "AgentBot":
		sender = map[string]any{"id": m.SenderID, "name": "Bot", "type": "agent_bot"}
	case "User":
		sender = map[string]any{"id": m.SenderID, "name": "Agent", "type": "user"}
	}
	return map[string]any{
		"id": m.ID, "content": m.Content, "message_type": m.MessageType, "private": m.Private,
		"created_at": m.CreatedAt.Unix(), "conversation_id": c.ID, "inbox_id": c.InboxID,
		"account_id": s.opts.AccountID, "content_type": "text", "sender": sender, "sender_type": m.SenderType,
	}
}

// lastPublic is the messages[] of a conversation object: the last message
// that is neither private nor an activity.
func (s *Server) lastPublic(c *Conversation) []map[string]any {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if m := c.Messages[i]; !m.Private && m.MessageType != 2 {
			return []map[string]any{s.messageJSON(c, m)}
		}
	}
	return []map[string]any{}
}

// lastNonActivity is the last_non_activity_message of a conversation
// object: the last message that is not an activity, private notes
// included; null when there is none.
func (s *Server) lastNonActivity(c *Conversation) any {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if m := c.Messages[i]; m.MessageType != 2 {
			return s.messageJSON(c, m)
		}
	}
	return nil
}

// listMessages answers GET …/conversations/{id}/messages (user tokens
// only): the latest 20 messages, oldest first, as Chatwoot does without
// before/after.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conv(w, r)
	if c == nil {
		return
	}
	msgs := c.Messages
	if len(msgs) > 20 {
		msgs = msgs[len(msgs)-20:]
	}
	payload := make([]map[string]any, 0, len(msgs))
	for _, m := range msgs {
		payload = append(payload, s.messageJSON(c, m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"contact_last_seen_at": 0, "agent_last_seen_at": 0}, "payload": payload})
}
