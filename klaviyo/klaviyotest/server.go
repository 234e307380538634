// Package klaviyotest is a fake Klaviyo for tests: a server on the shared
// fake-vendor base (drivertest.VendorServer) that answers the endpoints the
// klaviyo package calls as strictly as Klaviyo does — the private API key,
// the revision header, the JSON:API media type and bodies, events
// deduplicated on profile + metric + unique_id (the event time in seconds
// when no unique_id is sent), profiles, SMS conversations and their
// messages, webhook topics, and the tiered fixed-window rate limits with
// RateLimit-* headers on success and only Retry-After on a 429 — and builds
// signed system-webhook deliveries. It can be told to fail, stall or
// rate-limit, and counts requests.
//
// Like Klaviyo, it has no endpoint listing a conversation's messages: a
// client cannot read back whether a text arrived. With injected faults
// (drivertest.FaultPlan) a text failed after processing is stored, one
// failed before is not; Outbound shows which, for tests only.
package klaviyotest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/klaviyo"
)

// Defaults of a new Server.
const (
	// APIKey is the private key the server accepts.
	APIKey = "pk_test_5e0c1f2a9b7d4c3e8f6a"
	// AccountID is the fake account's id.
	AccountID = "XyZ123"
	// WebhookID is the id of the system webhook whose deliveries the
	// server builds.
	WebhookID = "01JWEBHOOK0000000000000001"
	// SendingNumber is the account's SMS number.
	SendingNumber = "+15005550006"
)

// Message directions in a conversation.
const (
	Inbound  = "inbound"  // the customer texted the account (Sent SMS)
	Outbound = "outbound" // the account texted the customer (Received SMS)
)

// Message is one text in a conversation.
type Message struct {
	ID        string
	Body      string
	Direction string
	At        time.Time
}

// Conversation is a profile's conversation on one channel.
type Conversation struct {
	ID        string
	ProfileID string
	Channel   string
	Messages  []Message
}

// Profile is a Klaviyo profile.
type Profile struct {
	ID         string
	Email      string
	Phone      string
	ExternalID string
}

// Event is an accepted event.
type Event struct {
	ProfileID  string
	Metric     string
	UniqueID   string
	Time       time.Time
	Properties map[string]any
}

// Options configures a Server.
type Options struct {
	// Validate, when set, checks every API request and its body (the
	// klaviyo package's tests pass the published spec's check); a
	// violation fails the test and answers 400.
	Validate func(r *http.Request, body []byte) error
	// NoRateLimits turns the tier limits off (benchmarks that measure
	// something else).
	NoRateLimits bool
	// Now is the clock of the rate-limit windows (default time.Now).
	Now func() time.Time
}

// Server is a fake Klaviyo account.
type Server struct {
	*drivertest.VendorServer
	t    testing.TB
	opts Options

	mu          sync.Mutex
	next        int
	profiles    map[string]*Profile
	convs       map[string]*Conversation
	events      []Event
	seen        map[string]bool
	duplicates  int
	topics      []string
	deliveries  map[string][]byte
	windows     map[string]*window
	bulkBatches int
	failAfter   []int
}

type window struct {
	start time.Time
	count int
}

// NewServer starts a fake Klaviyo; it is closed when the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		t:          t,
		opts:       opts,
		profiles:   map[string]*Profile{},
		convs:      map[string]*Conversation{},
		seen:       map[string]bool{},
		deliveries: map[string][]byte{},
		windows:    map[string]*window{},
		topics:     []string{klaviyo.TopicSentSMS, klaviyo.TopicReceivedSMS, "event:klaviyo.opened_email", "event:klaviyo.clicked_sms"},
	}
	s.VendorServer = drivertest.NewVendorServer(t, drivertest.VendorServerOptions{
		Authorize:  drivertest.HeaderAuth("Authorization", "Klaviyo-API-Key "+APIKey),
		WriteError: writeError,
		Now:        opts.Now,
	})
	h := func(pattern string, tier klaviyo.Tier, minRevision string, fn func(http.ResponseWriter, *http.Request, []byte)) {
		s.Handle(pattern, endpoint{s: s, tier: tier, minRevision: minRevision, fn: fn}.ServeHTTP)
	}
	h("POST /api/event-bulk-create-jobs", klaviyo.TierM, "", s.bulkCreateEvents)
	h("POST /api/events", klaviyo.TierXL, "", s.createEvent)
	h("GET /api/profiles/{id}/conversations", klaviyo.TierS, "2026-07-15", s.profileConversations)
	h("POST /api/conversation-messages", klaviyo.TierS, klaviyo.MinSMSRevision, s.createConversationMessage)
	h("GET /api/profiles/{id}/conversation", klaviyo.TierS, klaviyo.MinSMSRevision, s.profileConversation)
	h("GET /api/webhook-topics", klaviyo.TierXS, "", s.webhookTopics)
	return s
}

// Config returns a driver configuration for this server.
func (s *Server) Config(webhookSecrets ...string) klaviyo.Config {
	return klaviyo.Config{APIKey: APIKey, BaseURL: s.URL, WebhookSecrets: webhookSecrets, SendingNumber: SendingNumber}
}

func (s *Server) id(prefix string) string {
	s.next++
	return fmt.Sprintf("%s%022d", prefix, s.next)
}

// NewProfile creates a profile with phone (E.164) and an SMS conversation
// holding the customer's first text, and returns the profile id.
func (s *Server) NewProfile(phone, firstText string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Profile{ID: s.id("01P"), Phone: phone}
	s.profiles[p.ID] = p
	c := &Conversation{ID: s.id("01C"), ProfileID: p.ID, Channel: "sms"}
	s.convs[c.ID] = c
	if firstText != "" {
		c.Messages = append(c.Messages, Message{ID: s.id("01M"), Body: firstText, Direction: Inbound, At: time.Now().UTC()})
	}
	return p.ID
}

// Conversation returns a copy of the profile's SMS conversation.
func (s *Server) Conversation(profileID string) (Conversation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.smsConversation(profileID); c != nil {
		cp := *c
		cp.Messages = append([]Message(nil), c.Messages...)
		return cp, true
	}
	return Conversation{}, false
}

func (s *Server) smsConversation(profileID string) *Conversation {
	for _, c := range s.convs {
		if c.ProfileID == profileID && c.Channel == "sms" {
			return c
		}
	}
	return nil
}

// Outbound returns the bodies the account sent to the profile, in order.
func (s *Server) Outbound(profileID string) []string {
	c, _ := s.Conversation(profileID)
	var out []string
	for _, m := range c.Messages {
		if m.Direction == Outbound {
			out = append(out, m.Body)
		}
	}
	return out
}

// Events returns the accepted events, in order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Duplicates returns how many events were dropped as duplicates (same
// profile, metric and unique_id), as Klaviyo silently does.
func (s *Server) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicates
}

// Profile returns a copy of profile id.
func (s *Server) Profile(id string) (Profile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.profiles[id]
	if !ok {
		return Profile{}, false
	}
	return *p, true
}

// endpoint wraps a handler with Klaviyo's request checks: revision header,
// tier limits, media type, body read and the optional spec check.
type endpoint struct {
	s           *Server
	tier        klaviyo.Tier
	minRevision string
	fn          func(w http.ResponseWriter, r *http.Request, body []byte)
}

func (e endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := e.s
	rev := r.Header.Get("revision")
	if len(rev) < 10 || rev[4] != '-' || rev[7] != '-' {
		writeErrorDetail(w, http.StatusBadRequest, klaviyo.CodeInvalid, "Missing or invalid revision header", "revision")
		return
	}
	if e.minRevision != "" && rev[:10] < e.minRevision {
		writeErrorDetail(w, http.StatusNotFound, klaviyo.CodeNotFound, "This endpoint is not available in revision "+rev, "")
		return
	}
	if !s.opts.NoRateLimits {
		if wait, ok := s.admit(e.tier); !ok {
			writeError(w, http.StatusTooManyRequests, wait)
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, 0)
		return
	}
	if s.opts.Validate != nil {
		if err := s.opts.Validate(r, body); err != nil {
			s.t.Errorf("klaviyotest: %s %s violates Klaviyo's spec: %v", r.Method, r.URL.Path, err)
			writeErrorDetail(w, http.StatusBadRequest, klaviyo.CodeInvalid, err.Error(), "")
			return
		}
	}
	if r.Method != http.MethodGet && !strings.HasPrefix(r.Header.Get("Content-Type"), klaviyo.MediaType) {
		writeErrorDetail(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be "+klaviyo.MediaType, "")
		return
	}
	if !s.opts.NoRateLimits {
		s.rateHeaders(w, e.tier)
	}
	e.fn(w, r, body)
}

// admit counts the request in its tier's burst and steady fixed windows.
func (s *Server) admit(t klaviyo.Tier) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	tl := klaviyo.Tiers[t]
	var wait time.Duration
	ok := true
	for _, lw := range []struct {
		name string
		n    int
		w    time.Duration
	}{{t.BurstLimit(), tl.Burst, klaviyo.BurstWindow}, {t.SteadyLimit(), tl.Steady, klaviyo.SteadyWindow}} {
		win := s.windows[lw.name]
		if win == nil || now.Sub(win.start) >= lw.w {
			win = &window{start: now.Truncate(lw.w)}
			s.windows[lw.name] = win
		}
		if win.count >= lw.n {
			ok = false
			wait = max(wait, win.start.Add(lw.w).Sub(now))
		}
	}
	if ok {
		s.windows[t.BurstLimit()].count++
		s.windows[t.SteadyLimit()].count++
	}
	return wait, ok
}

// rateHeaders writes RateLimit-* for the tier's steady window.
func (s *Server) rateHeaders(w http.ResponseWriter, t klaviyo.Tier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	win := s.windows[t.SteadyLimit()]
	tl := klaviyo.Tiers[t]
	h := w.Header()
	h.Set(klaviyo.HeaderLimit, strconv.Itoa(tl.Steady))
	h.Set(klaviyo.HeaderRemaining, strconv.Itoa(max(tl.Steady-win.count, 0)))
	reset := int(win.start.Add(klaviyo.SteadyWindow).Sub(s.opts.Now()).Seconds() + 0.999)
	h.Set(klaviyo.HeaderReset, strconv.Itoa(max(reset, 0)))
}

var requestSeq struct {
	sync.Mutex
	n int
}

func errorID() string {
	requestSeq.Lock()
	defer requestSeq.Unlock()
	requestSeq.n++
	return fmt.Sprintf("e%07d-0000-4000-8000-000000000000", requestSeq.n)
}

// writeError writes Klaviyo's JSON:API error answer for status; a 429
// carries only Retry-After (integer seconds), no RateLimit-* headers.
func writeError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	code, detail := "error", http.StatusText(status)
	switch status {
	case http.StatusUnauthorized:
		code, detail = klaviyo.CodeNotAuthenticated, "Missing or invalid private key."
	case http.StatusForbidden:
		code, detail = klaviyo.CodePermissionDenied, "You do not have permission to perform this action."
	case http.StatusNotFound:
		code, detail = klaviyo.CodeNotFound, "Not found."
	case http.StatusTooManyRequests:
		secs := max(int((retryAfter+time.Second-1)/time.Second), 1)
		w.Header().Del(klaviyo.HeaderLimit)
		w.Header().Del(klaviyo.HeaderRemaining)
		w.Header().Del(klaviyo.HeaderReset)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		code, detail = klaviyo.CodeThrottled, fmt.Sprintf("Request was throttled. Expected available in %d seconds.", secs)
	case http.StatusBadRequest:
		code = klaviyo.CodeInvalid
	}
	writeErrorDetail(w, status, code, detail, "")
}

func writeErrorDetail(w http.ResponseWriter, status int, code, detail, parameter string) {
	obj := map[string]any{"id": errorID(), "status": status, "code": code, "title": http.StatusText(status), "detail": detail}
	if parameter != "" {
		obj["source"] = map[string]string{"parameter": parameter}
	}
	writeJSON(w, status, map[string]any{"errors": []any{obj}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", klaviyo.MediaType)
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func invalid(w http.ResponseWriter, detail string) {
	writeErrorDetail(w, http.StatusBadRequest, klaviyo.CodeInvalid, detail, "")
}

// FailAfterNext makes the next bulk job be recorded and then answered with
// status: the ambiguous failure (the events arrived, the client cannot
// know) after which a client resends the same job. Several calls queue
// several failures.
func (s *Server) FailAfterNext(status int) {
	s.mu.Lock()
	s.failAfter = append(s.failAfter, status)
	s.mu.Unlock()
}
