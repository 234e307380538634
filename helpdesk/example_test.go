package helpdesk_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// A bot answers customer messages that arrive by webhook, and hands the
// conversation to the level-2 group when the customer asks for a human.
func Example() {
	var hd helpdesk.Helpdesk = helpdesktest.NewFake() // zendesk.New(...), cloudchat.New(...)
	n2 := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2", Notice: "A specialist will take over shortly."}

	handle := func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() {
			return nil // the bot's own echo, internal notes, status changes
		}
		if strings.Contains(strings.ToLower(e.Message.Text), "human") {
			return hd.Reassign(ctx, e.Conversation, n2)
		}
		_, err := hd.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: "Your order ships tomorrow."})
		return err
	}
	h, _ := helpdesk.NewWebhookHandler(hd, handle, nil)

	fake := hd.(*helpdesktest.Fake)
	conv := fake.Open("42", helpdesk.ChannelWhatsApp)
	for _, text := range []string{"Where is my order?", "I want a human"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, fake.Delivery(fake.CustomerWrites(conv, text)))
		fmt.Println(rec.Code)
	}
	for _, c := range fake.Calls() {
		fmt.Println(c)
	}
	// Output:
	// 200
	// 200
	// SendMessage(42, message "Your order ships tomorrow.")
	// Reassign(42, group:n2)
}

// Reply splits a long answer and sends the parts in order; the last part
// resolves the conversation.
func ExampleReply() {
	fake := helpdesktest.NewFake()
	conv := fake.Open("7", helpdesk.ChannelSMS)
	bySentence := helpdesk.SplitterFunc(func(s string) ([]string, error) {
		return strings.SplitAfter(s, ". "), nil
	})
	receipts, err := helpdesk.Reply(context.Background(), fake, conv,
		"Your refund was issued. It takes 5 days. Anything else?",
		helpdesk.ReplyOptions{Splitter: bySentence, Resolve: true})
	fmt.Println(len(receipts), err, receipts[len(receipts)-1].Resolved)
	// Output: 3 <nil> true
}
