package cloudchat_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
	"github.com/agentdesk/agentdesk/helpdesk/split"
)

// A bot wired to Cloud Chat: configuration from the environment, webhooks
// in queued mode (Chatwoot hands the conversation to humans when a bot
// delivery takes more than 5 seconds), answers split per channel, and a
// hand-over to the N2 team.
func Example() {
	cfg, err := cloudchat.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err) // lists every missing or malformed variable, secrets never printed
	}
	client, err := cloudchat.New(cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	handle := func(ctx context.Context, e helpdesk.Event) error {
		if !cloudchat.BotShouldAnswer(e) {
			return nil // own echoes, notes, system lines, or already handed over
		}
		if strings.Contains(strings.ToLower(e.Message.Text), "human") {
			n2, _ := cfg.N2Target()
			n2.Notice = "A specialist will take over shortly."
			return client.Reassign(ctx, e.Conversation, n2)
		}
		s, err := split.New(cloudchat.SplitLimit(e.Conversation.Channel))
		if err != nil {
			return err
		}
		_, err = helpdesk.Reply(ctx, client, e.Conversation, "Thanks! Looking into it.", helpdesk.ReplyOptions{Splitter: s})
		return err
	}
	h, err := helpdesk.NewWebhookHandler(client, handle, &helpdesk.WebhookOptions{QueueSize: 1024})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/webhooks/cloudchat", h)
}

// Parsing a signed delivery: the customer's message is answered, the bot's
// own echo is not.
func ExampleClient_ParseWebhook() {
	client, err := cloudchat.New(cloudchat.Config{
		BaseURL: "https://chat.example.com", AccountID: 1, APIToken: "bot-token",
		BotID: 7, WebhookSecrets: []string{"whsec"}, ServerVersion: "4.15.1",
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	signer := &cloudchattest.Signer{Secret: "whsec"}
	conv := cloudchattest.ConversationRef{ID: 321, Channel: "Channel::Whatsapp"}
	for _, body := range [][]byte{
		cloudchattest.MessagePayload(cloudchattest.MessageEvent{ID: 1, Content: "Oi, meu pedido?", Conversation: conv,
			Sender: &cloudchattest.Sender{ID: 77, Name: "Maria"}}),
		cloudchattest.MessagePayload(cloudchattest.MessageEvent{ID: 2, Content: "Vou verificar.", MessageType: "outgoing", Conversation: conv,
			Sender: &cloudchattest.Sender{ID: 7, Name: "Bot", Type: "agent_bot"}}),
	} {
		r := signer.Request(body, "")
		req, _ := helpdesk.ReadWebhookRequest(nil, r, 0)
		events, err := client.ParseWebhook(context.Background(), req)
		if err != nil {
			log.Fatal(err)
		}
		e := events[0]
		fmt.Printf("%s %s by %s (self=%v): answer=%v\n", e.Conversation.Channel, e.Conversation.ID, e.Message.Author.Role, e.Message.Author.Self, cloudchat.BotShouldAnswer(e))
	}
	// Output:
	// whatsapp 321 by customer (self=false): answer=true
	// whatsapp 321 by bot (self=true): answer=false
}

func ExampleNormalizePhone() {
	for _, raw := range []string{"+55 (11) 6083-2431", "(11) 98765-4321", "+1 415 555 0100"} {
		p, err := cloudchat.NormalizePhone(raw, "55")
		fmt.Println(p, err)
	}
	// Output:
	// +5511960832431 <nil>
	// +5511987654321 <nil>
	// +14155550100 <nil>
}

// A host that holds only a helpdesk.Helpdesk reaches the Cloud Chat extras
// (templates, labels, contacts, teams) with helpdesk.As, and the driver's
// own errors with errors.As.
func ExampleClient_As() {
	var h helpdesk.Helpdesk
	client, err := cloudchat.New(cloudchat.Config{
		BaseURL: "https://chat.example.com", AccountID: 1, APIToken: "bot-token",
		BotID: 7, WebhookSecrets: []string{"whsec"}, ServerVersion: "4.15.1",
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	h = client

	var cc *cloudchat.Client
	fmt.Println(helpdesk.As(h, &cc), cc.Config().AccountID)

	// Refused before any request: 5000 characters do not fit a WhatsApp message.
	conv := helpdesk.Conversation{Vendor: cloudchat.Vendor, Account: "1", ID: "321", Channel: helpdesk.ChannelWhatsApp}
	_, err = h.SendMessage(context.Background(), conv, helpdesk.Message{Text: strings.Repeat("a", 5000)})
	var tl *cloudchat.TooLongError
	if errors.As(err, &tl) {
		fmt.Println(tl.Limit, tl.Unit, cloudchat.SplitLimit(conv.Channel))
	}
	// Output:
	// true 1
	// 4096 runes 4096 runes
}

// Replicas that call one Cloud Chat instance from one address share
// Chatwoot's 3000 requests a minute: give them one budget on Redis, built
// from the driver's limits, key and header reader.
func ExampleNew_sharedBudget() {
	cfg, err := cloudchat.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")})
	shared, err := redisbudget.New(context.Background(), rdb, cfg.BudgetKey(), cloudchat.DefaultLimits(),
		budget.WithHeaders(cloudchat.Headers), // a 429 pauses every replica until the next minute
		budget.WithReplicas(4))                // without Redis, each replica takes a quarter
	if err != nil {
		log.Fatal(err)
	}
	client, err := cloudchat.New(cfg, &cloudchat.Options{Budget: shared})
	if err != nil {
		log.Fatal(err)
	}
	_ = client
}
