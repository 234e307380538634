package driver

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// LimitConversation is the budget.PerKey prefix of the per-conversation
// guard.
const LimitConversation = "conversation"

// Options configures New.
type Options struct {
	// ConversationLimit is the per-conversation guard: how many writes the
	// bot may make into one conversation per window (a message, a
	// resolve, a handover, and each notice and note of a handover count
	// one each). Zero Count turns the guard off. Drivers set it from their
	// vendor's per-conversation limit (Zendesk: 30 updates per ticket in
	// 10 minutes; Chatwoot: 200 messages a minute) and let users change
	// it. The guard is in-process: one conversation's events are handled
	// in order by one replica at a time (helpdesk.WebhookHandler), so a
	// runaway loop is stopped where it runs. A write the guard would hold
	// past the context's deadline fails at once with an error matching
	// helpdesk.ErrRateLimited, without a request.
	ConversationLimit budget.Limit
}

// Portable is the helpdesk.Helpdesk every driver returns: it applies the
// shared rules (see the package documentation) and calls the Driver. It is
// safe for concurrent use when the Driver is.
type Portable struct {
	d     Driver
	caps  helpdesk.Capabilities
	guard transport.Budget // nil without a guard
}

var _ helpdesk.Helpdesk = (*Portable)(nil)

// New wraps d. It returns an error only for an invalid Options.
func New(d Driver, opts *Options) (*Portable, error) {
	if d == nil {
		return nil, errors.New("driver: New: nil Driver")
	}
	p := &Portable{d: d, caps: d.Capabilities()}
	if _, ok := d.(ConversationCreator); p.caps.Has(helpdesk.CapCreateConversation) && !ok {
		return nil, errors.New("driver: " + d.Vendor() + " declares create-conversation but does not implement ConversationCreator")
	}
	if opts != nil && opts.ConversationLimit.Count != 0 {
		l := opts.ConversationLimit
		if l.Count < 0 || l.Window <= 0 {
			return nil, errors.New("driver: ConversationLimit needs a positive Count and Window")
		}
		idle := 2 * l.Window
		if idle < 10*time.Minute {
			idle = 10 * time.Minute
		}
		vendor := d.Vendor()
		g, err := budget.NewPerKey(LimitConversation, idle, func(key string) (transport.Budget, error) {
			return budget.NewLocal(vendor+":"+LimitConversation+":"+key, []budget.Limit{l})
		})
		if err != nil {
			return nil, err
		}
		p.guard = g
	}
	return p, nil
}

// Driver returns the wrapped driver (for driver authors' tests).
func (p *Portable) Driver() Driver { return p.d }

// Capabilities implements helpdesk.Helpdesk.
func (p *Portable) Capabilities() helpdesk.Capabilities { return p.caps }

// As implements the escape hatch helpdesk.As uses.
func (p *Portable) As(i any) bool { return p.d.As(i) }

// ErrorAs implements the escape hatch helpdesk.ErrorAs uses.
func (p *Portable) ErrorAs(err error, i any) bool {
	if err == nil || i == nil {
		return false
	}
	return p.d.ErrorAs(err, i)
}

func (p *Portable) wrap(op helpdesk.Op, conv helpdesk.Conversation, err error) error {
	if err == nil {
		return nil
	}
	var oe *helpdesk.OpError
	if errors.As(err, &oe) {
		return err
	}
	return &helpdesk.OpError{Op: op, Vendor: p.d.Vendor(), Conversation: conv.ID, Err: err}
}

func (p *Portable) unsupported(what string) error {
	return Unsupported(p.d.Vendor(), what)
}

// checkConversation applies the shared and the driver's checks.
func (p *Portable) checkConversation(conv helpdesk.Conversation) error {
	if strings.TrimSpace(conv.ID) == "" {
		return &helpdesk.FieldError{Field: "conversation.id", Problem: "empty conversation id"}
	}
	if conv.Vendor != "" && conv.Vendor != p.d.Vendor() {
		return &helpdesk.FieldError{Field: "conversation.vendor", Problem: "conversation belongs to " + strconv.Quote(conv.Vendor) + ", not " + p.d.Vendor()}
	}
	if cc, ok := p.d.(ConversationChecker); ok {
		return cc.CheckConversation(conv)
	}
	return nil
}

// admit takes n writes from the conversation's guard.
func (p *Portable) admit(ctx context.Context, conv helpdesk.Conversation, prio transport.Priority, n int) error {
	if p.guard == nil {
		return nil
	}
	call := transport.Call{Method: "GUARD", Path: conv.Key(), Priority: prio, Limits: []string{budget.KeyedLimit(LimitConversation, conv.Key())}}
	for range n {
		if err := p.guard.Wait(ctx, call); err != nil {
			return err
		}
	}
	return nil
}

// SendMessage implements helpdesk.Helpdesk.
func (p *Portable) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	if !msg.EarlierAttempt.IsZero() {
		ctx = context.WithValue(ctx, earlierAttemptKey{}, msg.EarlierAttempt)
	}
	rcpt, err := p.sendMessage(ctx, conv, msg)
	return rcpt, p.wrap(helpdesk.OpSendMessage, conv, err)
}

func (p *Portable) sendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case msg.Internal && !p.caps.Has(helpdesk.CapInternalNote):
		return nil, p.unsupported("internal notes")
	case !msg.Internal && !p.caps.Has(helpdesk.CapSendMessage):
		return nil, p.unsupported("sending messages")
	case len(msg.Attachments) > 0 && !p.caps.Has(helpdesk.CapAttachments):
		return nil, p.unsupported("attachments")
	case msg.Resolve && !p.caps.Has(helpdesk.CapResolve) && !p.caps.Has(helpdesk.CapResolveWithMessage):
		return nil, p.unsupported("resolving")
	}
	if strings.TrimSpace(msg.Text) == "" && len(msg.Attachments) == 0 {
		return nil, &helpdesk.FieldError{Field: "text", Problem: "empty message"}
	}
	for i, a := range msg.Attachments {
		if strings.TrimSpace(a.URL) == "" {
			return nil, &helpdesk.FieldError{Field: "attachments[" + strconv.Itoa(i) + "].url", Problem: "empty URL"}
		}
	}
	if err := p.checkConversation(conv); err != nil {
		return nil, err
	}
	oneShot := !msg.Resolve || p.caps.Has(helpdesk.CapResolveWithMessage)
	prio := transport.PriorityNormal
	if msg.Resolve {
		prio = transport.PriorityCritical
	}
	writes := 1
	if !oneShot {
		writes = 2
	}
	if err := p.admit(ctx, conv, prio, writes); err != nil {
		return nil, err
	}
	if oneShot {
		return p.d.SendMessage(ctx, conv, msg)
	}
	msg.Resolve = false
	rcpt, err := p.d.SendMessage(ctx, conv, msg)
	if err != nil {
		return rcpt, err
	}
	if rcpt == nil {
		rcpt = &helpdesk.Receipt{}
	}
	if err := ctx.Err(); err != nil {
		return rcpt, &helpdesk.ResolveAfterReplyError{Err: err}
	}
	if err := p.d.Resolve(ctx, conv); err != nil {
		return rcpt, &helpdesk.ResolveAfterReplyError{Err: err}
	}
	rcpt.Resolved = true
	return rcpt, nil
}

// Resolve implements helpdesk.Helpdesk.
func (p *Portable) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	return p.wrap(helpdesk.OpResolve, conv, p.resolve(ctx, conv))
}

func (p *Portable) resolve(ctx context.Context, conv helpdesk.Conversation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !p.caps.Has(helpdesk.CapResolve) {
		return p.unsupported("resolving")
	}
	if err := p.checkConversation(conv); err != nil {
		return err
	}
	if err := p.admit(ctx, conv, transport.PriorityCritical, 1); err != nil {
		return err
	}
	return p.d.Resolve(ctx, conv)
}

// Reassign implements helpdesk.Helpdesk.
func (p *Portable) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	return p.wrap(helpdesk.OpReassign, conv, p.reassign(ctx, conv, to))
}

func (p *Portable) reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := to.Validate(); err != nil {
		return err
	}
	need, what := helpdesk.CapReassignGroup, "handing over to a group"
	if to.Kind == helpdesk.TargetAgent {
		need, what = helpdesk.CapReassignAgent, "handing over to an agent"
	}
	if !p.caps.Has(need) {
		return p.unsupported(what)
	}
	if tc, ok := p.d.(TargetChecker); ok {
		if err := tc.CheckTarget(to); err != nil {
			return err
		}
	}
	if err := p.checkConversation(conv); err != nil {
		return err
	}
	writes := 1
	if to.Notice != "" {
		writes++
	}
	if to.Note != "" {
		writes++
	}
	if err := p.admit(ctx, conv, transport.PriorityCritical, writes); err != nil {
		return err
	}
	return p.d.Reassign(ctx, conv, to)
}

// ParseWebhook implements helpdesk.Helpdesk: VerifyWebhook, then
// ParseWebhook.
func (p *Portable) ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	events, err := p.parseWebhook(ctx, req)
	if err != nil {
		return nil, p.wrap(helpdesk.OpParseWebhook, helpdesk.Conversation{}, err)
	}
	return events, nil
}

func (p *Portable) parseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !p.caps.Has(helpdesk.CapWebhooks) {
		return nil, p.unsupported("webhooks")
	}
	if req == nil {
		return nil, InvalidPayload("no request")
	}
	if len(req.Body) == 0 {
		return nil, InvalidPayload("empty body")
	}
	if err := p.d.VerifyWebhook(req); err != nil {
		if !errors.Is(err, helpdesk.ErrInvalidSignature) && !errors.Is(err, helpdesk.ErrInvalidPayload) {
			// A verifier that fails for another reason still must not
			// let the delivery through, nor make the vendor retry a
			// forgery forever.
			return nil, &helpdesk.WebhookError{Kind: helpdesk.ErrSignatureMismatch, Reason: err.Error(), Status: 401}
		}
		return nil, err
	}
	return p.d.ParseWebhook(ctx, req)
}

// CreateConversation implements helpdesk.ConversationCreator: it opens a
// conversation where the driver declares helpdesk.CapCreateConversation
// and implements ConversationCreator, and fails with
// helpdesk.ErrUnsupported otherwise, without a request.
func (p *Portable) CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	conv, err := p.createConversation(ctx, req)
	return conv, p.wrap(helpdesk.OpCreateConversation, conv, err)
}

func (p *Portable) createConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	if err := ctx.Err(); err != nil {
		return helpdesk.Conversation{}, err
	}
	cc, ok := p.d.(ConversationCreator)
	if !ok || !p.caps.Has(helpdesk.CapCreateConversation) {
		return helpdesk.Conversation{}, p.unsupported("opening conversations")
	}
	if err := req.Validate(); err != nil {
		return helpdesk.Conversation{}, err
	}
	conv, err := cc.CreateConversation(ctx, req)
	if err != nil {
		return conv, err
	}
	if strings.TrimSpace(conv.ID) == "" {
		return conv, errors.New("driver: CreateConversation returned a conversation without an id")
	}
	if conv.Vendor == "" {
		conv.Vendor = p.d.Vendor()
	}
	return conv, nil
}
