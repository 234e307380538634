package lifecycle

import (
	"context"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Helpdesk returns the helpdesk the bot should use: the one given to New,
// with each of the bot's actions updating the conversation's timers. A
// public message starts re-engage (or auto-close); a message that
// resolves, or Resolve, starts solved → closed; Reassign (a handover)
// cancels. Internal notes change nothing. As and ErrorAs reach the
// wrapped helpdesk's.
func (s *Scheduler) Helpdesk() helpdesk.Helpdesk { return wrapped{s} }

type wrapped struct{ s *Scheduler }

func (w wrapped) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	rc, err := w.s.h.SendMessage(ctx, conv, msg)
	if msg.Internal || rc == nil {
		return rc, err
	}
	var terr error
	if rc.Resolved {
		terr = w.s.Resolved(ctx, conv)
	} else {
		terr = w.s.Answered(ctx, conv)
	}
	w.s.logTimerErr(ctx, conv, terr)
	return rc, err
}

func (w wrapped) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	err := w.s.h.Resolve(ctx, conv)
	if err == nil {
		w.s.logTimerErr(ctx, conv, w.s.Resolved(ctx, conv))
	}
	return err
}

func (w wrapped) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	err := w.s.h.Reassign(ctx, conv, to)
	if err == nil {
		w.s.logTimerErr(ctx, conv, w.s.Cancel(ctx, conv))
	}
	return err
}

func (w wrapped) ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	return w.s.h.ParseWebhook(ctx, req)
}

func (w wrapped) Capabilities() helpdesk.Capabilities { return w.s.h.Capabilities() }

// As reaches the wrapped helpdesk's As (the vendor client).
func (w wrapped) As(i any) bool { return helpdesk.As(w.s.h, i) }

// ErrorAs reaches the wrapped helpdesk's ErrorAs.
func (w wrapped) ErrorAs(err error, i any) bool { return helpdesk.ErrorAs(w.s.h, err, i) }

func (s *Scheduler) logTimerErr(ctx context.Context, conv helpdesk.Conversation, err error) {
	if err != nil {
		s.log.WarnContext(ctx, "lifecycle: timers not updated", "conversation", conv.Key(), "err", err)
	}
}
