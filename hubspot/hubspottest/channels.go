package hubspottest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/hubspot/customchannel"
)

// DeveloperAPIKey is the developer key that registers custom channels.
const DeveloperAPIKey = "dev-key-6d1f0c2e-93b7-4a55-8e21-0b9d3f4c7a18"

// authorize accepts the bearer token, and the developer key with the app
// id on channel registration.
func authorize(r *http.Request) bool {
	if r.Method == http.MethodPost && r.URL.Path == "/conversations/v3/custom-channels" {
		q := r.URL.Query()
		return q.Get("hapikey") == DeveloperAPIKey && q.Get("appId") == strconv.Itoa(AppID)
	}
	return r.Header.Get("Authorization") == "Bearer "+Token
}

// Channel is a registered custom channel.
type Channel struct {
	ID         string
	Name       string
	WebhookURL string
	Accounts   []ChannelAccount
	Messages   []ChannelMessage
}

// ChannelAccount is a connected channel account.
type ChannelAccount struct {
	ID, Name, InboxID string
	Authorized        bool
}

// ChannelMessage is a published message.
type ChannelMessage struct {
	ID            string
	Text          string
	Direction     string
	ThreadID      string // HubSpot's thread
	Integration   string // integrationThreadId
	IdempotencyID string
	Status        string
	Error         string
}

type channelState struct {
	channels map[string]*Channel
}

func newChannelState() *channelState { return &channelState{channels: map[string]*Channel{}} }

func (s *Server) registerChannels() {
	const base = "/conversations/v3/custom-channels"
	s.Handle("POST "+base, s.registerChannel)
	s.Handle("POST "+base+"/{channelId}/channel-accounts", s.connectAccount)
	s.Handle("POST "+base+"/{channelId}/messages", s.publish)
	s.Handle("PATCH "+base+"/{channelId}/messages/{messageId}", s.updateStatus)
}

// Channel returns a copy of channel id.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels.channels[id]
	if !ok {
		return Channel{}, false
	}
	cp := *ch
	cp.Accounts = slices.Clone(ch.Accounts)
	cp.Messages = slices.Clone(ch.Messages)
	return cp, true
}

// AgentReply returns the OUTGOING_CHANNEL_MESSAGE_CREATED webhook body of
// an agent replying text in the HubSpot thread of channel's account.
func (s *Server) AgentReply(channelID, accountID, threadID, text string) []byte {
	s.mu.Lock()
	id := s.newID()
	s.mu.Unlock()
	body, err := json.Marshal(map[string]any{
		"type": customchannel.TypeOutgoingMessage, "portalId": PortalID, "channelId": json.Number(channelID),
		"message": map[string]any{
			"id": id, "text": text, "conversationsThreadId": threadID, "channelAccountId": accountID,
			"recipients": []map[string]any{{"deliveryIdentifier": map[string]string{"type": "CHANNEL_SPECIFIC_OPAQUE_ID", "value": "user-42"}}},
			"senders":    []map[string]any{{"actorId": "A-" + strconv.Itoa(AgentUserID), "name": "Agent"}},
		},
	})
	if err != nil {
		panic(err)
	}
	return body
}

func (s *Server) channel(w http.ResponseWriter, r *http.Request) *Channel {
	s.mu.Lock()
	ch := s.channels.channels[r.PathValue("channelId")]
	s.mu.Unlock()
	if ch == nil {
		s.notFound(w, "Channel")
	}
	return ch
}

// registerChannel: POST /conversations/v3/custom-channels?hapikey=&appId=
// {name (required), capabilities (required), webhookUrl, ...}.
func (s *Server) registerChannel(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name         *string         `json:"name"`
		Capabilities json.RawMessage `json:"capabilities"`
		WebhookURL   string          `json:"webhookUrl"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if in.Name == nil || *in.Name == "" || len(in.Capabilities) == 0 {
		s.invalid(w, "name and capabilities are required")
		return
	}
	s.mu.Lock()
	ch := &Channel{ID: s.newID(), Name: *in.Name, WebhookURL: in.WebhookURL}
	s.channels.channels[ch.ID] = ch
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, map[string]any{"id": ch.ID, "name": ch.Name})
}

// connectAccount: POST .../{channelId}/channel-accounts {name, inboxId,
// authorized} (all required).
func (s *Server) connectAccount(w http.ResponseWriter, r *http.Request) {
	ch := s.channel(w, r)
	if ch == nil {
		return
	}
	var in struct {
		Name       *string      `json:"name"`
		InboxID    *json.Number `json:"inboxId"`
		Authorized *bool        `json:"authorized"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if in.Name == nil || in.InboxID == nil || in.Authorized == nil {
		s.invalid(w, "name, inboxId and authorized are required")
		return
	}
	s.mu.Lock()
	a := ChannelAccount{ID: s.newID(), Name: *in.Name, InboxID: string(*in.InboxID), Authorized: *in.Authorized}
	ch.Accounts = append(ch.Accounts, a)
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "name": a.Name, "inboxId": a.InboxID, "authorized": a.Authorized})
}

// publish: POST .../{channelId}/messages. Required: text,
// messageDirection, senders, recipients (each with a deliveryIdentifier),
// channelAccountId (connected), timestamp, attachments. A repeated
// integrationIdempotencyId returns the first message.
func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	ch := s.channel(w, r)
	if ch == nil {
		return
	}
	var in struct {
		Text             *string                `json:"text"`
		Direction        *string                `json:"messageDirection"`
		Senders          *[]customchannel.Party `json:"senders"`
		Recipients       *[]customchannel.Party `json:"recipients"`
		ChannelAccountID *string                `json:"channelAccountId"`
		Timestamp        *time.Time             `json:"timestamp"`
		Attachments      *[]json.RawMessage     `json:"attachments"`
		IntegrationID    string                 `json:"integrationThreadId"`
		IdempotencyID    string                 `json:"integrationIdempotencyId"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	switch {
	case in.Text == nil, in.Direction == nil, in.Senders == nil, in.Recipients == nil, in.ChannelAccountID == nil, in.Timestamp == nil, in.Attachments == nil:
		s.invalid(w, "text, messageDirection, senders, recipients, channelAccountId, timestamp and attachments are required")
		return
	case *in.Direction != customchannel.Incoming && *in.Direction != customchannel.Outgoing:
		s.invalid(w, "messageDirection must be INCOMING or OUTGOING")
		return
	}
	for _, p := range append(slices.Clone(*in.Senders), *in.Recipients...) {
		if p.DeliveryIdentifier.Type == "" || p.DeliveryIdentifier.Value == "" {
			s.invalid(w, "each sender and recipient needs a deliveryIdentifier")
			return
		}
	}
	s.mu.Lock()
	if !slices.ContainsFunc(ch.Accounts, func(a ChannelAccount) bool { return a.ID == *in.ChannelAccountID }) {
		s.mu.Unlock()
		s.invalid(w, "channelAccountId is not connected to this channel")
		return
	}
	if in.IdempotencyID != "" {
		if i := slices.IndexFunc(ch.Messages, func(m ChannelMessage) bool { return m.IdempotencyID == in.IdempotencyID }); i >= 0 {
			m := ch.Messages[i]
			s.mu.Unlock()
			s.writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "conversationsThreadId": m.ThreadID})
			return
		}
	}
	thread := ""
	for _, m := range ch.Messages {
		if in.IntegrationID != "" && m.Integration == in.IntegrationID {
			thread = m.ThreadID
		}
	}
	if thread == "" {
		s.next++
		th := &Thread{ID: s.next, Status: StatusOpen, InboxID: InboxID}
		s.threads[th.ID] = th
		thread = strconv.FormatInt(th.ID, 10)
	}
	m := ChannelMessage{ID: s.newID(), Text: *in.Text, Direction: *in.Direction, ThreadID: thread, Integration: in.IntegrationID, IdempotencyID: in.IdempotencyID}
	ch.Messages = append(ch.Messages, m)
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "conversationsThreadId": m.ThreadID})
}

// updateStatus: PATCH .../{channelId}/messages/{messageId}
// {statusType: SENT|FAILED|READ, errorMessage?}.
func (s *Server) updateStatus(w http.ResponseWriter, r *http.Request) {
	ch := s.channel(w, r)
	if ch == nil {
		return
	}
	var in struct {
		StatusType   string `json:"statusType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	switch in.StatusType {
	case customchannel.StatusSent, customchannel.StatusFailed, customchannel.StatusRead:
	default:
		s.invalid(w, "statusType must be SENT, FAILED or READ")
		return
	}
	id := r.PathValue("messageId")
	s.mu.Lock()
	i := slices.IndexFunc(ch.Messages, func(m ChannelMessage) bool { return m.ID == id })
	if i < 0 {
		// Agent replies are HubSpot's own messages: record their status.
		ch.Messages = append(ch.Messages, ChannelMessage{ID: id, Direction: customchannel.Outgoing})
		i = len(ch.Messages) - 1
	}
	ch.Messages[i].Status, ch.Messages[i].Error = in.StatusType, in.ErrorMessage
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": map[string]string{"statusType": in.StatusType}})
}
