package helpdesktest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// escalateOnRateLimit is the kind of bot logic a team unit-tests: it
// answers, and when the helpdesk is rate limited it leaves the conversation
// to a human instead of retrying.
func escalateOnRateLimit(ctx context.Context, hd helpdesk.Helpdesk, conv helpdesk.Conversation, answer string) error {
	_, err := hd.SendMessage(ctx, conv, helpdesk.Message{Text: answer})
	if errors.Is(err, helpdesk.ErrRateLimited) {
		return hd.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2"})
	}
	return err
}

// Testing a bot with the Fake: make the helpdesk fail the way a vendor does
// and check what the bot did.
func ExampleFake() {
	fake := helpdesktest.NewFake()
	conv := fake.Open("100", helpdesk.ChannelEmail)
	fake.FailNextWithStatus(helpdesktest.OpSendMessage, http.StatusTooManyRequests)

	err := escalateOnRateLimit(context.Background(), fake, conv, "Here is how to reset your password.")
	fmt.Println("error:", err)
	for _, c := range fake.Calls() {
		fmt.Println(c.Op, errors.Is(c.Err, helpdesk.ErrRateLimited))
	}
	st, _ := fake.Conversation("100")
	fmt.Println("group:", st.GroupID)
	// Output:
	// error: <nil>
	// SendMessage true
	// Reassign false
	// group: n2
}

// answerInParts is bot logic a team tests under faults: a long answer goes
// out in paragraphs, and a failed answer is retried with the same
// idempotency key, so that helpdesk.Reply sends only the missing parts.
func answerInParts(ctx context.Context, hd helpdesk.Helpdesk, conv helpdesk.Conversation, answer string) error {
	opts := helpdesk.ReplyOptions{
		Splitter:       helpdesk.SplitterFunc(func(s string) ([]string, error) { return strings.Split(s, "\n\n"), nil }),
		IdempotencyKey: "answer-to-" + conv.ID,
		Store:          helpdesk.NewMemoryReplyStore(0),
	}
	var err error
	for range 3 {
		if _, err = helpdesk.Reply(ctx, hd, conv, answer, opts); err == nil {
			return nil
		}
	}
	return err
}

// Testing a bot under vendor faults: half the writes fail, before or after
// the Fake stored them (WithIdempotencyKeysIgnored: like most helpdesks,
// it does not deduplicate messages by key). The customer still gets every
// part once, in order.
func ExampleFake_InjectFaults() {
	fake := helpdesktest.NewFake(helpdesktest.WithIdempotencyKeysIgnored())
	conv := fake.Open("200", helpdesk.ChannelWebChat)
	fake.InjectFaults(helpdesktest.FaultPlan{Rate: 0.5, Seed: 19})

	err := answerInParts(context.Background(), fake, conv,
		"Your order shipped on Monday.\n\nIt should arrive by Thursday.\n\nReply here if it does not.")
	fmt.Println("error:", err)
	st, _ := fake.Conversation("200")
	for _, m := range st.Messages {
		fmt.Println(m.Text)
	}
	fmt.Println("faults:", fake.InjectedFaults())
	// Output:
	// error: <nil>
	// Your order shipped on Monday.
	// It should arrive by Thursday.
	// Reply here if it does not.
	// faults: map[429:1 503-before:1 500-before:1 timeout-before:1 timeout-after:1]
}
