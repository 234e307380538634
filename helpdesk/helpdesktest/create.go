package helpdesktest

import (
	"context"
	"strconv"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// OpCreateConversation is CreateConversation, for recorded calls and
// injected failures.
const OpCreateConversation Op = "CreateConversation"

// CreateConversation implements helpdesk.ConversationCreator: it opens a
// conversation requested by req.Requester, with req.Text as the customer's
// first message, assigned to the bot. With the same IdempotencyKey it
// returns the conversation opened the first time.
func (f *Fake) CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	conv, err := f.p.CreateConversation(ctx, req)
	f.record(Call{Op: OpCreateConversation, Conversation: conv, Err: err})
	return conv, err
}

func (d *fakeDriver) CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	f := d.f
	if err := ctx.Err(); err != nil {
		return helpdesk.Conversation{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if q := f.failures[OpCreateConversation]; len(q) > 0 {
		err := q[0]
		f.failures[OpCreateConversation] = q[1:]
		return helpdesk.Conversation{}, err
	}
	fault, plan := f.drawFault(OpCreateConversation)
	if fault != FaultNone && !fault.Processed() {
		return helpdesk.Conversation{}, faultError(fault, plan, OpCreateConversation, helpdesk.Conversation{})
	}
	if req.IdempotencyKey != "" {
		if id, ok := f.created[req.IdempotencyKey]; ok {
			if err := faultError(fault, plan, OpCreateConversation, f.convs[id].Conversation); err != nil {
				return helpdesk.Conversation{}, err
			}
			return f.convs[id].Conversation, nil
		}
	}
	f.seq++
	id := strconv.Itoa(1000 + f.seq)
	conv := helpdesk.Conversation{Vendor: FakeVendor, ID: id, Channel: req.Channel}
	fc := &FakeConversation{Conversation: conv, Status: helpdesk.StatusOpen, AgentID: f.botID, Tags: append([]string(nil), req.Tags...)}
	f.seq++
	fc.Messages = append(fc.Messages, FakeMessage{ID: "m" + strconv.Itoa(f.seq), Author: helpdesk.RoleCustomer, Text: req.Text, Public: true})
	f.convs[id] = fc
	if req.IdempotencyKey != "" {
		if f.created == nil {
			f.created = map[string]string{}
		}
		f.created[req.IdempotencyKey] = id
	}
	if err := faultError(fault, plan, OpCreateConversation, conv); err != nil {
		// The conversation exists, but the caller is not told: a retry
		// with the same IdempotencyKey finds it, one without opens another.
		return helpdesk.Conversation{}, err
	}
	return conv, nil
}

// withoutCreate masks CapCreateConversation of a driver that does not
// implement driver.ConversationCreator.
type withoutCreate struct{ driver.Driver }

func (w withoutCreate) Capabilities() helpdesk.Capabilities {
	return w.Driver.Capabilities() &^ helpdesk.Capabilities(helpdesk.CapCreateConversation)
}
