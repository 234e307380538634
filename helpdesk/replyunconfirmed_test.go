package helpdesk_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// unconfirming leaves the parts it is told to (by text) unconfirmed, the
// way a driver whose vendor can neither be read back nor take a key
// reports a write that may have landed: the part may or may not reach the
// customer (here: it does when landed is true), and the error matches
// helpdesk.ErrUnconfirmed.
type unconfirming struct {
	helpdesk.Helpdesk
	texts  map[string]bool // text -> landed
	sends  []string
	failed int
}

func (u *unconfirming) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	u.sends = append(u.sends, msg.Text)
	landed, ok := u.texts[msg.Text]
	if !ok {
		return u.Helpdesk.SendMessage(ctx, conv, msg)
	}
	delete(u.texts, msg.Text)
	u.failed++
	if landed {
		msg.Resolve = false // the driver resolves only after a confirmed send
		if _, err := u.Helpdesk.SendMessage(ctx, conv, msg); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("vendor timeout after the request was written: %w", helpdesk.ErrUnconfirmed)
}

// A part the driver cannot confirm is settled: Reply stops after it (a
// helpdesk failing now would likely fail the next part the same way), the
// host's retry sends the rest and never that part, on another replica
// sharing the progress store too, and once the reply is complete every
// call reports which part it was.
func TestReplyStopsAfterAnUnconfirmedPartAndNeverResendsIt(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	store := helpdesk.NewMemoryReplyStore(0)
	a := &unconfirming{Helpdesk: f, texts: map[string]bool{"two": false}}
	opts := helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "answer-1", Store: store}

	rc, err := helpdesk.Reply(context.Background(), a, conv, "x", opts)
	var pe *helpdesk.PartialSendError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 2, pe.Delivered, "the unconfirmed part counts as delivered")
	require.ErrorIs(t, err, helpdesk.ErrUnconfirmed)
	require.Len(t, rc, 2)
	require.True(t, rc[1].Unconfirmed)
	require.Equal(t, []string{"one", "two"}, a.sends, "stopped after it")

	// The host retries on another replica: the rest, not the part.
	b := &unconfirming{Helpdesk: f}
	rc, err = helpdesk.Reply(context.Background(), b, conv, "x", opts)
	var ue *helpdesk.UnconfirmedPartsError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []int{2}, ue.Parts)
	require.Equal(t, 3, ue.Total)
	require.False(t, errors.As(err, &pe), "not a partial send: nothing is left to send")
	require.Len(t, rc, 3)
	require.True(t, rc[1].Unconfirmed)
	require.False(t, rc[0].Unconfirmed || rc[2].Unconfirmed)
	require.Equal(t, []string{"three"}, b.sends)
	require.Equal(t, []string{"one", "three"}, bodies(t, f, "1"), "the part that did not land is missing, the rest is there, in order")

	// Any later call finds the reply complete and says the same.
	c := &unconfirming{Helpdesk: f}
	rc, err = helpdesk.Reply(context.Background(), c, conv, "x", opts)
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []int{2}, ue.Parts)
	require.True(t, rc[1].Unconfirmed)
	require.Empty(t, c.sends)
}

// In a helpdesk outage, stopping at the first unconfirmed part loses one
// part, not the answer: the retry after the outage sends the rest.
func TestReplyInAnOutageLosesAtMostThePartInDoubt(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	opts := helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "answer-3", Store: helpdesk.NewMemoryReplyStore(0)}
	down := &unconfirming{Helpdesk: f, texts: map[string]bool{"one": false, "two": false, "three": false}}
	_, err := helpdesk.Reply(context.Background(), down, conv, "x", opts)
	require.ErrorIs(t, err, helpdesk.ErrUnconfirmed)
	require.Equal(t, []string{"one"}, down.sends, "one part tried while the helpdesk is down")
	up := &unconfirming{Helpdesk: f}
	_, err = helpdesk.Reply(context.Background(), up, conv, "x", opts)
	var ue *helpdesk.UnconfirmedPartsError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []int{1}, ue.Parts)
	require.Equal(t, []string{"two", "three"}, bodies(t, f, "1"))
}

// When the unconfirmed part is the last and the reply resolves, the
// resolve still happens, once.
func TestReplyResolvesAfterAnUnconfirmedLastPart(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	a := &unconfirming{Helpdesk: f, texts: map[string]bool{"three": true}}
	opts := helpdesk.ReplyOptions{Splitter: threeParts, Resolve: true, IdempotencyKey: "answer-2", Store: helpdesk.NewMemoryReplyStore(0)}
	rc, err := helpdesk.Reply(context.Background(), a, conv, "x", opts)
	var ue *helpdesk.UnconfirmedPartsError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []int{3}, ue.Parts)
	require.True(t, rc[2].Resolved)
	require.True(t, rc[2].Unconfirmed)
	c, _ := f.Conversation("1")
	require.Equal(t, helpdesk.StatusResolved, c.Status)
	require.Equal(t, []string{"one", "two", "three"}, bodies(t, f, "1"))

	rc, err = helpdesk.Reply(context.Background(), a, conv, "x", opts)
	require.ErrorAs(t, err, &ue, "the retry finds the reply complete, with its part in doubt")
	require.Len(t, rc, 3)
	require.True(t, rc[2].Resolved)
	require.Len(t, a.sends, 3, "three sends, and none by the retry")
}

// A last part handed over with the handover's notice (CapReassignWithMessage)
// still reports an earlier unconfirmed part.
func TestReplyCombinedHandoverReportsAnUnconfirmedPart(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	opts := helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "answer-4", Store: helpdesk.NewMemoryReplyStore(0),
		Handover: &helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2"}}
	a := &unconfirming{Helpdesk: f, texts: map[string]bool{"one": true}}
	_, err := helpdesk.Reply(context.Background(), a, conv, "x", opts)
	require.ErrorIs(t, err, helpdesk.ErrUnconfirmed)
	rc, err := helpdesk.Reply(context.Background(), a, conv, "x", opts)
	var ue *helpdesk.UnconfirmedPartsError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []int{1}, ue.Parts)
	require.Len(t, rc, 3)
	require.True(t, rc[0].Unconfirmed)
}

// Without a key Reply stops after the unconfirmed part all the same.
func TestReplyWithoutKeyStopsAfterAnUnconfirmedPart(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	a := &unconfirming{Helpdesk: f, texts: map[string]bool{"one": true}}
	rc, err := helpdesk.Reply(context.Background(), a, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts})
	var pe *helpdesk.PartialSendError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 1, pe.Delivered)
	require.Len(t, rc, 1)
	require.Equal(t, []string{"one"}, a.sends)
}

// An unconfirmed last part, without a key: the reply is complete and says
// which part is in doubt.
func TestReplyWithoutKeyReportsAnUnconfirmedLastPart(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	a := &unconfirming{Helpdesk: f, texts: map[string]bool{"three": false}}
	rc, err := helpdesk.Reply(context.Background(), a, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts})
	var ue *helpdesk.UnconfirmedPartsError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []int{3}, ue.Parts)
	require.Len(t, rc, 3)
	require.Equal(t, []string{"one", "two"}, bodies(t, f, "1"))
}
