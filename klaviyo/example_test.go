package klaviyo_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/klaviyo"
)

// Opened Ticket, Resolved Ticket, Bot Replied and Handed Over to Human
// reach Klaviyo from any helpdesk: wrap the helpdesk the bot acts on and
// tap the webhook stream it reads.
func ExampleMetrics() {
	kl, err := klaviyo.New(klaviyo.Config{APIKey: "pk_..."}, nil)
	if err != nil {
		log.Fatal(err)
	}
	metrics, err := klaviyo.NewMetrics(kl, &klaviyo.MetricsOptions{Tags: []string{"agentdesk"}})
	if err != nil {
		log.Fatal(err)
	}
	defer metrics.Close(context.Background()) // flushes what is waiting

	var desk helpdesk.Helpdesk = helpdesktest.NewFake() // zendesk.New(...), intercom.New(...)
	desk = metrics.Wrap(desk)
	handler, err := helpdesk.NewWebhookHandler(desk, metrics.Tap(func(ctx context.Context, e helpdesk.Event) error {
		if e.IsCustomerMessage() {
			_, err := desk.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: "Thanks, checking now."})
			return err
		}
		return nil
	}), nil)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux() // or http.DefaultServeMux
	mux.Handle("/webhooks/helpdesk", handler)
	fmt.Println(metrics.Stats().Pending)
	// Output: 0
}

// A bot that answers customers' texts, leaving subscription keywords to
// Klaviyo.
func ExampleClient() {
	kl, err := klaviyo.New(klaviyo.Config{
		APIKey:         "pk_...",
		WebhookSecrets: []string{"the webhook's secret_key"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	handler, err := helpdesk.NewWebhookHandler(kl, func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() || klaviyo.IsKeyword(e.Message.Text) {
			return nil // the bot's own echo, or STOP/JOIN/HELP: Klaviyo answers
		}
		_, err := kl.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: "Hi! How can I help?"})
		return err
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/klaviyo", handler)
	fmt.Println(kl.Capabilities())
	// Output: send,webhooks
}

// Customers' texts become tickets in a helpdesk, and agents' public
// replies go back by SMS, as Klaviyo's Zendesk integration does.
func ExampleBridge() {
	kl, err := klaviyo.New(klaviyo.Config{APIKey: "pk_...", WebhookSecrets: []string{"the webhook's secret_key"}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	desk := helpdesktest.NewFake() // zendesk.New(...): any driver with CapCreateConversation
	bridge, err := klaviyo.NewBridge(kl, desk, &klaviyo.BridgeOptions{Keywords: []string{"VIP"}})
	if err != nil {
		log.Fatal(err)
	}
	smsHooks, err := helpdesk.NewWebhookHandler(kl, bridge.HandleSMS, nil)
	if err != nil {
		log.Fatal(err)
	}
	deskHooks, err := helpdesk.NewWebhookHandler(desk, bridge.HandleDesk, nil)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/klaviyo", smsHooks)
	mux.Handle("/webhooks/helpdesk", deskHooks)
	fmt.Println(klaviyo.DefaultBridgeTags)
	// Output: [sms klaviyo]
}

// Configuration problems are all reported at once, without a request.
func ExampleConfig_Validate() {
	err := klaviyo.Config{APIKey: "AbC123", Revision: "2024-02-15"}.Validate()
	fmt.Println(err)
	// Output:
	// klaviyo: invalid config: APIKey: looks like a public API key (site id): server calls need a private API key starting with pk_; Revision: SMS replies need revision 2026-04-15 or later
}

// A reply keyed by the delivery it answers: when the handler fails and
// Klaviyo delivers the text again, Reply goes on where it stopped, and a
// text that may already have reached the customer is never sent twice.
// Reply sends the other parts and reports the unconfirmed ones.
func ExampleUnconfirmedError() {
	kl, err := klaviyo.New(klaviyo.Config{APIKey: "pk_...", WebhookSecrets: []string{"the webhook's secret_key"}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	handler, err := helpdesk.NewWebhookHandler(kl, func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() || klaviyo.IsKeyword(e.Message.Text) {
			return nil
		}
		_, err := helpdesk.Reply(ctx, kl, e.Conversation, "Your order left our warehouse today. It arrives on Friday.",
			helpdesk.ReplyOptions{IdempotencyKey: e.DeliveryID})
		var ue *klaviyo.UnconfirmedError
		if errors.As(err, &ue) {
			// Klaviyo cannot say whether this text reached the customer;
			// every other part was sent, and no retry sends it again:
			// tell someone rather than fail the event.
			log.Printf("text %d of %d to %s unconfirmed: %v", ue.Part, ue.Parts, ue.Conversation, ue.Err)
			return nil
		}
		return err
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/klaviyo", handler)
}
