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
	// Handover, when set, hands the conversation to this target with the
	// last part. Where the helpdesk has CapReassignWithMessage the last
	// part (followed by Handover.Notice, when set) becomes the handover's
	// customer notice, posted with the group change in one request;
	// otherwise the last part is sent, then Reassign is called. Resolve
	// and Handover cannot both be set.
	Handover *Target
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
	if opts.Resolve && opts.Handover != nil {
		return nil, &FieldError{Field: "handover", Problem: "a reply cannot both resolve and hand over"}
	}
	if opts.Handover != nil {
		if err := opts.Handover.Validate(); err != nil {
			return nil, err
		}
	}
	if len(parts) == 0 {
		switch {
		case opts.Resolve:
			return nil, hd.Resolve(ctx, conv)
		case opts.Handover != nil:
			return nil, hd.Reassign(ctx, conv, *opts.Handover)
		}
		return nil, nil
	}
	combine := opts.Handover != nil && hd.Capabilities().Has(CapReassignWithMessage) && len(opts.Attachments) == 0
	receipts := make([]*Receipt, 0, len(parts))
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return receipts, &PartialSendError{Delivered: i, Total: len(parts), Err: err}
		}
		msg := Message{Text: p}
		last := i == len(parts)-1
		if last && combine {
			to := *opts.Handover
			to.Notice = joinNotice(p, to.Notice)
			if err := hd.Reassign(ctx, conv, to); err != nil {
				return receipts, &PartialSendError{Delivered: i, Total: len(parts), Err: err}
			}
			return append(receipts, &Receipt{}), nil
		}
		if last {
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
	if opts.Handover != nil {
		if err := hd.Reassign(ctx, conv, *opts.Handover); err != nil {
			return receipts, &HandoverAfterReplyError{Err: err}
		}
	}
	return receipts, nil
}

// joinNotice puts the handover notice after the answer's last part.
func joinNotice(part, notice string) string {
	if notice == "" {
		return part
	}
	return part + "\n\n" + notice
}

// HandoverAfterReplyError means every part was delivered but the Reassign
// that followed (ReplyOptions.Handover) failed: the conversation is still
// the bot's.
type HandoverAfterReplyError struct{ Err error }

func (e *HandoverAfterReplyError) Error() string {
	return "helpdesk: reply delivered, handover failed: " + e.Err.Error()
}

// Unwrap returns the Reassign error.
func (e *HandoverAfterReplyError) Unwrap() error { return e.Err }

// ResolveAfterReplyError means every part was delivered but the separate
// Resolve call that followed failed.
type ResolveAfterReplyError struct{ Err error }

func (e *ResolveAfterReplyError) Error() string {
	return "helpdesk: reply delivered, resolve failed: " + e.Err.Error()
}

// Unwrap returns the Resolve error.
func (e *ResolveAfterReplyError) Unwrap() error { return e.Err }
