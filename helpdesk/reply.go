package helpdesk

import (
	"context"
	"errors"
	"strconv"
)

// Splitter cuts a long answer into message-sized parts. helpdesk/split
// provides one per channel (split.New(split.Preset(...))).
type Splitter interface {
	Split(text string) ([]string, error)
}

// SplitterFunc adapts a function to Splitter.
type SplitterFunc func(text string) ([]string, error)

// Split implements Splitter.
func (f SplitterFunc) Split(text string) ([]string, error) { return f(text) }

// ReplyOptions configures Reply.
type ReplyOptions struct {
	// Splitter cuts the text into parts; nil sends it whole.
	Splitter Splitter
	// Resolve resolves the conversation with the last part: in the same
	// request when the helpdesk has CapResolveWithMessage, otherwise by a
	// Resolve right after it (the Helpdesk does that itself).
	Resolve bool
	// Attachments go with the last part.
	Attachments []Attachment
	// IdempotencyKey, when set, derives one key per part (key + "/" + n).
	IdempotencyKey string
}

// Reply sends text to the conversation as one or more messages, in order,
// each part waiting for the previous one to succeed. It stops at the first
// failure and returns a *PartialSendError saying how many parts were
// delivered. When every part was delivered but the resolve that follows
// the last one failed, it returns every receipt and a
// *ResolveAfterReplyError. On success it returns one receipt per part.
func Reply(ctx context.Context, hd Helpdesk, conv Conversation, text string, opts ReplyOptions) ([]*Receipt, error) {
	parts := []string{text}
	if opts.Splitter != nil {
		var err error
		parts, err = opts.Splitter.Split(text)
		if err != nil {
			return nil, err
		}
	}
	if len(parts) == 0 {
		if !opts.Resolve {
			return nil, nil
		}
		return nil, hd.Resolve(ctx, conv)
	}
	receipts := make([]*Receipt, 0, len(parts))
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return receipts, &PartialSendError{Delivered: i, Total: len(parts), Err: err}
		}
		msg := Message{Text: p}
		if i == len(parts)-1 {
			msg.Attachments = opts.Attachments
			msg.Resolve = opts.Resolve
		}
		if opts.IdempotencyKey != "" {
			msg.IdempotencyKey = opts.IdempotencyKey + "/" + strconv.Itoa(i+1)
		}
		r, err := hd.SendMessage(ctx, conv, msg)
		if err != nil {
			var ra *ResolveAfterReplyError
			if errors.As(err, &ra) && r != nil {
				return append(receipts, r), err
			}
			return receipts, &PartialSendError{Delivered: i, Total: len(parts), Err: err}
		}
		receipts = append(receipts, r)
	}
	return receipts, nil
}

// ResolveAfterReplyError means every part was delivered but the separate
// Resolve call that followed failed.
type ResolveAfterReplyError struct{ Err error }

func (e *ResolveAfterReplyError) Error() string {
	return "helpdesk: reply delivered, resolve failed: " + e.Err.Error()
}

// Unwrap returns the Resolve error.
func (e *ResolveAfterReplyError) Unwrap() error { return e.Err }
