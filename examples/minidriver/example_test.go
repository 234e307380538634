package minidriver_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/agentdesk/agentdesk/examples/minidriver"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// A bot that answers every customer reply on Minidesk and hands the ticket
// to the billing team when it cannot.
func Example() {
	md, err := minidriver.New(minidriver.Config{
		BaseURL:        "https://acme.minidesk.example",
		APIToken:       "mdk_live_...",
		BotAgentID:     "1",
		WebhookSecrets: []string{"whsec_new", "whsec_old"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	handler, err := helpdesk.NewWebhookHandler(md, func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() {
			return nil
		}
		_, err := md.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: "Thanks, looking into it."})
		if errors.Is(err, helpdesk.ErrConversationClosed) {
			return nil // an agent closed it meanwhile
		}
		if err != nil {
			return md.Reassign(ctx, e.Conversation, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "10",
				Notice: "A colleague will take over.", Note: "The bot could not answer: " + err.Error()})
		}
		return nil
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/webhooks/minidesk", handler)
	fmt.Println(md.Capabilities())
	// Output: send,internal-note,resolve,reassign-group,reassign-agent,webhooks
}

// Config problems are all reported at once.
func ExampleConfig_Validate() {
	err := minidriver.Config{BaseURL: "acme.minidesk.example", BotAgentID: "bot"}.Validate()
	fmt.Println(errors.Is(err, minidriver.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// minidesk: invalid config: BaseURL: must be an absolute http(s) URL; APIToken: required; BotAgentID: must be the bot user's numeric id; WebhookSecrets: at least one signing secret is required
}
