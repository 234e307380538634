// Package hubspottest is a fake HubSpot for tests: a server that answers
// the endpoints the hubspot driver calls, as strictly as HubSpot's
// documented request bodies (bearer token, required fields, 404 for
// unknown threads and tickets), keeps threads, messages, tickets, owners,
// custom events and custom channels in memory, rate-limits with HubSpot's
// headers and 429 bodies, can be told to fail or stall
// (drivertest.VendorServer), and builds signed webhook deliveries.
package hubspottest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot"
)

// Defaults of a new Server.
const (
	// Token is the access token the server accepts.
	Token = "pat-na1-0f3c2d1e-7a6b-4c5d-9e8f-a1b2c3d4e5f6"
	// PortalID is the account's portal (hub) id.
	PortalID = 62515
	// AppID is the private app's id.
	AppID = 4242
	// BotUserID is the bot user's id; BotOwnerID its owner id.
	BotUserID  = 71260648
	BotOwnerID = 900001
	// AgentUserID is a human agent's user id; AgentOwnerID its owner id.
	AgentUserID  = 71260700
	AgentOwnerID = 900002
	// TeamID is a human team.
	TeamID = 5150
	// InboxID, ChannelID and ChannelAccountID of new threads.
	InboxID          = 1234
	ChannelID        = "1000"
	ChannelAccountID = "987654"
	// EventName is the custom event of the default handover flow;
	// events with it transfer to Transfer targets (see Transfer).
	EventName = "pe62515_handover_n2"
)

// Thread statuses.
const (
	StatusOpen   = "OPEN"
	StatusClosed = "CLOSED"
)

// Message is a message held by the server.
type Message struct {
	ID               string            `json:"id"`
	Type             string            `json:"type"`
	Text             string            `json:"text"`
	RichText         string            `json:"richText,omitempty"`
	Direction        string            `json:"direction"`
	Senders          []hubspot.Actor   `json:"senders"`
	Recipients       []hubspot.Actor   `json:"recipients"`
	ChannelID        string            `json:"channelId,omitempty"`
	ChannelAccountID string            `json:"channelAccountId,omitempty"`
	ThreadID         string            `json:"conversationsThreadId"`
	CreatedAt        string            `json:"createdAt"`
	Client           map[string]any    `json:"client"`
	TruncationStatus string            `json:"truncationStatus"`
	Attachments      []json.RawMessage `json:"attachments"`
	Status           map[string]string `json:"status,omitempty"`
	deliveryIDs      []hubspot.DeliveryIdentifier
}

// Thread is a conversation thread.
type Thread struct {
	ID         int64
	Status     string
	AssignedTo string // "A-<userId>" or ""
	TeamID     int64  // set by a transfer workflow
	InboxID    int64
	Messages   []*Message
	Tickets    []int64
	// HideTicket makes GET ?association=TICKET omit the ticket, as on the
	// older Inbox.
	HideTicket bool
}

// Ticket is a CRM ticket.
type Ticket struct {
	ID      int64
	OwnerID string
	Thread  int64
}

// CustomEvent is a custom behavioural event received at POST /events/v3/send.
type CustomEvent struct {
	EventName  string            `json:"eventName"`
	ObjectID   string            `json:"objectId"`
	Properties map[string]string `json:"properties"`
	UUID       string            `json:"uuid"`
	OccurredAt string            `json:"occurredAt"`
}

// Owner is a CRM owner.
type Owner struct {
	ID     string `json:"id"`
	UserID int64  `json:"userId"`
	Email  string `json:"email"`
	Type   string `json:"type"`
}

// Server is a fake HubSpot account.
type Server struct {
	*drivertest.VendorServer

	mu         sync.Mutex
	next       int64
	threads    map[int64]*Thread
	tickets    map[int64]*Ticket
	owners     []Owner
	users      map[int64]bool
	events     []CustomEvent
	transfers  map[string]helpdesk.Target
	deliveries map[string][]byte
	eventID    int64
	corr       atomic.Int64
	channels   *channelState
	dailyLeft  int
}

// NewServer starts a fake HubSpot with the bot user and one human agent
// (both owners), and one team. It is closed when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		next:       7788990000,
		threads:    map[int64]*Thread{},
		tickets:    map[int64]*Ticket{},
		users:      map[int64]bool{BotUserID: true, AgentUserID: true},
		transfers:  map[string]helpdesk.Target{EventName: {Kind: helpdesk.TargetGroup, ID: strconv.Itoa(TeamID)}},
		deliveries: map[string][]byte{},
		eventID:    100,
		dailyLeft:  hubspot.DailyFree,
		owners: []Owner{
			{ID: strconv.Itoa(BotOwnerID), UserID: BotUserID, Email: "bot@example.com", Type: "PERSON"},
			{ID: strconv.Itoa(AgentOwnerID), UserID: AgentUserID, Email: "agent@example.com", Type: "PERSON"},
		},
	}
	s.channels = newChannelState()
	s.VendorServer = drivertest.NewVendorServer(t, drivertest.VendorServerOptions{
		Authorize:  authorize,
		WriteError: s.writeError,
	})
	const base = "/conversations/v3/conversations/threads/{threadId}"
	s.Handle("GET "+base, s.getThread)
	s.Handle("PATCH "+base, s.patchThread)
	s.Handle("GET "+base+"/messages", s.listMessages)
	s.Handle("GET "+base+"/messages/{messageId}", s.getMessage)
	s.Handle("POST "+base+"/messages", s.postMessage)
	s.Handle("PUT /conversations/conversations/v3/threads/{threadId}/assignee", s.putAssignee)
	s.Handle("GET /crm/v3/owners", s.listOwners)
	s.Handle("PATCH /crm/v3/objects/tickets/{ticketId}", s.patchTicket)
	s.Handle("POST /events/v3/send", s.sendEvent)
	s.registerChannels()
	s.registerCheck()
	return s
}

// Config returns a driver configuration for this server, in agent mode,
// handing over to AgentUserID.
func (s *Server) Config(clientSecrets ...string) hubspot.Config {
	return hubspot.Config{
		BaseURL: s.URL, AccessToken: Token, ClientSecrets: clientSecrets,
		BotUserID: strconv.Itoa(BotUserID),
		Handover:  helpdesk.Target{Kind: helpdesk.TargetAgent, ID: strconv.Itoa(AgentUserID)},
	}
}

// Transfer sets what the workflow of eventName does when the event
// arrives: assign the ticket's thread to a team (clearing the agent) or
// to an agent. A new server transfers EventName to TeamID.
func (s *Server) Transfer(eventName string, to helpdesk.Target) {
	s.mu.Lock()
	s.transfers[eventName] = to
	s.mu.Unlock()
}

// NewThread opens a thread assigned to the bot, with a ticket and a first
// customer message, and returns its id.
func (s *Server) NewThread(text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	th := &Thread{ID: s.next, Status: StatusOpen, AssignedTo: "A-" + strconv.Itoa(BotUserID), InboxID: InboxID}
	s.threads[th.ID] = th
	s.next++
	tk := &Ticket{ID: s.next, OwnerID: strconv.Itoa(BotOwnerID), Thread: th.ID}
	s.tickets[tk.ID] = tk
	th.Tickets = append(th.Tickets, tk.ID)
	s.addCustomerMessage(th, text)
	return th.ID
}

// AddTicket associates one more ticket with thread (as the older Inbox's
// workflows may) and returns its id. With hide, the API no longer reports
// the thread's ticket (?association=TICKET gives none).
func (s *Server) AddTicket(thread int64, hide bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	tk := &Ticket{ID: s.next, Thread: thread}
	s.tickets[tk.ID] = tk
	if th := s.threads[thread]; th != nil {
		th.Tickets = append(th.Tickets, tk.ID)
		th.HideTicket = th.HideTicket || hide
	}
	return tk.ID
}

// Thread returns a copy of thread id.
func (s *Server) Thread(id int64) (Thread, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	th, ok := s.threads[id]
	if !ok {
		return Thread{}, false
	}
	cp := *th
	cp.Messages = slices.Clone(th.Messages)
	cp.Tickets = slices.Clone(th.Tickets)
	return cp, true
}

// Ticket returns a copy of ticket id.
func (s *Server) Ticket(id int64) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tk, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return *tk, true
}

// Events returns the custom events received, in order.
func (s *Server) Events() []CustomEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// SetDailyRemaining sets what X-HubSpot-RateLimit-Daily-Remaining reports;
// at 0 every request is refused with the DAILY policy.
func (s *Server) SetDailyRemaining(n int) {
	s.mu.Lock()
	s.dailyLeft = n
	s.mu.Unlock()
}

func (s *Server) newID() string {
	s.next++
	return strconv.FormatInt(s.next, 10)
}

func (s *Server) addCustomerMessage(th *Thread, text string) *Message {
	di := hubspot.DeliveryIdentifier{Type: "HS_EMAIL_ADDRESS", Value: "customer@example.com"}
	m := &Message{
		ID: s.newID(), Type: hubspot.TypeMessage, Text: text, RichText: "<p>" + text + "</p>", Direction: "INCOMING",
		Senders:    []hubspot.Actor{{ActorID: "V-555", Name: "Ana Customer", DeliveryIdentifier: &di}},
		Recipients: []hubspot.Actor{}, ChannelID: ChannelID, ChannelAccountID: ChannelAccountID,
		ThreadID: strconv.FormatInt(th.ID, 10), CreatedAt: time.Now().UTC().Format(time.RFC3339Nano),
		Client: map[string]any{"clientType": "HUBSPOT"}, TruncationStatus: "NOT_TRUNCATED", Attachments: []json.RawMessage{},
	}
	th.Messages = append(th.Messages, m)
	return m
}

func (s *Server) addBotMessage(th *Thread, typ, text string, recipients []hubspot.Recipient) *Message {
	m := &Message{
		ID: s.newID(), Type: typ, Text: text, Direction: "OUTGOING",
		Senders:  []hubspot.Actor{{ActorID: "A-" + strconv.Itoa(BotUserID), Name: "Bot"}},
		ThreadID: strconv.FormatInt(th.ID, 10), CreatedAt: time.Now().UTC().Format(time.RFC3339Nano),
		Client: map[string]any{"clientType": "INTEGRATION", "integrationAppId": AppID}, TruncationStatus: "NOT_TRUNCATED",
		Attachments: []json.RawMessage{}, Recipients: []hubspot.Actor{},
	}
	if typ == hubspot.TypeMessage {
		m.ChannelID, m.ChannelAccountID = ChannelID, ChannelAccountID
		for _, r := range recipients {
			a := hubspot.Actor{ActorID: r.ActorID, Name: r.Name}
			if len(r.DeliveryIdentifiers) > 0 {
				a.DeliveryIdentifier = &r.DeliveryIdentifiers[0]
			}
			m.Recipients = append(m.Recipients, a)
		}
	}
	th.Messages = append(th.Messages, m)
	return m
}

// Event is one webhook event for a delivery.
type Event struct {
	EventID          int64  `json:"eventId"`
	SubscriptionID   int64  `json:"subscriptionId"`
	PortalID         int64  `json:"portalId"`
	AppID            int64  `json:"appId"`
	OccurredAt       int64  `json:"occurredAt"`
	SubscriptionType string `json:"subscriptionType"`
	AttemptNumber    int    `json:"attemptNumber"`
	ObjectID         int64  `json:"objectId"`
	PropertyName     string `json:"propertyName,omitempty"`
	PropertyValue    string `json:"propertyValue,omitempty"`
	ChangeSource     string `json:"changeSource,omitempty"`
	MessageID        string `json:"messageId,omitempty"`
	MessageType      string `json:"messageType,omitempty"`
	ChangeFlag       string `json:"changeFlag,omitempty"`
}

// NewMessageEvent returns a conversation.newMessage event for message.
func (s *Server) NewMessageEvent(thread int64, messageID, messageType string) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventID++
	return Event{EventID: s.eventID, SubscriptionID: 55, PortalID: PortalID, AppID: AppID, OccurredAt: time.Now().UnixMilli(),
		SubscriptionType: hubspot.EventNewMessage, ObjectID: thread, MessageID: messageID, MessageType: messageType, ChangeFlag: "NEW_MESSAGE"}
}

// PropertyChangeEvent returns a conversation.propertyChange event.
func (s *Server) PropertyChangeEvent(thread int64, name, value string) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventID++
	return Event{EventID: s.eventID, SubscriptionID: 56, PortalID: PortalID, AppID: AppID, OccurredAt: time.Now().UnixMilli(),
		SubscriptionType: hubspot.EventPropertyChange, ObjectID: thread, PropertyName: name, PropertyValue: value, ChangeSource: "USER"}
}

// Batch encodes events as a delivery body.
func Batch(events ...Event) []byte {
	b, err := json.Marshal(events)
	if err != nil {
		panic(err)
	}
	return b
}

// CustomerDelivery returns the body of the newMessage delivery reporting
// that the customer wrote text in thread. The first call adds the
// message; a call with the same arguments returns the same body again,
// as HubSpot's redelivery of one event.
func (s *Server) CustomerDelivery(thread int64, text string) []byte {
	return s.delivery("customer", thread, text, func(th *Thread) *Message { return s.addCustomerMessage(th, text) })
}

// BotDelivery returns the newMessage delivery of a message the bot posted
// with text (the echo HubSpot sends back).
func (s *Server) BotDelivery(thread int64, text string) []byte {
	return s.delivery("bot", thread, text, func(th *Thread) *Message {
		for _, m := range slices.Backward(th.Messages) {
			if m.Text == text && m.Direction == "OUTGOING" {
				return m
			}
		}
		return s.addBotMessage(th, hubspot.TypeMessage, text, nil)
	})
}

func (s *Server) delivery(kind string, thread int64, text string, add func(*Thread) *Message) []byte {
	key := fmt.Sprintf("%s/%d/%q", kind, thread, text)
	s.mu.Lock()
	if b, ok := s.deliveries[key]; ok {
		s.mu.Unlock()
		return b
	}
	th, ok := s.threads[thread]
	if !ok {
		th = &Thread{ID: thread, Status: StatusOpen, InboxID: InboxID}
		s.threads[thread] = th
	}
	m := add(th)
	s.mu.Unlock()
	body := Batch(s.NewMessageEvent(thread, m.ID, m.Type))
	s.mu.Lock()
	s.deliveries[key] = body
	s.mu.Unlock()
	return body
}

// writeError writes HubSpot's error answer.
func (s *Server) writeError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	category := map[int]string{
		http.StatusBadRequest:   "VALIDATION_ERROR",
		http.StatusUnauthorized: "INVALID_AUTHENTICATION",
		http.StatusForbidden:    "MISSING_SCOPES",
		http.StatusNotFound:     "OBJECT_NOT_FOUND",
		http.StatusConflict:     "CONFLICT",
	}[status]
	if category == "" {
		category = "INTERNAL_ERROR"
	}
	if status == http.StatusTooManyRequests {
		// A wait beyond the 10-second window is the daily limit.
		policy := hubspot.PolicyTenSecondly
		if retryAfter > hubspot.Window {
			policy = hubspot.PolicyDaily
		}
		s.writeRateLimited(w, policy)
		return
	}
	s.writeErrorBody(w, status, category, http.StatusText(status))
}

func (s *Server) writeRateLimited(w http.ResponseWriter, policy string) {
	s.mu.Lock()
	daily := s.dailyLeft
	s.mu.Unlock()
	msg := "You have reached your ten_secondly_rolling limit."
	if policy == hubspot.PolicyDaily {
		daily = 0
		msg = "You have reached your daily limit."
	}
	h := w.Header()
	h.Set(hubspot.HeaderMax, strconv.Itoa(hubspot.BurstFree))
	h.Set(hubspot.HeaderRemaining, "0")
	h.Set(hubspot.HeaderInterval, "10000")
	h.Set(hubspot.HeaderDaily, strconv.Itoa(hubspot.DailyFree))
	h.Set(hubspot.HeaderDailyRemaining, strconv.Itoa(daily))
	id := s.corrID()
	s.writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"status": "error", "message": msg, "errorType": "RATE_LIMIT", "correlationId": id, "policyName": policy, "requestId": id,
	})
}

func (s *Server) writeErrorBody(w http.ResponseWriter, status int, category, message string) {
	s.writeJSON(w, status, map[string]any{"status": "error", "message": message, "correlationId": s.corrID(), "category": category})
}

func (s *Server) corrID() string {
	return fmt.Sprintf("0c4e3f2a-0000-4000-8000-%012d", s.corr.Add(1))
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	if h.Get(hubspot.RequestIDHeader) == "" {
		h.Set(hubspot.RequestIDHeader, s.corrID())
	}
	if h.Get(hubspot.HeaderRemaining) == "" {
		s.mu.Lock()
		if s.dailyLeft > 0 {
			s.dailyLeft--
		}
		daily := s.dailyLeft
		s.mu.Unlock()
		h.Set(hubspot.HeaderMax, strconv.Itoa(hubspot.BurstFree))
		h.Set(hubspot.HeaderRemaining, strconv.Itoa(hubspot.BurstFree-1))
		h.Set(hubspot.HeaderInterval, "10000")
		h.Set(hubspot.HeaderDaily, strconv.Itoa(hubspot.DailyFree))
		h.Set(hubspot.HeaderDailyRemaining, strconv.Itoa(daily))
	}
	h.Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) invalid(w http.ResponseWriter, message string) {
	s.writeErrorBody(w, http.StatusBadRequest, "VALIDATION_ERROR", message)
}

func (s *Server) notFound(w http.ResponseWriter, what string) {
	s.writeErrorBody(w, http.StatusNotFound, "OBJECT_NOT_FOUND", what+" not found")
}

// limited answers the daily 429 once the daily quota is spent.
func (s *Server) limited(w http.ResponseWriter) bool {
	s.mu.Lock()
	spent := s.dailyLeft <= 0
	s.mu.Unlock()
	if spent {
		s.writeRateLimited(w, hubspot.PolicyDaily)
	}
	return spent
}

func (s *Server) thread(w http.ResponseWriter, r *http.Request) *Thread {
	if s.limited(w) {
		return nil
	}
	id, err := strconv.ParseInt(r.PathValue("threadId"), 10, 64)
	s.mu.Lock()
	th := s.threads[id]
	s.mu.Unlock()
	if err != nil || th == nil {
		s.notFound(w, "Thread")
		return nil
	}
	return th
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		s.invalid(w, "Invalid input JSON: "+err.Error())
		return false
	}
	return true
}

type threadJSON struct {
	ID                       string            `json:"id"`
	Status                   string            `json:"status"`
	AssignedTo               string            `json:"assignedTo,omitempty"`
	InboxID                  string            `json:"inboxId"`
	OriginalChannelID        string            `json:"originalChannelId"`
	OriginalChannelAccountID string            `json:"originalChannelAccountId"`
	Archived                 bool              `json:"archived"`
	Spam                     bool              `json:"spam"`
	CreatedAt                string            `json:"createdAt"`
	ThreadAssociations       map[string]string `json:"threadAssociations,omitempty"`
}

func (s *Server) threadJSON(th *Thread, withTicket bool) threadJSON {
	out := threadJSON{ID: strconv.FormatInt(th.ID, 10), Status: th.Status, AssignedTo: th.AssignedTo,
		InboxID: strconv.FormatInt(th.InboxID, 10), OriginalChannelID: ChannelID, OriginalChannelAccountID: ChannelAccountID,
		CreatedAt: time.Now().UTC().Format(time.RFC3339)}
	if withTicket && !th.HideTicket && len(th.Tickets) > 0 {
		out.ThreadAssociations = map[string]string{"associatedTicketId": strconv.FormatInt(th.Tickets[0], 10)}
	}
	return out
}

// getThread: GET .../threads/{threadId}?association=TICKET.
func (s *Server) getThread(w http.ResponseWriter, r *http.Request) {
	th := s.thread(w, r)
	if th == nil {
		return
	}
	if a := r.URL.Query().Get("association"); a != "" && a != "TICKET" {
		s.invalid(w, "association must be TICKET")
		return
	}
	s.mu.Lock()
	out := s.threadJSON(th, r.URL.Query().Get("association") == "TICKET")
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, out)
}

// patchThread: PATCH .../threads/{threadId} {"status":"OPEN"|"CLOSED"}
// or {"archived":false}; nothing else (PATCH cannot assign).
func (s *Server) patchThread(w http.ResponseWriter, r *http.Request) {
	th := s.thread(w, r)
	if th == nil {
		return
	}
	var in map[string]json.RawMessage
	if !s.decode(w, r, &in) {
		return
	}
	var status string
	for k, v := range in {
		switch k {
		case "status":
			if json.Unmarshal(v, &status) != nil || (status != StatusOpen && status != StatusClosed) {
				s.invalid(w, "status must be OPEN or CLOSED")
				return
			}
		case "archived":
		default:
			s.invalid(w, "Unrecognized field "+strconv.Quote(k))
			return
		}
	}
	s.mu.Lock()
	if status != "" {
		th.Status = status
	}
	out := s.threadJSON(th, false)
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, out)
}

// Message history paging of the fake: HubSpot's default page size is not
// published, so the fake uses a small one to make clients page.
const (
	DefaultMessagePage = 20
	MaxMessagePage     = 500
)

// listMessages: GET .../threads/{threadId}/messages?sort=&limit=&after=,
// the messages stored (those a failed send processed included), newest
// first by default ("-createdAt", as HubSpot's reference gives it) or
// oldest first with sort=createdAt, paged with paging.next.after.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	th := s.thread(w, r)
	if th == nil {
		return
	}
	q := r.URL.Query()
	desc := true
	switch q.Get("sort") {
	case "", "-createdAt":
	case "createdAt":
		desc = false
	default:
		s.invalid(w, "sort must be createdAt or -createdAt")
		return
	}
	limit := DefaultMessagePage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.invalid(w, "limit must be a positive integer")
			return
		}
		limit = min(n, MaxMessagePage)
	}
	from := 0
	if v := q.Get("after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.invalid(w, "after is not a paging cursor of this list")
			return
		}
		from = n
	}
	s.mu.Lock()
	msgs := make([]Message, 0, len(th.Messages))
	for _, m := range th.Messages {
		msgs = append(msgs, *m)
	}
	s.mu.Unlock()
	if desc {
		slices.Reverse(msgs)
	}
	out := map[string]any{"results": []Message{}}
	if from < len(msgs) {
		end := min(from+limit, len(msgs))
		out["results"] = msgs[from:end]
		if end < len(msgs) {
			out["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(end)}}
		}
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	th := s.thread(w, r)
	if th == nil {
		return
	}
	id := r.PathValue("messageId")
	s.mu.Lock()
	var found *Message
	for _, m := range th.Messages {
		if m.ID == id {
			cp := *m
			found = &cp
		}
	}
	s.mu.Unlock()
	if found == nil {
		s.notFound(w, "Message")
		return
	}
	s.writeJSON(w, http.StatusOK, found)
}

// sendBody is the documented send-message body. Pointers tell a missing
// field from an empty one.
type sendBody struct {
	Type             *string              `json:"type"`
	Text             *string              `json:"text"`
	RichText         *string              `json:"richText"`
	Subject          *string              `json:"subject"`
	SenderActorID    *string              `json:"senderActorId"`
	ChannelID        *string              `json:"channelId"`
	ChannelAccountID *string              `json:"channelAccountId"`
	Recipients       *[]hubspot.Recipient `json:"recipients"`
	Attachments      *[]json.RawMessage   `json:"attachments"`
}

// postMessage: POST .../threads/{threadId}/messages. Required: type,
// text, attachments; for MESSAGE also senderActorId (an agent actor of an
// existing user), channelId, channelAccountId and recipients, each with
// deliveryIdentifiers.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	th := s.thread(w, r)
	if th == nil {
		return
	}
	var in sendBody
	if !s.decode(w, r, &in) {
		return
	}
	switch {
	case in.Type == nil || (*in.Type != hubspot.TypeMessage && *in.Type != hubspot.TypeComment):
		s.invalid(w, "type must be MESSAGE or COMMENT")
		return
	case in.Text == nil || strings.TrimSpace(*in.Text) == "":
		s.invalid(w, "text is required")
		return
	case in.Attachments == nil:
		s.invalid(w, "attachments is required")
		return
	}
	var rcpts []hubspot.Recipient
	if *in.Type == hubspot.TypeMessage {
		switch {
		case in.SenderActorID == nil || !s.agentActor(*in.SenderActorID):
			s.invalid(w, "senderActorId must be the actor id of an agent (A-<userId>)")
			return
		case in.ChannelID == nil || *in.ChannelID != ChannelID:
			s.invalid(w, "channelId is required and must be the thread's channel")
			return
		case in.ChannelAccountID == nil || *in.ChannelAccountID != ChannelAccountID:
			s.invalid(w, "channelAccountId is required and must be the thread's channel account")
			return
		case in.Recipients == nil || len(*in.Recipients) == 0:
			s.invalid(w, "recipients is required")
			return
		}
		for _, rc := range *in.Recipients {
			if len(rc.DeliveryIdentifiers) == 0 || rc.DeliveryIdentifiers[0].Type == "" || rc.DeliveryIdentifiers[0].Value == "" {
				s.invalid(w, "each recipient needs deliveryIdentifiers")
				return
			}
		}
		rcpts = *in.Recipients
	}
	s.mu.Lock()
	m := s.addBotMessage(th, *in.Type, *in.Text, rcpts)
	if in.RichText != nil {
		m.RichText = *in.RichText
	}
	cp := *m
	s.mu.Unlock()
	s.writeJSON(w, http.StatusCreated, cp)
}

func (s *Server) agentActor(actor string) bool {
	id, err := strconv.ParseInt(strings.TrimPrefix(actor, "A-"), 10, 64)
	if err != nil || !strings.HasPrefix(actor, "A-") {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[id]
}

// putAssignee: PUT /conversations/conversations/v3/threads/{threadId}/assignee
// {"actorId":"A-<userId>"}.
func (s *Server) putAssignee(w http.ResponseWriter, r *http.Request) {
	th := s.thread(w, r)
	if th == nil {
		return
	}
	var in struct {
		ActorID *string `json:"actorId"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if in.ActorID == nil || !s.agentActor(*in.ActorID) {
		s.invalid(w, "actorId must be the actor id of an agent (A-<userId>)")
		return
	}
	s.mu.Lock()
	th.AssignedTo = *in.ActorID
	out := s.threadJSON(th, false)
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, out)
}

// listOwners: GET /crm/v3/owners?limit=&after=, one owner per page so
// that paging is exercised.
func (s *Server) listOwners(w http.ResponseWriter, r *http.Request) {
	if s.limited(w) {
		return
	}
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	s.mu.Lock()
	owners := slices.Clone(s.owners)
	s.mu.Unlock()
	out := map[string]any{"results": []Owner{}}
	if after < len(owners) {
		out["results"] = owners[after : after+1]
		if after+1 < len(owners) {
			out["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(after + 1)}}
		}
	}
	s.writeJSON(w, http.StatusOK, out)
}

// patchTicket: PATCH /crm/v3/objects/tickets/{ticketId}
// {"properties":{"hubspot_owner_id":"<ownerId>"}}; an owner id that is not
// an owner's is refused, as HubSpot's validation does. The owner's user
// becomes the thread's assignee (Help Desk keeps them in step).
func (s *Server) patchTicket(w http.ResponseWriter, r *http.Request) {
	if s.limited(w) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("ticketId"), 10, 64)
	s.mu.Lock()
	tk := s.tickets[id]
	s.mu.Unlock()
	if tk == nil {
		s.notFound(w, "Ticket")
		return
	}
	var in struct {
		Properties map[string]string `json:"properties"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if in.Properties == nil {
		s.invalid(w, "properties is required")
		return
	}
	s.mu.Lock()
	if owner, ok := in.Properties["hubspot_owner_id"]; ok {
		i := slices.IndexFunc(s.owners, func(o Owner) bool { return o.ID == owner })
		if i < 0 {
			s.mu.Unlock()
			s.writeErrorBody(w, http.StatusBadRequest, "VALIDATION_ERROR", owner+" is not a valid owner id")
			return
		}
		tk.OwnerID = owner
		if th := s.threads[tk.Thread]; th != nil {
			th.AssignedTo = "A-" + strconv.FormatInt(s.owners[i].UserID, 10)
			th.TeamID = 0
		}
	}
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, map[string]any{"id": strconv.FormatInt(tk.ID, 10), "properties": in.Properties})
}

// sendEvent: POST /events/v3/send {eventName, properties (required),
// objectId, email, utk, occurredAt, uuid} → 204. An event with a
// Transfer runs its workflow: the ticket's thread goes to the target.
func (s *Server) sendEvent(w http.ResponseWriter, r *http.Request) {
	if s.limited(w) {
		return
	}
	var in struct {
		EventName  *string            `json:"eventName"`
		Properties *map[string]string `json:"properties"`
		ObjectID   json.Number        `json:"objectId"`
		UUID       string             `json:"uuid"`
		OccurredAt string             `json:"occurredAt"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if in.EventName == nil || !strings.HasPrefix(*in.EventName, "pe") {
		s.invalid(w, "eventName is required (pe<portalId>_<name>)")
		return
	}
	if in.Properties == nil {
		s.invalid(w, "properties is required")
		return
	}
	s.mu.Lock()
	for _, e := range s.events {
		if in.UUID != "" && e.UUID == in.UUID && e.EventName == *in.EventName {
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	s.events = append(s.events, CustomEvent{EventName: *in.EventName, ObjectID: string(in.ObjectID), Properties: *in.Properties, UUID: in.UUID, OccurredAt: in.OccurredAt})
	if to, ok := s.transfers[*in.EventName]; ok {
		id, _ := in.ObjectID.Int64()
		if tk := s.tickets[id]; tk != nil {
			if th := s.threads[tk.Thread]; th != nil {
				if to.Kind == helpdesk.TargetGroup {
					th.TeamID, _ = strconv.ParseInt(to.ID, 10, 64)
					th.AssignedTo = ""
				} else {
					th.AssignedTo = "A-" + to.ID
				}
			}
		}
	}
	s.mu.Unlock()
	w.Header().Set(hubspot.RequestIDHeader, s.corrID())
	w.WriteHeader(http.StatusNoContent)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
