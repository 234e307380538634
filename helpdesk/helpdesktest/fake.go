package helpdesktest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
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
}

// FakeMessage is one message in a FakeConversation.
type FakeMessage struct {
	ID     string
	Author helpdesk.Role
	Text   string
	Public bool
}

// Fake is an in-memory Helpdesk for the unit tests of code built on
// agentdesk. It records every call in order, lets a test inject customer
// messages and other events (as signed webhook deliveries its ParseWebhook
// accepts), can be told to fail calls the way vendors fail, and is safe for
// concurrent use. It passes RunConformance.
type Fake struct {
	mu       sync.Mutex
	caps     helpdesk.Capabilities
	botID    string
	secret   string
	convs    map[string]*FakeConversation
	calls    []Call
	failures map[Op][]error
	stall    time.Duration
	requests int
	seq      int
	now      func() time.Time
}

// FakeOption configures a Fake.
type FakeOption func(*Fake)

// WithCapabilities makes the Fake declare (and enforce) caps, to test a
// bot against a helpdesk that cannot, say, reassign.
func WithCapabilities(caps helpdesk.Capabilities) FakeOption {
	return func(f *Fake) { f.caps = caps }
}

// WithWebhookSecret sets the secret deliveries are signed with.
func WithWebhookSecret(secret string) FakeOption { return func(f *Fake) { f.secret = secret } }

// WithClock sets the clock used for event times.
func WithClock(now func() time.Time) FakeOption { return func(f *Fake) { f.now = now } }

// FakeVendor is the Vendor name of Fake conversations.
const FakeVendor = "fake"

// FakeSignatureHeader carries the hex HMAC-SHA256 of a Fake delivery.
const FakeSignatureHeader = "X-Fake-Signature"

// FakeBotID is the author id of the bot's own messages in the Fake.
const FakeBotID = "bot"

// NewFake returns an empty Fake with every capability.
func NewFake(opts ...FakeOption) *Fake {
	f := &Fake{
		caps:     helpdesk.AllCapabilities,
		botID:    FakeBotID,
		secret:   "fake-webhook-secret",
		convs:    map[string]*FakeConversation{},
		failures: map[Op][]error{},
		now:      time.Now,
	}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Capabilities implements helpdesk.Helpdesk.
func (f *Fake) Capabilities() helpdesk.Capabilities { return f.caps }

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
	cp.Messages = append([]FakeMessage(nil), c.Messages...)
	return cp, true
}

// Calls returns the recorded calls, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Requests returns how many calls would have reached a vendor (calls that
// failed locally, such as a cancelled context, are not counted).
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Reset forgets recorded calls (state is kept).
func (f *Fake) Reset() {
	f.mu.Lock()
	f.calls = nil
	f.requests = 0
	f.mu.Unlock()
}

// FailNext makes the next call of op return err. Several calls queue.
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
	e := &helpdesk.APIError{Vendor: FakeVendor, StatusCode: status, Message: http.StatusText(status), Kind: helpdesk.KindForStatus(status), RequestID: "fake-req"}
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

// Stall makes every call wait d (or until its context ends) first.
func (f *Fake) Stall(d time.Duration) {
	f.mu.Lock()
	f.stall = d
	f.mu.Unlock()
}

// Close marks a conversation closed: later updates fail with
// ErrConversationClosed, as closed Zendesk tickets do.
func (f *Fake) Close(id string) {
	f.mu.Lock()
	if c, ok := f.convs[id]; ok {
		c.Status = helpdesk.StatusClosed
	}
	f.mu.Unlock()
}

// begin waits out a stall, checks the context, takes an injected failure
// and counts the request. It returns the conversation (nil if unknown)
// with f.mu held on success.
func (f *Fake) begin(ctx context.Context, op Op, conv helpdesk.Conversation) (*FakeConversation, error) {
	f.mu.Lock()
	stall := f.stall
	f.mu.Unlock()
	if stall > 0 {
		t := time.NewTimer(stall)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.requests++
	if q := f.failures[op]; len(q) > 0 {
		err := q[0]
		f.failures[op] = q[1:]
		f.mu.Unlock()
		return nil, err
	}
	c, ok := f.convs[conv.ID]
	if !ok {
		f.mu.Unlock()
		return nil, StatusError(http.StatusNotFound)
	}
	if c.Status == helpdesk.StatusClosed {
		f.mu.Unlock()
		return nil, ClosedError()
	}
	return c, nil
}

func (f *Fake) record(c Call) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

// SendMessage implements helpdesk.Helpdesk.
func (f *Fake) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	m := msg
	rec := Call{Op: OpSendMessage, Conversation: conv, Message: &m}
	rcpt, err := f.send(ctx, conv, msg)
	rec.Err = err
	f.record(rec)
	return rcpt, err
}

func (f *Fake) send(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	if !f.caps.Has(helpdesk.CapSendMessage) || msg.Internal && !f.caps.Has(helpdesk.CapInternalNote) {
		return nil, helpdesk.Unsupported(FakeVendor, "SendMessage")
	}
	if len(msg.Attachments) > 0 && !f.caps.Has(helpdesk.CapAttachments) {
		return nil, helpdesk.Unsupported(FakeVendor, "attachments")
	}
	if msg.Resolve && !f.caps.Has(helpdesk.CapResolveWithMessage) {
		return nil, helpdesk.Unsupported(FakeVendor, "resolve with a message")
	}
	c, err := f.begin(ctx, OpSendMessage, conv)
	if err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	f.seq++
	id := "m" + strconv.Itoa(f.seq)
	c.Messages = append(c.Messages, FakeMessage{ID: id, Author: helpdesk.RoleBot, Text: msg.Text, Public: !msg.Internal})
	r := &helpdesk.Receipt{MessageID: id}
	if msg.Resolve {
		c.Status = helpdesk.StatusResolved
		r.Resolved = true
	}
	return r, nil
}

// Resolve implements helpdesk.Helpdesk.
func (f *Fake) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	err := f.resolve(ctx, conv)
	f.record(Call{Op: OpResolve, Conversation: conv, Err: err})
	return err
}

func (f *Fake) resolve(ctx context.Context, conv helpdesk.Conversation) error {
	if !f.caps.Has(helpdesk.CapResolve) {
		return helpdesk.Unsupported(FakeVendor, "Resolve")
	}
	c, err := f.begin(ctx, OpResolve, conv)
	if err != nil {
		return err
	}
	c.Status = helpdesk.StatusResolved
	f.mu.Unlock()
	return nil
}

// Reassign implements helpdesk.Helpdesk. A group target clears the
// assignee; the notice is posted as a public message and the note as an
// internal one, all as one request.
func (f *Fake) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	t := to
	err := f.reassign(ctx, conv, to)
	f.record(Call{Op: OpReassign, Conversation: conv, Target: &t, Err: err})
	return err
}

func (f *Fake) reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := to.Validate(); err != nil {
		return err
	}
	need := helpdesk.CapReassignGroup
	if to.Kind == helpdesk.TargetAgent {
		need = helpdesk.CapReassignAgent
	}
	if !f.caps.Has(need) {
		return helpdesk.Unsupported(FakeVendor, "Reassign to "+string(to.Kind))
	}
	c, err := f.begin(ctx, OpReassign, conv)
	if err != nil {
		return err
	}
	defer f.mu.Unlock()
	if to.Kind == helpdesk.TargetGroup {
		c.GroupID, c.AgentID = to.ID, ""
	} else {
		c.AgentID = to.ID
	}
	if c.Status == helpdesk.StatusResolved || c.Status == helpdesk.StatusPending {
		c.Status = helpdesk.StatusOpen
	}
	if to.Note != "" && f.caps.Has(helpdesk.CapInternalNote) {
		f.seq++
		c.Messages = append(c.Messages, FakeMessage{ID: "m" + strconv.Itoa(f.seq), Author: helpdesk.RoleBot, Text: to.Note})
	}
	if to.Notice != "" {
		f.seq++
		c.Messages = append(c.Messages, FakeMessage{ID: "m" + strconv.Itoa(f.seq), Author: helpdesk.RoleBot, Text: to.Notice, Public: true})
	}
	return nil
}

// fakeDelivery is the Fake's webhook body.
type fakeDelivery struct {
	Events []helpdesk.Event `json:"events"`
}

// ParseWebhook implements helpdesk.Helpdesk for deliveries built by
// Delivery: a JSON {"events":[...]} body signed with hex HMAC-SHA256 in
// FakeSignatureHeader.
func (f *Fake) ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if !f.caps.Has(helpdesk.CapWebhooks) {
		return nil, helpdesk.Unsupported(FakeVendor, "ParseWebhook")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := helpdesk.VerifyHMAC(sha256.New, helpdesk.Hex, []string{f.secret}, req.Header.Get(FakeSignatureHeader), req.Body); err != nil {
		return nil, err
	}
	if err := req.RequireJSON(); err != nil {
		return nil, err
	}
	var d fakeDelivery
	if err := json.Unmarshal(req.Body, &d); err != nil {
		return nil, helpdesk.InvalidPayload("malformed JSON: %v", err)
	}
	if d.Events == nil {
		return nil, helpdesk.InvalidPayload("no events array")
	}
	for i := range d.Events {
		e := &d.Events[i]
		if e.Type == "" || e.Conversation.ID == "" {
			return nil, helpdesk.InvalidPayload("events[%d]: missing type or conversation id", i)
		}
		if e.Type == helpdesk.EventMessageCreated && e.Message == nil {
			return nil, helpdesk.InvalidPayload("events[%d]: message event without message", i)
		}
		e.Conversation.Vendor = FakeVendor
		if e.Message != nil && e.Message.Author.ID == f.botID {
			e.Message.Author.Self = true
			e.Message.Author.Role = helpdesk.RoleBot
		}
		raw, _ := json.Marshal(e)
		e.Raw = raw
	}
	return d.Events, nil
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

// Delivery returns a signed webhook request carrying events, which the
// Fake's ParseWebhook (and a helpdesk.WebhookHandler around it) accepts.
func (f *Fake) Delivery(events ...helpdesk.Event) *http.Request {
	body, err := json.Marshal(fakeDelivery{Events: events})
	if err != nil {
		panic(err) // events are plain data; this cannot fail
	}
	return f.SignedRequest(body)
}

// SignedRequest returns a webhook request with body signed by the Fake's
// secret.
func (f *Fake) SignedRequest(body []byte) *http.Request {
	h := http.Header{}
	h.Set(FakeSignatureHeader, helpdesk.SignHMAC(sha256.New, helpdesk.Hex, f.secret, body))
	return SignedRequest(context.Background(), "/webhooks/fake", body, h)
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
