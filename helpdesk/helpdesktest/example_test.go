package helpdesktest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

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
