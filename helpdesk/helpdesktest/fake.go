package helpdesktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Op names a Helpdesk method, for recorded calls and injected failures.
type Op string

// Operations the Fake records.
const (
	OpSendMessage  Op = "SendMessage"
	OpResolve      Op = "Resolve"
	OpReassign     Op = "Reassign"
	OpParseWebhook Op = "ParseWebhook"
)

// Call is one recorded Helpdesk call.
type Call struct {
	Op           Op
	Conversation helpdesk.Conversation
	// Message is set for SendMessage, Target for Reassign.
	Message *helpdesk.Message
	Target  *helpdesk.Target
	// Err is what the call returned.
	Err error
}

func (c Call) String() string {
	switch c.Op {
	case OpSendMessage:
		kind := "message"
		if c.Message.Internal {
			kind = "note"
		}
		s := fmt.Sprintf("SendMessage(%s, %s %q", c.Conversation.ID, kind, c.Message.Text)
		if c.Message.Resolve {
			s += ", resolve"
		}
		return s + ")" + errSuffix(c.Err)
	case OpReassign:
		return fmt.Sprintf("Reassign(%s, %s)", c.Conversation.ID, c.Target) + errSuffix(c.Err)
	}
	return fmt.Sprintf("%s(%s)", c.Op, c.Conversation.ID) + errSuffix(c.Err)
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " -> error: " + err.Error()
}

// FakeConversation is the Fake's state for one conversation.
type FakeConversation struct {
	Conversation helpdesk.Conversation
	Status       helpdesk.Status
	GroupID      string
	AgentID      string
	// Messages holds every message in order, the customer's included.
	Messages []FakeMessage
	// ReplyWindowClosed is set by CloseReplyWindow.
	ReplyWindowClosed bool
	// Tags are the tags a conversation was opened with
	// (CreateConversation).
	Tags []string
}

// FakeMessage is one message in a FakeConversation.
type FakeMessage struct {
	ID     string
	Author helpdesk.Role
	Text   string
	Public bool
	// Attachments holds the URLs of the files attached, in order.
	Attachments []string
	// IdempotencyKey is the key the message was posted with (the
	// caller's, or one the Fake derived).
	IdempotencyKey string
}

// FakeVendor is the Vendor name of Fake conversations.
const FakeVendor = "fake"

// FakeSignatureHeader carries the hex HMAC-SHA256 of a Fake delivery,
// computed over the timestamp, a dot and the body.
const FakeSignatureHeader = "X-Fake-Signature"

// FakeTimestampHeader carries the Unix time a Fake delivery was signed at.
const FakeTimestampHeader = "X-Fake-Timestamp"

// FakeBotID is the author id of the bot's own messages in the Fake.
const FakeBotID = "bot"

// DefaultFakeSecret is the webhook secret a Fake signs with by default.
const DefaultFakeSecret = "fake-webhook-secret"

// ExtraReplyWindow is the Conversation.Extra key CloseReplyWindow sets:
// the Fake's driver refuses a customer-visible message to a conversation
// carrying it without a request, as drivers do when they know a channel's
// window (WhatsApp's 24 hours) has closed.
const ExtraReplyWindow = "fake.reply_window"

// FakeScheme is how the Fake signs its webhook deliveries: HMAC-SHA256 in
// hex over "<unix seconds>.<body>", the time in FakeTimestampHeader.
var FakeScheme = &driver.Scheme{
	Header:          FakeSignatureHeader,
	Hash:            sha256.New,
	Encoding:        driver.Hex,
	TimestampHeader: FakeTimestampHeader,
	TimeFormat:      driver.UnixSeconds,
	Message: func(req *helpdesk.WebhookRequest, ts string) [][]byte {
		return [][]byte{[]byte(ts), []byte("."), req.Body}
	},
}

// Fake is an in-memory Helpdesk for the unit tests of code built on
// agentdesk. Inside is a driver.Driver wrapped by driver.New, so the Fake
// applies exactly the rules real drivers get from the portable core
// (capability gating, input checks, the resolve-after-message fallback,
// errors wrapped in *helpdesk.OpError). It records every call in order,
// lets a test inject customer messages and other events (as signed webhook
// deliveries its ParseWebhook accepts), can be told to fail calls the way
// vendors fail, and is safe for concurrent use. It passes
// drivertest.RunConformance.
type Fake struct {
	p *driver.Portable

	mu       sync.Mutex
	caps     helpdesk.Capabilities
	botID    string
	secrets  []string
	tol      time.Duration
	wrap     func(driver.Driver) driver.Driver
	convs    map[string]*FakeConversation
	calls    []Call
	failures map[Op][]error
	stall    time.Duration
	requests int
	seq      int
	idem     []string
	posted   map[string]*helpdesk.Receipt // by idempotency key
	created  map[string]string            // conversation id by creation idempotency key
	now      func() time.Time

	ignoreKeys bool                 // WithIdempotencyKeysIgnored
	faults     *faultState          // InjectFaults
	storedAt   map[string]time.Time // bot message id -> when stored (real clock)
}

var _ helpdesk.Helpdesk = (*Fake)(nil)

// FakeOption configures a Fake.
type FakeOption func(*Fake)

// WithCapabilities makes the Fake declare (and enforce) caps, to test a
// bot against a helpdesk that cannot, say, reassign.
func WithCapabilities(caps helpdesk.Capabilities) FakeOption {
	return func(f *Fake) { f.caps = caps }
}

// WithWebhookSecret sets the secret deliveries are signed with (and the
// only one accepted).
func WithWebhookSecret(secret string) FakeOption {
	return func(f *Fake) { f.secrets = []string{secret} }
}

// WithWebhookSecrets sets the secrets deliveries are accepted with, the
// first being the one they are signed with: a secret being rotated out
// stays accepted.
func WithWebhookSecrets(secrets ...string) FakeOption {
	return func(f *Fake) { f.secrets = append([]string(nil), secrets...) }
}

// WithTolerance sets how far a delivery's signed time may be from its
// receive time (default driver.DefaultTolerance).
func WithTolerance(d time.Duration) FakeOption { return func(f *Fake) { f.tol = d } }

// WithClock sets the clock used for event times. Deliveries are signed
// with the real clock, which the receiving side checks them against.
func WithClock(now func() time.Time) FakeOption { return func(f *Fake) { f.now = now } }

// WithIdempotencyKeysIgnored makes the Fake's vendor side store every
// message it receives, as most helpdesks do for message writes, instead of
// returning the first receipt for a repeated idempotency key. Under
// injected faults (InjectFaults) only the Fake's reconciliation then keeps
// a message from being posted twice, as for a real driver.
func WithIdempotencyKeysIgnored() FakeOption { return func(f *Fake) { f.ignoreKeys = true } }

// WithDriver wraps the Fake's driver before the portable core wraps it:
// tests of the conformance kit plant broken drivers this way.
func WithDriver(wrap func(driver.Driver) driver.Driver) FakeOption {
	return func(f *Fake) { f.wrap = wrap }
}

// NewFake returns an empty Fake with every capability.
func NewFake(opts ...FakeOption) *Fake {
	f := &Fake{
		caps:     helpdesk.AllCapabilities,
		botID:    FakeBotID,
		secrets:  []string{DefaultFakeSecret},
		convs:    map[string]*FakeConversation{},
		failures: map[Op][]error{},
		posted:   map[string]*helpdesk.Receipt{},
		now:      time.Now,
		storedAt: map[string]time.Time{},
	}
	for _, o := range opts {
		o(f)
	}
	var d driver.Driver = &fakeDriver{f: f, verifier: driver.NewVerifier(f.tol, f.secrets...)}
	if f.wrap != nil {
		d = f.wrap(d)
		if _, ok := d.(driver.ConversationCreator); !ok {
			// A wrapper that does not pass CreateConversation on takes
			// the capability away with it.
			d = withoutCreate{d}
		}
	}
	p, err := driver.New(d, nil)
	if err != nil {
		panic("helpdesktest: " + err.Error()) // nil Options cannot be invalid
	}
	f.p = p
	return f
}

// Driver returns the driver.Driver inside the Fake (after WithDriver).
func (f *Fake) Driver() driver.Driver { return f.p.Driver() }

// Capabilities implements helpdesk.Helpdesk.
func (f *Fake) Capabilities() helpdesk.Capabilities { return f.p.Capabilities() }

// As implements the escape hatch of helpdesk.As: a **Fake is set to f.
func (f *Fake) As(i any) bool { return f.p.As(i) }

// ErrorAs implements helpdesk.ErrorAs.
func (f *Fake) ErrorAs(err error, i any) bool { return f.p.ErrorAs(err, i) }

// SendMessage implements helpdesk.Helpdesk.
func (f *Fake) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	m := msg
	m.Attachments = append([]helpdesk.Attachment(nil), msg.Attachments...)
	rcpt, err := f.p.SendMessage(ctx, conv, msg)
	f.record(Call{Op: OpSendMessage, Conversation: conv, Message: &m, Err: err})
	return rcpt, err
}

// Resolve implements helpdesk.Helpdesk.
func (f *Fake) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	err := f.p.Resolve(ctx, conv)
	f.record(Call{Op: OpResolve, Conversation: conv, Err: err})
	return err
}

// Reassign implements helpdesk.Helpdesk. A group target clears the
// assignee; the notice is posted as a public message and the note as an
// internal one, all as one request.
func (f *Fake) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	t := to
	err := f.p.Reassign(ctx, conv, to)
	f.record(Call{Op: OpReassign, Conversation: conv, Target: &t, Err: err})
	return err
}

// ParseWebhook implements helpdesk.Helpdesk for deliveries built by
// Delivery: a JSON {"events":[...]} body signed as FakeScheme says.
// Deliveries signed with an unknown secret, or at a time beyond the
// tolerance from their receive time, are refused.
func (f *Fake) ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	return f.p.ParseWebhook(ctx, req)
}

// Open creates a conversation assigned to the bot and returns its
// reference. An empty id picks the next number.
func (f *Fake) Open(id string, ch helpdesk.Channel) helpdesk.Conversation {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "" {
		f.seq++
		id = strconv.Itoa(1000 + f.seq)
	}
	conv := helpdesk.Conversation{Vendor: FakeVendor, ID: id, Channel: ch}
	f.convs[id] = &FakeConversation{Conversation: conv, Status: helpdesk.StatusOpen, AgentID: f.botID}
	return conv
}

// Conversation returns a copy of the state of conversation id.
func (f *Fake) Conversation(id string) (FakeConversation, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.convs[id]
	if !ok {
		return FakeConversation{}, false
	}
	cp := *c
	cp.Messages = make([]FakeMessage, len(c.Messages))
	for i, m := range c.Messages {
		m.Attachments = append([]string(nil), m.Attachments...)
		cp.Messages[i] = m
	}
	return cp, true
}

// Calls returns the recorded calls, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Requests returns how many requests reached the Fake's vendor side: each
// attempt of a write and each read-back of a conversation by its driver
// (calls refused by the portable core, such as a cancelled context or an
// undeclared capability, are not counted).
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// IdempotencyKeys returns the idempotency key of every message posted, in
// order, including repeats the Fake recognised and did not post again.
func (f *Fake) IdempotencyKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.idem...)
}

// Reset forgets recorded calls and the request count (state is kept).
func (f *Fake) Reset() {
	f.mu.Lock()
	f.calls = nil
	f.requests = 0
	f.mu.Unlock()
}

// FailNext makes the next call of op that reaches the vendor side return
// err, as it is: the Fake's driver does not reconcile it, even when it is
// ambiguous (a 5xx), so each queued error fails one call. Several calls
// queue. InjectFaults models the failures the driver does reconcile.
func (f *Fake) FailNext(op Op, err error) {
	f.mu.Lock()
	f.failures[op] = append(f.failures[op], err)
	f.mu.Unlock()
}

// FailNextWithStatus makes the next call of op fail the way a vendor
// answering status would: an *helpdesk.APIError matching the status's
// sentinel (429 carries a RetryAfter of one minute).
func (f *Fake) FailNextWithStatus(op Op, status int) {
	f.FailNext(op, StatusError(status))
}

// StatusError returns the *helpdesk.APIError a vendor answering status
// would cause.
func StatusError(status int) *helpdesk.APIError {
	e := &helpdesk.APIError{Vendor: FakeVendor, StatusCode: status, Message: http.StatusText(status), Kind: transport.KindForStatus(status), RequestID: "fake-req"}
	if status == http.StatusTooManyRequests {
		e.RetryAfter = time.Minute
	}
	return e
}

// ClosedError is what the Fake returns for updates to a closed
// conversation.
func ClosedError() *helpdesk.APIError {
	return &helpdesk.APIError{Vendor: FakeVendor, StatusCode: http.StatusUnprocessableEntity, Message: "conversation is closed", Kind: helpdesk.ErrConversationClosed}
}

// Stall makes every call that reaches the vendor side wait d (or until
// its context ends) first.
func (f *Fake) Stall(d time.Duration) {
	f.mu.Lock()
	f.stall = d
	f.mu.Unlock()
}

// Close marks a conversation closed: later updates fail with
// ErrConversationClosed (one request), as closed Zendesk tickets do.
func (f *Fake) Close(id string) {
	f.mu.Lock()
	if c, ok := f.convs[id]; ok {
		c.Status = helpdesk.StatusClosed
	}
	f.mu.Unlock()
}

// CloseReplyWindow marks conv's reply window closed and returns the
// reference a webhook would now carry (with ExtraReplyWindow): a
// customer-visible message to it fails with helpdesk.ErrReplyWindowClosed
// without a request. Internal notes still work.
func (f *Fake) CloseReplyWindow(conv helpdesk.Conversation) helpdesk.Conversation {
	f.mu.Lock()
	if c, ok := f.convs[conv.ID]; ok {
		c.ReplyWindowClosed = true
	}
	f.mu.Unlock()
	return conv.With(ExtraReplyWindow, "closed")
}

func (f *Fake) record(c Call) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

// fakeDelivery is the Fake's webhook body.
type fakeDelivery struct {
	Events []helpdesk.Event `json:"events"`
}

// CustomerWrites records that the customer wrote text in conv and returns
// the event a vendor would deliver for it.
func (f *Fake) CustomerWrites(conv helpdesk.Conversation, text string) helpdesk.Event {
	f.mu.Lock()
	f.seq++
	id := "m" + strconv.Itoa(f.seq)
	if c, ok := f.convs[conv.ID]; ok {
		c.Messages = append(c.Messages, FakeMessage{ID: id, Author: helpdesk.RoleCustomer, Text: text, Public: true})
		if c.Status == helpdesk.StatusResolved {
			c.Status = helpdesk.StatusOpen
		}
	}
	now := f.now()
	f.mu.Unlock()
	return helpdesk.Event{
		Type: helpdesk.EventMessageCreated, VendorType: "message", DeliveryID: "evt-" + id,
		OccurredAt: now, Conversation: conv,
		Message: &helpdesk.InboundMessage{ID: id, Author: helpdesk.Author{Role: helpdesk.RoleCustomer, ID: "customer-" + conv.ID, Name: "Customer"}, Text: text, Public: true},
	}
}

// BotEcho returns the event a vendor would deliver for a message the bot
// posted (vendors send the bot's own messages back).
func (f *Fake) BotEcho(conv helpdesk.Conversation, text string) helpdesk.Event {
	f.mu.Lock()
	f.seq++
	id := "m" + strconv.Itoa(f.seq)
	now := f.now()
	f.mu.Unlock()
	return helpdesk.Event{
		Type: helpdesk.EventMessageCreated, VendorType: "message", DeliveryID: "evt-" + id,
		OccurredAt: now, Conversation: conv,
		Message: &helpdesk.InboundMessage{ID: id, Author: helpdesk.Author{Role: helpdesk.RoleAgent, ID: FakeBotID, Name: "Bot"}, Text: text, Public: true},
	}
}

// Signing says how a delivery is signed: at At (zero: now) with Secret
// (empty: the Fake's first secret).
type Signing struct {
	At     time.Time
	Secret string
}

// Delivery returns a signed webhook request carrying events, which the
// Fake's ParseWebhook (and a helpdesk.WebhookHandler around it) accepts.
// It is a POST to DefaultDeliveryPath (/webhooks/fake); DeliveryTo
// addresses it to the route a test mounts its handler at.
func (f *Fake) Delivery(events ...helpdesk.Event) *http.Request {
	return f.DeliveryWith(Signing{}, events...)
}

// DeliveryWith returns a webhook request carrying events signed as s
// says: a stale, future or other-secret delivery.
func (f *Fake) DeliveryWith(s Signing, events ...helpdesk.Event) *http.Request {
	body, err := json.Marshal(fakeDelivery{Events: events})
	if err != nil {
		panic(err) // events are plain data; this cannot fail
	}
	return f.SignedRequestWith(body, s)
}

// SignedRequest returns a webhook request with body signed by the Fake's
// first secret, now.
func (f *Fake) SignedRequest(body []byte) *http.Request {
	return f.SignedRequestWith(body, Signing{})
}

// SignedRequestWith returns a webhook request with body signed as s says.
func (f *Fake) SignedRequestWith(body []byte, s Signing) *http.Request {
	if s.At.IsZero() {
		s.At = time.Now()
	}
	if s.Secret == "" && len(f.secrets) > 0 {
		s.Secret = f.secrets[0]
	}
	r := httptest.NewRequest(http.MethodPost, "http://localhost"+DefaultDeliveryPath, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	FakeScheme.SignRequest(r, body, s.Secret, s.At)
	return r
}

// AssignedTo moves conv to agentID and/or groupID at the Fake (as a human
// agent or a helpdesk rule would) and returns the assignment event a vendor
// would deliver. ToBot is set when agentID is the bot.
func (f *Fake) AssignedTo(conv helpdesk.Conversation, agentID, groupID string) helpdesk.Event {
	f.mu.Lock()
	if c, ok := f.convs[conv.ID]; ok {
		c.AgentID, c.GroupID = agentID, groupID
	}
	f.seq++
	id := "a" + strconv.Itoa(f.seq)
	now := f.now()
	f.mu.Unlock()
	return helpdesk.Event{
		Type: helpdesk.EventConversationAssigned, VendorType: "assignment", DeliveryID: "evt-" + id,
		OccurredAt: now, Conversation: conv,
		Assignment: &helpdesk.Assignment{AgentID: agentID, GroupID: groupID, ToBot: agentID == f.botID},
	}
}

// StatusChangedTo sets conv's status at the Fake and returns the status
// event a vendor would deliver.
func (f *Fake) StatusChangedTo(conv helpdesk.Conversation, to helpdesk.Status) helpdesk.Event {
	f.mu.Lock()
	var from helpdesk.Status
	if c, ok := f.convs[conv.ID]; ok {
		from, c.Status = c.Status, to
	}
	f.seq++
	id := "s" + strconv.Itoa(f.seq)
	now := f.now()
	f.mu.Unlock()
	return helpdesk.Event{
		Type: helpdesk.EventStatusChanged, VendorType: "status", DeliveryID: "evt-" + id,
		OccurredAt: now, Conversation: conv,
		Status: &helpdesk.StatusChange{From: from, To: to, VendorFrom: string(from), VendorTo: string(to)},
	}
}

// fakeDriver is the Fake's vendor side: the driver.Driver the portable
// core wraps.
type fakeDriver struct {
	f        *Fake
	verifier *driver.Verifier
	rec      driver.Reconciler // messages posted or found, sends unsettled
}

var _ driver.Driver = (*fakeDriver)(nil)

func (d *fakeDriver) Vendor() string                      { return FakeVendor }
func (d *fakeDriver) Capabilities() helpdesk.Capabilities { return d.f.caps }

func (d *fakeDriver) As(i any) bool {
	if p, ok := i.(**Fake); ok {
		*p = d.f
		return true
	}
	return false
}

func (d *fakeDriver) ErrorAs(err error, i any) bool { return errors.As(err, i) }

// wait waits out a stall and checks the context.
func (d *fakeDriver) wait(ctx context.Context) error {
	f := d.f
	f.mu.Lock()
	stall := f.stall
	f.mu.Unlock()
	if stall > 0 {
		t := time.NewTimer(stall)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// begin starts a write of op to conv: it waits out a stall, checks the
// context, counts the request, takes a failure FailNext queued (returned
// as queued) and draws a fault (InjectFaults). A fault before the write is
// returned as the error; after returns the error of a fault after it, to
// report once the write is applied (nil without one). On success begin
// returns the conversation with f.mu held.
func (d *fakeDriver) begin(ctx context.Context, op Op, conv helpdesk.Conversation) (c *FakeConversation, after error, err error) {
	if err := d.wait(ctx); err != nil {
		return nil, nil, err
	}
	f := d.f
	f.mu.Lock()
	f.requests++
	if q := f.failures[op]; len(q) > 0 {
		err := q[0]
		f.failures[op] = q[1:]
		f.mu.Unlock()
		return nil, nil, queued{err}
	}
	fault, plan := f.drawFault(op)
	if fault != FaultNone && !fault.Processed() {
		f.mu.Unlock()
		return nil, nil, faultError(fault, plan, op, conv)
	}
	c, ok := f.convs[conv.ID]
	if !ok {
		f.mu.Unlock()
		return nil, nil, StatusError(http.StatusNotFound)
	}
	if c.Status == helpdesk.StatusClosed {
		f.mu.Unlock()
		return nil, nil, ClosedError()
	}
	return c, faultError(fault, plan, op, conv), nil
}

// addBotMessage stores a message of the bot in c. Called with f.mu held.
func (f *Fake) addBotMessage(c *FakeConversation, m FakeMessage) FakeMessage {
	f.seq++
	m.ID = "m" + strconv.Itoa(f.seq)
	m.Author = helpdesk.RoleBot
	c.Messages = append(c.Messages, m)
	f.storedAt[m.ID] = time.Now()
	return m
}

func randomKey() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "fake-" + hex.EncodeToString(b[:])
}

// SendMessage posts as a driver for a vendor that may fail a write after
// storing it: it reconciles (driver.Reconcile), reading the conversation
// back after an ambiguous failure before it sends again.
func (d *fakeDriver) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	if !msg.Internal && conv.Get(ExtraReplyWindow) == "closed" {
		return nil, fmt.Errorf("%s: conversation %s: %w", FakeVendor, conv.ID, helpdesk.ErrReplyWindowClosed)
	}
	key, hostKey := msg.IdempotencyKey, ""
	if key == "" {
		key = randomKey()
	} else {
		hostKey = conv.ID + "|" + key
	}
	r, err := driver.Reconcile(ctx, &d.rec, driver.Write[*helpdesk.Receipt]{
		Key: hostKey,
		Send: func(ctx context.Context) (*helpdesk.Receipt, error) {
			r, err := d.post(ctx, conv, msg, key)
			if err == nil {
				d.rec.Posted(r.MessageID)
			}
			return r, err
		},
		Find: func(ctx context.Context, since time.Time) (*helpdesk.Receipt, bool, error) {
			return d.find(ctx, conv, msg, since)
		},
	})
	return r, unqueue(err)
}

// post is one attempt of SendMessage: the vendor's side of the write.
func (d *fakeDriver) post(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message, key string) (*helpdesk.Receipt, error) {
	c, after, err := d.begin(ctx, OpSendMessage, conv)
	if err != nil {
		return nil, err
	}
	f := d.f
	defer f.mu.Unlock()
	f.idem = append(f.idem, key)
	if r, ok := f.posted[key]; ok && !f.ignoreKeys {
		if after != nil {
			return nil, after
		}
		cp := *r
		return &cp, nil
	}
	if !msg.Internal && c.ReplyWindowClosed {
		return nil, &helpdesk.APIError{Vendor: FakeVendor, StatusCode: http.StatusUnprocessableEntity, Message: "reply window closed", Kind: helpdesk.ErrReplyWindowClosed}
	}
	m := FakeMessage{Text: msg.Text, Public: !msg.Internal, IdempotencyKey: key}
	for _, a := range msg.Attachments {
		m.Attachments = append(m.Attachments, a.URL)
	}
	m = f.addBotMessage(c, m)
	r := &helpdesk.Receipt{MessageID: m.ID}
	if msg.Resolve {
		c.Status = helpdesk.StatusResolved
		r.Resolved = true
	}
	cp := *r
	f.posted[key] = &cp
	if after != nil {
		return nil, after
	}
	return r, nil
}

// find reads conv back for msg, stored by the bot since since and not yet
// accounted for (driver.Reconciler.Claim).
func (d *fakeDriver) find(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message, since time.Time) (*helpdesk.Receipt, bool, error) {
	if err := d.wait(ctx); err != nil {
		return nil, false, err
	}
	f := d.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	c, ok := f.convs[conv.ID]
	if !ok {
		return nil, false, StatusError(http.StatusNotFound)
	}
	for _, m := range c.Messages {
		if m.Author != helpdesk.RoleBot || m.Text != msg.Text || m.Public == msg.Internal || len(m.Attachments) != len(msg.Attachments) {
			continue
		}
		if at, ok := f.storedAt[m.ID]; !ok || at.Before(since) {
			continue
		}
		if d.rec.Claim(m.ID) {
			return &helpdesk.Receipt{MessageID: m.ID, Resolved: msg.Resolve}, true, nil
		}
	}
	return nil, false, nil
}

// Resolve resolves conv. Resolving twice changes nothing, so a retry
// after a fault that struck once the write was applied is harmless.
func (d *fakeDriver) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	c, after, err := d.begin(ctx, OpResolve, conv)
	if err != nil {
		return unqueue(err)
	}
	c.Status = helpdesk.StatusResolved
	d.f.mu.Unlock()
	return after
}

// Reassign moves conv, posting the note and the notice in the same write.
// It is not reconciled: after a fault that struck once the write was
// applied, a retry posts the notice again, as with most vendors.
func (d *fakeDriver) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	c, after, err := d.begin(ctx, OpReassign, conv)
	if err != nil {
		return unqueue(err)
	}
	f := d.f
	defer f.mu.Unlock()
	if to.Kind == helpdesk.TargetGroup {
		c.GroupID, c.AgentID = to.ID, ""
	} else {
		c.AgentID = to.ID
	}
	if c.Status == helpdesk.StatusResolved || c.Status == helpdesk.StatusPending {
		c.Status = helpdesk.StatusOpen
	}
	var stored []FakeMessage
	if to.Note != "" && f.caps.Has(helpdesk.CapInternalNote) {
		stored = append(stored, f.addBotMessage(c, FakeMessage{Text: to.Note}))
	}
	if to.Notice != "" {
		stored = append(stored, f.addBotMessage(c, FakeMessage{Text: to.Notice, Public: true}))
	}
	if after != nil {
		return after
	}
	for _, m := range stored {
		d.rec.Posted(m.ID)
	}
	return nil
}

func (d *fakeDriver) VerifyWebhook(req *helpdesk.WebhookRequest) error {
	_, err := d.verifier.Verify(req, FakeScheme)
	return err
}

func (d *fakeDriver) ParseWebhook(_ context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	// The Content-Type the Fake sends needs no parsing.
	if req.Header.Get("Content-Type") != "application/json" {
		if err := req.RequireJSON(); err != nil {
			return nil, err
		}
	}
	events, err := decodeDelivery(req.Body)
	if err != nil {
		return nil, driver.InvalidPayload("malformed JSON: %v", err)
	}
	if events == nil {
		return nil, driver.InvalidPayload("no events array")
	}
	for i := range events {
		e := &events[i]
		if e.Type == "" || e.Conversation.ID == "" {
			return nil, driver.InvalidPayload("events[%d]: missing type or conversation id", i)
		}
		if e.Type == helpdesk.EventMessageCreated && e.Message == nil {
			return nil, driver.InvalidPayload("events[%d]: message event without message", i)
		}
		e.Conversation.Vendor = FakeVendor
		if e.Message != nil && e.Message.Author.ID == d.f.botID {
			e.Message.Author.Self = true
			e.Message.Author.Role = helpdesk.RoleBot
		}
	}
	return events, nil
}
