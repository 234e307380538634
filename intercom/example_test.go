package intercom_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/intercom"
)

// A bot that serves both Intercom entry points: topic webhooks and the
// Custom Action a Workflow calls for each customer message.
func Example() {
	cfg, err := intercom.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err) // every missing or malformed setting, at once
	}
	client, err := intercom.New(cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	n2, _ := client.N2()
	answer := func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() {
			return nil // the bot's own echo, notes, assignments...
		}
		if e.Message.Text == "human please" {
			n2.Note = "Customer asked for a human."
			return client.Reassign(ctx, e.Conversation, n2)
		}
		_, err := helpdesk.Reply(ctx, client, e.Conversation, "Thanks! Here is what I found...", helpdesk.ReplyOptions{})
		return err
	}
	// Queued mode answers Intercom at once (the bot replies through the
	// API, never in the webhook's or action's response).
	h, err := helpdesk.NewWebhookHandler(client, answer, &helpdesk.WebhookOptions{QueueSize: 1000})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Shutdown(context.Background())
	http.Handle("POST /webhooks/intercom", h)
	http.Handle("POST /actions/intercom", h)
	log.Fatal(http.ListenAndServe(":8080", nil))
}

func ExampleParseTeamID() {
	id, ok := intercom.ParseTeamID("https://app.intercom.com/a/inbox/abc123de/inbox/team/7286213")
	fmt.Println(id, ok)
	// Output: 7286213 true
}

func ExampleTextToHTML() {
	fmt.Println(intercom.TextToHTML("Hi <Maria>!\nSee https://example.com/help.\n\nBye"))
	// Output: <p>Hi &lt;Maria&gt;!<br>See <a href="https://example.com/help">https://example.com/help</a>.</p><p>Bye</p>
}

func ExampleClient_GetConversation() {
	client, err := intercom.New(intercom.Config{AccessToken: os.Getenv("INTERCOM_ACCESS_TOKEN"), ClientSecrets: []string{os.Getenv("INTERCOM_CLIENT_SECRET")}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	conv, err := client.GetConversation(context.Background(), helpdesk.Conversation{Vendor: intercom.Vendor, ID: "60000000101"})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range conv.Parts {
		fmt.Printf("%s: %s\n", p.Author.Role, p.Text)
	}
}
