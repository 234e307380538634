package lifecycle_test

import (
	"context"
	"log"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/lifecycle"
)

// The seed's timers: re-engage a silent customer after 5 minutes, close
// the conversation 35 minutes after that follow-up.
func Example() {
	var client helpdesk.Helpdesk = helpdesktest.NewFake() // zendesk.New, intercom.New, ...
	s, err := lifecycle.New(client, lifecycle.Config{
		Reengage:  &lifecycle.Reengage{After: 5 * time.Minute, Message: "Are you still there?"},
		AutoClose: &lifecycle.AutoClose{After: 35 * time.Minute, Message: "I'm closing this chat; write again any time."},
		OnError:   func(_ context.Context, f *lifecycle.Failure) { log.Print(f) },
	})
	if err != nil {
		log.Fatal(err)
	}
	bot := s.Helpdesk() // the bot answers through it: each answer starts the timers
	onEvent := s.Middleware(func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() {
			return nil
		}
		_, err := bot.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: "Here is what I found."})
		return err
	})
	_, _ = helpdesk.NewWebhookHandler(client, onEvent, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = s.Run(ctx) }()
}
