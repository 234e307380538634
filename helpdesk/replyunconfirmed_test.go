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

// A part the driver cannot confirm does not stop the reply: the other
// parts are sent, the unconfirmed one is never sent again, by this call or
// by the host's retry of the same reply on another replica sharing the
// progress store, and the host learns which part it was.
func TestReplyGoesOnPastAnUnconfirmedPartAndNeverResendsIt(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	store := helpdesk.NewMemoryReplyStore(0)
	a := &unconfirming{Helpdesk: f, texts: map[string]bool{"two": false}}
	opts := helpdesk.ReplyOptions{Splitter: threeParts, IdempotencyKey: "answer-1", Store: store}

	rc, err := helpdesk.Reply(context.Background(), a, conv, "x", opts)
	var ue *helpdesk.UnconfirmedPartsError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []int{2}, ue.Parts)
	require.Equal(t, 3, ue.Total)
	require.ErrorIs(t, err, helpdesk.ErrUnconfirmed)
	var pe *helpdesk.PartialSendError
	require.False(t, errors.As(err, &pe), "not a partial send: nothing is left to send")
	require.Len(t, rc, 3)
	require.True(t, rc[1].Unconfirmed)
	require.False(t, rc[0].Unconfirmed || rc[2].Unconfirmed)
	require.Equal(t, []string{"one", "three"}, bodies(t, f, "1"), "the part that did not land is missing, the rest is there, in order")

	// The host retries the same reply on another replica: nothing is sent.
	b := &unconfirming{Helpdesk: f}
	rc, err = helpdesk.Reply(context.Background(), b, conv, "x", opts)
	require.NoError(t, err)
	require.Len(t, rc, 3)
	require.Empty(t, b.sends, "the retry sends nothing: the unconfirmed part may have reached the customer")
	require.Equal(t, []string{"one", "three"}, bodies(t, f, "1"))
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
	require.NoError(t, err, "the retry finds the reply complete")
	require.Len(t, rc, 3)
	require.Len(t, a.sends, 3, "three sends, and none by the retry")
}

// Without a key the reply goes on past the unconfirmed part all the same.
func TestReplyWithoutKeyGoesOnPastAnUnconfirmedPart(t *testing.T) {
	f := helpdesktest.NewFake()
	conv := f.Open("1", helpdesk.ChannelWebChat)
	a := &unconfirming{Helpdesk: f, texts: map[string]bool{"one": true, "three": false}}
	rc, err := helpdesk.Reply(context.Background(), a, conv, "x", helpdesk.ReplyOptions{Splitter: threeParts})
	var ue *helpdesk.UnconfirmedPartsError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, []int{1, 3}, ue.Parts)
	require.Len(t, rc, 3)
	require.Equal(t, []string{"one", "two"}, bodies(t, f, "1"))
	require.Equal(t, []string{"one", "two", "three"}, a.sends)
}
