package klaviyo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Support metric names, as Klaviyo's Zendesk integration names the first
// two, so segments and flows built on them keep working whatever helpdesk
// the tickets live in.
const (
	MetricOpenedTicket   = "Opened Ticket"
	MetricResolvedTicket = "Resolved Ticket"
	MetricBotReplied     = "Bot Replied"
	MetricHandedOver     = "Handed Over to Human"
)

// Metrics defaults.
const (
	// MaxBatch is the most events Klaviyo accepts in one bulk job.
	MaxBatch = 1000
	// DefaultFlushInterval is how long an event waits for a full batch.
	DefaultFlushInterval = 5 * time.Second
	// DefaultMaxBuffer is how many events wait at most; Record refuses
	// more with ErrMetricsBufferFull.
	DefaultMaxBuffer = 20_000
)

// Errors of the metrics recorder.
var (
	// ErrMetricsBufferFull is returned by Record when MaxBuffer events are
	// waiting (Klaviyo is down or slower than the events come).
	ErrMetricsBufferFull = errors.New("klaviyo: metrics buffer full, event dropped")
	// ErrMetricsClosed is returned by Record after Close.
	ErrMetricsClosed = errors.New("klaviyo: metrics recorder closed")
)

// Profile identifies the Klaviyo profile an event belongs to: at least one
// of its fields. ID is Klaviyo's own profile id (SMS conversations carry
// it); Phone is E.164.
type Profile struct {
	ID         string `json:"id,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone_number,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

// IsZero reports a profile without any identifier.
func (p Profile) IsZero() bool { return p == Profile{} }

func (p Profile) key() string {
	return p.ID + "\x00" + p.Email + "\x00" + p.Phone + "\x00" + p.ExternalID
}

// MetricEvent is one support event for Klaviyo.
type MetricEvent struct {
	// Metric is the metric name (MetricOpenedTicket, ...), under 128
	// characters.
	Metric string
	// Profile is the customer. Empty: the recorder uses the profile it
	// learnt for Conversation, else MetricsOptions.ProfileOf.
	Profile Profile
	// Conversation is the ticket the event is about; its vendor, id and
	// channel become properties.
	Conversation helpdesk.Conversation
	// Time is when it happened (default: now).
	Time time.Time
	// UniqueID deduplicates the event at Klaviyo (per profile and
	// metric). Default: derived from the conversation and Discriminator.
	UniqueID string
	// Discriminator tells events of one metric on one conversation apart
	// when UniqueID is empty (a webhook's delivery id). Default: the
	// event's time in nanoseconds and a sequence number.
	Discriminator string
	// Tags are added to the tags property.
	Tags []string
	// Properties are extra event properties.
	Properties map[string]any
}

// MetricsOptions tunes NewMetrics; nil means defaults.
type MetricsOptions struct {
	// BatchSize is how many events one bulk job carries (default and
	// maximum MaxBatch): a full batch is sent at once.
	BatchSize int
	// FlushInterval is how long an event waits for its batch to fill
	// (default DefaultFlushInterval).
	FlushInterval time.Duration
	// MaxBuffer bounds the waiting events (default DefaultMaxBuffer).
	MaxBuffer int
	// ProfileOf returns the customer of a conversation the recorder has
	// not seen a customer message for (a resolve straight after a
	// restart). Default: none, and such events are dropped and counted.
	ProfileOf func(conv helpdesk.Conversation) Profile
	// Tags are added to every event's tags property.
	Tags []string
	// OnError is told about batches Klaviyo refused for good (a 4xx other
	// than 408 and 429): those events are dropped. Default: ignored.
	OnError func(err error, events int)
	// ResolvedEcho is how long after the wrapper recorded a resolve the
	// webhook's status change to resolved for the same conversation is
	// taken as its echo and not counted again (default 10 minutes).
	ResolvedEcho time.Duration
}

// MetricsStats are the recorder's counters.
type MetricsStats struct {
	// Recorded events were accepted into the buffer; Sent ones were
	// accepted by Klaviyo; Dropped ones were refused (no profile, buffer
	// full, refused batch); Pending wait in the buffer.
	Recorded, Sent, Dropped, Pending int
	// Requests is how many bulk jobs were posted (retries included).
	Requests int
}

// Metrics turns helpdesk events and the bot's own actions into Klaviyo
// events, batched through POST /api/event-bulk-create-jobs (tier M) and
// flushed by size and time. Plug it in with Wrap (around any
// helpdesk.Helpdesk: resolves, handovers, replies, created tickets) and
// Tap (on the webhook event stream: tickets opened and resolved by
// anyone). Every event carries an explicit unique_id, so a batch retried
// after an ambiguous failure never counts twice. Close flushes. It is safe
// for concurrent use.
type Metrics struct {
	c    *Client
	opts MetricsOptions

	mu       sync.Mutex
	buf      []wireEvent
	closed   bool
	profiles map[string]Profile   // conversation key → customer
	resolved map[string]time.Time // conversation key → when the wrapper resolved it

	kick     chan struct{}
	done     chan struct{}
	stopped  chan struct{}
	flushMu  sync.Mutex
	seq      atomic.Int64
	recorded atomic.Int64
	sent     atomic.Int64
	dropped  atomic.Int64
	requests atomic.Int64
}

type wireEvent struct {
	profile Profile
	attrs   map[string]any
}

// maxProfiles bounds the learnt conversation → customer map.
const maxProfiles = 100_000

// NewMetrics starts a recorder sending with c. Close it to flush.
func NewMetrics(c *Client, opts *MetricsOptions) (*Metrics, error) {
	o := MetricsOptions{}
	if opts != nil {
		o = *opts
	}
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	if c == nil {
		ce.Add("Client", "required")
	}
	if o.BatchSize < 0 || o.BatchSize > MaxBatch {
		ce.Add("MetricsOptions.BatchSize", "must be between 1 and %d (0: %d)", MaxBatch, MaxBatch)
	}
	if o.FlushInterval < 0 {
		ce.Add("MetricsOptions.FlushInterval", "must not be negative")
	}
	if o.MaxBuffer < 0 {
		ce.Add("MetricsOptions.MaxBuffer", "must not be negative")
	}
	if err := ce.Err(); err != nil {
		return nil, err
	}
	if o.BatchSize == 0 {
		o.BatchSize = MaxBatch
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.MaxBuffer == 0 {
		o.MaxBuffer = DefaultMaxBuffer
	}
	o.MaxBuffer = max(o.MaxBuffer, o.BatchSize)
	if o.ResolvedEcho == 0 {
		o.ResolvedEcho = 10 * time.Minute
	}
	m := &Metrics{
		c: c, opts: o,
		profiles: map[string]Profile{},
		resolved: map[string]time.Time{},
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go m.loop()
	return m, nil
}

// loop flushes when a batch is full or FlushInterval has passed.
func (m *Metrics) loop() {
	defer close(m.stopped)
	t := time.NewTimer(m.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-m.kick:
			_ = m.flushAll(context.Background(), false)
		case <-t.C:
			_ = m.flushAll(context.Background(), true)
			t.Reset(m.opts.FlushInterval)
		}
	}
}

// Stats returns the recorder's counters.
func (m *Metrics) Stats() MetricsStats {
	m.mu.Lock()
	pending := len(m.buf)
	m.mu.Unlock()
	return MetricsStats{
		Recorded: int(m.recorded.Load()), Sent: int(m.sent.Load()), Dropped: int(m.dropped.Load()),
		Pending: pending, Requests: int(m.requests.Load()),
	}
}

// Record queues one event. It fails, without a request, for an event
// without a metric or profile, a phone number that is not E.164, a full
// buffer or a closed recorder.
func (m *Metrics) Record(e MetricEvent) error {
	if strings.TrimSpace(e.Metric) == "" || len(e.Metric) >= 128 {
		m.dropped.Add(1)
		return &helpdesk.FieldError{Field: "metric", Problem: "a name of 1 to 127 characters is required"}
	}
	key := e.Conversation.Key()
	m.mu.Lock()
	if e.Profile.IsZero() {
		e.Profile = m.profiles[key]
	}
	m.mu.Unlock()
	if e.Profile.IsZero() && m.opts.ProfileOf != nil {
		e.Profile = m.opts.ProfileOf(e.Conversation)
	}
	if e.Profile.IsZero() {
		m.dropped.Add(1)
		return &helpdesk.FieldError{Field: "profile", Problem: "no e-mail, phone, external id or Klaviyo id for conversation " + e.Conversation.ID}
	}
	if e.Profile.Phone != "" && !ValidPhone(e.Profile.Phone) {
		m.dropped.Add(1)
		return &helpdesk.FieldError{Field: "profile.phone_number", Problem: "not an E.164 phone number (+ and 8 to 15 digits)"}
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	uid := e.UniqueID
	if uid == "" {
		d := e.Discriminator
		if d == "" {
			d = strconv.FormatInt(e.Time.UnixNano(), 36) + "." + strconv.FormatInt(m.seq.Add(1), 36)
		}
		uid = e.Conversation.Vendor + ":" + e.Conversation.Account + ":" + e.Conversation.ID + ":" + metricSlug(e.Metric) + ":" + d
	}
	props := map[string]any{}
	for k, v := range e.Properties {
		props[k] = v
	}
	props["vendor"] = e.Conversation.Vendor
	props["conversation_id"] = e.Conversation.ID
	if e.Conversation.Channel != "" {
		props["channel"] = string(e.Conversation.Channel)
	}
	if tags := append(append([]string(nil), m.opts.Tags...), e.Tags...); len(tags) > 0 {
		props["tags"] = tags
	}
	we := wireEvent{profile: e.Profile, attrs: map[string]any{
		"properties": props,
		"time":       e.Time.UTC().Format(time.RFC3339),
		"unique_id":  uid,
		"metric":     map[string]any{"data": map[string]any{"type": "metric", "attributes": map[string]any{"name": e.Metric}}},
	}}
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return ErrMetricsClosed
	case len(m.buf) >= m.opts.MaxBuffer:
		m.mu.Unlock()
		m.dropped.Add(1)
		return ErrMetricsBufferFull
	}
	m.buf = append(m.buf, we)
	full := len(m.buf) >= m.opts.BatchSize
	m.mu.Unlock()
	m.recorded.Add(1)
	if full {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

func metricSlug(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), " ", "_")
}

// Learn remembers the customer of a conversation, for later events about
// it (the Tap learns it from customer messages).
func (m *Metrics) Learn(conv helpdesk.Conversation, p Profile) {
	if p.IsZero() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.profiles) >= maxProfiles {
		for k := range m.profiles { // evict one arbitrary entry
			delete(m.profiles, k)
			break
		}
	}
	m.profiles[conv.Key()] = p
}

// profileOf is the customer an inbound message identifies.
func profileOf(e helpdesk.Event) Profile {
	var p Profile
	if e.Conversation.Vendor == Vendor {
		p.ID = e.Conversation.ID
	}
	if e.Message != nil {
		p.Email = e.Message.Author.Email
		if ValidPhone(e.Message.Author.Phone) {
			p.Phone = e.Message.Author.Phone
		}
	}
	return p
}

// Flush sends every waiting event now.
func (m *Metrics) Flush(ctx context.Context) error { return m.flushAll(ctx, true) }

// Close stops the recorder after flushing every waiting event (until ctx
// ends). Record fails afterwards.
func (m *Metrics) Close(ctx context.Context) error {
	m.mu.Lock()
	already := m.closed
	m.closed = true
	m.mu.Unlock()
	if !already {
		close(m.done)
	}
	<-m.stopped
	return m.flushAll(ctx, true)
}

// flushAll sends batches until the buffer is empty (all: the timer,
// Flush, Close) or holds less than a full batch (a batch filled up).
func (m *Metrics) flushAll(ctx context.Context, all bool) error {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	for {
		m.mu.Lock()
		n := min(len(m.buf), m.opts.BatchSize)
		if n == 0 || (!all && n < m.opts.BatchSize) {
			m.mu.Unlock()
			return nil
		}
		batch := m.buf[:n:n]
		m.mu.Unlock()
		err := m.send(ctx, batch)
		m.mu.Lock()
		if err == nil || permanent(err) {
			m.buf = append([]wireEvent(nil), m.buf[n:]...)
		}
		m.mu.Unlock()
		switch {
		case err == nil:
			m.sent.Add(int64(n))
		case permanent(err):
			m.dropped.Add(int64(n))
			if m.opts.OnError != nil {
				m.opts.OnError(err, n)
			}
		default:
			// Kept in the buffer with their unique ids: the next flush
			// sends them again and Klaviyo drops what it already has.
			return err
		}
	}
}

// permanent reports a refusal that sending again cannot fix.
func permanent(err error) bool {
	var ae *helpdesk.APIError
	if !errors.As(err, &ae) {
		return false
	}
	s := ae.StatusCode
	return s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests
}

// send posts one bulk job: one entry per profile, its events in order.
func (m *Metrics) send(ctx context.Context, batch []wireEvent) error {
	type job struct {
		profile Profile
		events  []any
	}
	var jobs []*job
	byProfile := map[string]*job{}
	for _, e := range batch {
		j := byProfile[e.profile.key()]
		if j == nil {
			j = &job{profile: e.profile}
			byProfile[e.profile.key()] = j
			jobs = append(jobs, j)
		}
		j.events = append(j.events, map[string]any{"type": "event", "attributes": e.attrs})
	}
	data := make([]any, 0, len(jobs))
	for _, j := range jobs {
		pd := map[string]any{"type": "profile", "attributes": profileAttrs(j.profile)}
		if j.profile.ID != "" {
			pd["id"] = j.profile.ID
		}
		data = append(data, map[string]any{
			"type": "event-bulk-create",
			"attributes": map[string]any{
				"profile": map[string]any{"data": pd},
				"events":  map[string]any{"data": j.events},
			},
		})
	}
	body := map[string]any{"data": map[string]any{
		"type":       "event-bulk-create-job",
		"attributes": map[string]any{"events-bulk-create": map[string]any{"data": data}},
	}}
	resp, err := m.c.do(ctx, TierM, &transport.Request{
		Method: http.MethodPost, Path: "/api/event-bulk-create-jobs", Body: body,
		// Every event has a unique_id: Klaviyo drops a repeat, so the
		// job may be sent again after an ambiguous failure.
		Idempotent: true,
	}, nil)
	if resp != nil {
		m.requests.Add(int64(resp.Attempts))
	} else {
		var ae *helpdesk.APIError
		if errors.As(err, &ae) {
			m.requests.Add(1)
		}
	}
	if err != nil {
		return fmt.Errorf("klaviyo: sending %d events: %w", len(batch), err)
	}
	return nil
}

func profileAttrs(p Profile) map[string]any {
	a := map[string]any{}
	if p.Email != "" {
		a["email"] = p.Email
	}
	if p.Phone != "" {
		a["phone_number"] = p.Phone
	}
	if p.ExternalID != "" {
		a["external_id"] = p.ExternalID
	}
	return a
}

// Tap returns next wrapped so that the webhook event stream also feeds
// the recorder: a conversation created gives Opened Ticket; a status
// change to resolved or closed gives Resolved Ticket (unless the wrapper
// recorded that resolve itself); customer messages teach it the
// conversation's customer. next may be nil. Recording never fails the
// event: refused events are counted in Stats.Dropped.
func (m *Metrics) Tap(next helpdesk.EventFunc) helpdesk.EventFunc {
	return func(ctx context.Context, e helpdesk.Event) error {
		m.Observe(e)
		if next == nil {
			return nil
		}
		return next(ctx, e)
	}
}

// Observe records what one webhook event says (see Tap).
func (m *Metrics) Observe(e helpdesk.Event) {
	conv := e.Conversation
	switch {
	case e.IsCustomerMessage():
		m.Learn(conv, profileOf(e))
	case e.Type == helpdesk.EventConversationCreated:
		if e.Message != nil && e.Message.Author.Role == helpdesk.RoleCustomer {
			m.Learn(conv, profileOf(e))
		}
		_ = m.Record(MetricEvent{Metric: MetricOpenedTicket, Conversation: conv, Time: e.OccurredAt, Discriminator: "opened"})
	case e.Type == helpdesk.EventStatusChanged && e.Status != nil &&
		(e.Status.To == helpdesk.StatusResolved || e.Status.To == helpdesk.StatusClosed):
		m.mu.Lock()
		at, mine := m.resolved[conv.Key()]
		if mine {
			delete(m.resolved, conv.Key())
		}
		m.mu.Unlock()
		if mine && time.Since(at) < m.opts.ResolvedEcho {
			return
		}
		_ = m.Record(MetricEvent{Metric: MetricResolvedTicket, Conversation: conv, Time: e.OccurredAt, Discriminator: e.DeliveryID,
			Properties: map[string]any{"status": string(e.Status.To)}})
	}
}

func (m *Metrics) resolvedByBot(conv helpdesk.Conversation) {
	m.mu.Lock()
	if len(m.resolved) >= maxProfiles {
		for k := range m.resolved {
			delete(m.resolved, k)
			break
		}
	}
	m.resolved[conv.Key()] = time.Now()
	m.mu.Unlock()
	_ = m.Record(MetricEvent{Metric: MetricResolvedTicket, Conversation: conv, Properties: map[string]any{"resolved_by": "bot"}})
}

// Wrap returns h with the bot's actions recorded: a customer-visible
// SendMessage gives Bot Replied (and Resolved Ticket when it resolved), a
// Resolve gives Resolved Ticket, a Reassign gives Handed Over to Human with
// the reason (Target.Note) and target, and CreateConversation (where h has
// it) gives Opened Ticket. Failed calls record nothing. helpdesk.As and
// helpdesk.ErrorAs still reach h's driver.
func (m *Metrics) Wrap(h helpdesk.Helpdesk) helpdesk.Helpdesk {
	return &metricsHelpdesk{Helpdesk: h, m: m}
}

type metricsHelpdesk struct {
	helpdesk.Helpdesk
	m *Metrics
}

func (w *metricsHelpdesk) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	r, err := w.Helpdesk.SendMessage(ctx, conv, msg)
	if r != nil && !msg.Internal {
		_ = w.m.Record(MetricEvent{Metric: MetricBotReplied, Conversation: conv})
		if r.Resolved {
			w.m.resolvedByBot(conv)
		}
	}
	return r, err
}

func (w *metricsHelpdesk) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	err := w.Helpdesk.Resolve(ctx, conv)
	if err == nil {
		w.m.resolvedByBot(conv)
	}
	return err
}

func (w *metricsHelpdesk) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	err := w.Helpdesk.Reassign(ctx, conv, to)
	if err == nil {
		props := map[string]any{"reason": truncate(to.Note, maxReason), "target_kind": string(to.Kind), "target_id": to.ID}
		if to.Name != "" {
			props["target_name"] = to.Name
		}
		_ = w.m.Record(MetricEvent{Metric: MetricHandedOver, Conversation: conv, Properties: props})
	}
	return err
}

// CreateConversation opens the conversation on the wrapped helpdesk and
// records Opened Ticket for the requester.
func (w *metricsHelpdesk) CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	conv, err := helpdesk.CreateConversation(ctx, w.Helpdesk, req)
	if err != nil {
		return conv, err
	}
	p := Profile{Email: req.Requester.Email}
	if ValidPhone(req.Requester.Phone) {
		p.Phone = req.Requester.Phone
	}
	w.m.Learn(conv, p)
	if conv.Channel == "" {
		conv.Channel = req.Channel
	}
	_ = w.m.Record(MetricEvent{Metric: MetricOpenedTicket, Conversation: conv, Discriminator: "opened", Tags: req.Tags,
		Properties: map[string]any{"subject": req.Subject}})
	return conv, nil
}

func (w *metricsHelpdesk) As(i any) bool { return helpdesk.As(w.Helpdesk, i) }

func (w *metricsHelpdesk) ErrorAs(err error, i any) bool { return helpdesk.ErrorAs(w.Helpdesk, err, i) }

// maxReason bounds the reason property (Klaviyo takes strings up to 100
// KB; a segment needs far less than a whole handover note).
const maxReason = 1000

// truncate returns s cut to at most n runes, with an ellipsis when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
