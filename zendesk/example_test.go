package zendesk_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// botHandler is the bot of the examples: it answers customer messages,
// resolves with its final answer, and escalates to the N2 group when the
// customer asks for a person.
func botHandler(client *zendesk.Client, n2GroupID int64) helpdesk.EventFunc {
	return func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() {
			return nil // the bot's own comments, internal notes, agents' replies
		}
		text := strings.ToLower(e.Message.Text)
		if strings.Contains(text, "human") || strings.Contains(text, "humano") {
			return client.Reassign(ctx, e.Conversation, helpdesk.Target{
				Kind:   helpdesk.TargetGroup,
				ID:     fmt.Sprint(n2GroupID),
				Notice: "A specialist will take over this ticket shortly.",
			})
		}
		// One comment and the solve in one request.
		_, err := client.SendMessage(ctx, e.Conversation, helpdesk.Message{
			Text:           "Your order shipped yesterday; tracking: https://track.example/123.",
			Resolve:        true,
			IdempotencyKey: e.DeliveryID, // a redelivered webhook cannot post twice
		})
		return err
	}
}

// A bot serving Zendesk trigger webhooks, configured from the environment.
func Example() {
	cfg, err := zendesk.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err) // every missing or malformed variable at once; secrets never printed
	}
	client, err := zendesk.New(cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	h, err := helpdesk.NewWebhookHandler(client, botHandler(client, cfg.N2GroupID), nil)
	if err != nil {
		log.Fatal(err)
	}
	// Paste zendesk.RecommendedTriggerBody into the trigger's webhook action.
	http.Handle("/webhooks/zendesk", h)
}

// Parsing a signed trigger delivery: the customer's comment is answered,
// the bot's own comment is recognised.
func ExampleClient_ParseWebhook() {
	client, err := zendesk.New(zendesk.Config{
		Subdomain: "acme", Email: "bot@acme.example", APIToken: "api-token",
		BotUserID: 9001, N2GroupID: 200, WebhookSecrets: []string{"whsec"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, author := range []string{"7001", "9001"} {
		body := zendesktest.TriggerBody(zendesk.TriggerPayload{
			TicketID: "4711", CommentID: "31234567890124", IsPublic: "true", Type: "Mail",
			Text:   "Where is my order?",
			Author: zendesk.TriggerUser{ID: author}, Sender: zendesk.TriggerUser{ID: "7001", Role: "End-user"},
		})
		req := zendesktest.NewTriggerWebhookRequest("whsec", body, time.Now(), "")
		events, err := client.ParseWebhook(context.Background(), req)
		if err != nil {
			log.Fatal(err)
		}
		e := events[0]
		fmt.Println(e.Conversation.ID, e.Message.Author.Role, "answer:", e.IsCustomerMessage())
	}
	// Output:
	// 4711 customer answer: true
	// 4711 bot answer: false
}

// Trigger bodies every value of which is a quoted placeholder.
func ExampleRecommendedTriggerBody() {
	fmt.Println(strings.Contains(zendesk.RecommendedTriggerBody, `"id": "{{ticket.latest_comment.author.id}}"`))
	// Output: true
}

// Reaching the Zendesk extras through the portable interface a bot holds.
func ExampleClient_As() {
	client, err := zendesk.New(zendesk.Config{
		Subdomain: "acme", Email: "bot@acme.example", APIToken: "api-token",
		BotUserID: 9001, N2GroupID: 200, WebhookSecrets: []string{"whsec"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	var h helpdesk.Helpdesk = client
	var zc *zendesk.Client
	if helpdesk.As(h, &zc) {
		fmt.Println(zc.Config().Subdomain) // zc.GetTicket, zc.ListGroups, ...
	}
	// Output: acme
}
