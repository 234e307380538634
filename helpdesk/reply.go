package helpdesk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Splitter cuts a long answer into message-sized parts. helpdesk/split
// builds one from a channel's limit:
//
//	limit, _ := split.Preset(string(conv.Channel))
//	s, err := split.New(limit)
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
	// IdempotencyKey makes the reply resumable: Reply records in Store
	// which parts the helpdesk accepted, and a later Reply with the same
	// key, conversation and text sends only the parts still missing, in
	// order (then the resolve or handover, if that is what failed), and
	// returns the receipts of the parts sent before. A reply already
	// complete is not sent again. Each part also carries its own key
	// (key + "/" + n) to the driver, which uses it to reconcile a send
	// whose outcome it could not see. The key must be unique per answer
	// (the id of the customer message it answers is a good one); reusing
	// it for another text fails with ErrInvalidRequest.
	IdempotencyKey string
	// Store records the progress of replies with an IdempotencyKey (nil:
	// one in-memory store per process, which a retry in the same process
	// resumes from; helpdesk/redisreply shares progress between replicas
	// and restarts).
	Store ReplyStore
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
// A part the driver could neither confirm nor safely send again (its error
// matches ErrUnconfirmed) does not stop the reply: it is counted as sent,
// never repeated, and reported, once every other part is sent, by an
// *UnconfirmedPartsError.
//
// With ReplyOptions.IdempotencyKey, calling Reply again after a failure
// resumes the reply where it stopped: no part is sent twice by Reply
// itself, and none out of order. While one call holds the key, another
// fails with ErrReplyInProgress. A part the helpdesk accepted but whose
// progress could not be recorded (the store failed) is reported as an
// error and would be sent again by a retry.
func Reply(ctx context.Context, hd Helpdesk, conv Conversation, text string, opts ReplyOptions) ([]*Receipt, error) {
	parts := []string{text}
	if strings.TrimSpace(text) == "" && (opts.Resolve || opts.Handover != nil) {
		// Nothing to say: only the resolve or the handover (with its own
		// notice) happens.
		parts = nil
	} else if opts.Splitter != nil {
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
	r := &replier{hd: hd, conv: conv, parts: parts, opts: opts}
	if opts.IdempotencyKey == "" {
		return r.run(ctx)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.store = opts.Store
	if r.store == nil {
		r.store = defaultReplyStore()
	}
	r.key = replyKey(conv, opts.IdempotencyKey)
	token, p, err := r.store.Claim(ctx, r.key, ReplyLease)
	if err != nil {
		return nil, fmt.Errorf("helpdesk: reply %q: %w", opts.IdempotencyKey, err)
	}
	defer r.store.Release(context.WithoutCancel(ctx), r.key, token) //nolint:errcheck // the lease ends anyway
	r.token = token
	digest := replyDigest(parts, opts)
	if p.Digest != "" && p.Digest != digest {
		return nil, &FieldError{Field: "idempotency_key", Problem: "already used for another reply to this conversation"}
	}
	p.Digest = digest
	if p.Delivered > len(parts) {
		p.Delivered = len(parts)
	}
	r.p = &p
	return r.run(ctx)
}

// replier sends one reply, recording progress when it has a key.
type replier struct {
	hd    Helpdesk
	conv  Conversation
	parts []string
	opts  ReplyOptions

	store ReplyStore // nil without an idempotency key
	key   string
	token string
	p     *ReplyProgress
}

func (r *replier) run(ctx context.Context) ([]*Receipt, error) {
	parts, opts, hd, conv := r.parts, r.opts, r.hd, r.conv
	n := len(parts)
	receipts := make([]*Receipt, 0, n)
	start := 0
	if r.p != nil {
		for i := 0; i < r.p.Delivered; i++ {
			rc := &Receipt{}
			if i < len(r.p.MessageIDs) {
				rc.MessageID = r.p.MessageIDs[i]
			}
			receipts = append(receipts, rc)
		}
		start = r.p.Delivered
		if r.p.Finished {
			if opts.Resolve && len(receipts) > 0 {
				receipts[len(receipts)-1].Resolved = true
			}
			return receipts, nil
		}
	}
	combine := opts.Handover != nil && hd.Capabilities().Has(CapReassignWithMessage) && len(opts.Attachments) == 0
	var unconfirmed *UnconfirmedPartsError
	lastUnconfirmed := false
	// done is the call's outcome once every part was sent.
	done := func() ([]*Receipt, error) {
		if unconfirmed != nil {
			return receipts, unconfirmed
		}
		return receipts, nil
	}
	for i := start; i < n; i++ {
		p := parts[i]
		if err := ctx.Err(); err != nil {
			return receipts, &PartialSendError{Delivered: i, Total: n, Err: err}
		}
		msg := Message{Text: p}
		last := i == n-1
		if last && combine {
			to := *opts.Handover
			to.Notice = joinNotice(p, to.Notice)
			if err := hd.Reassign(ctx, conv, to); err != nil {
				return receipts, &PartialSendError{Delivered: i, Total: n, Err: err}
			}
			receipts = append(receipts, &Receipt{})
			if err := r.record(ctx, "", true); err != nil {
				return receipts, &PartialSendError{Delivered: i, Total: n, Err: err}
			}
			return receipts, nil
		}
		if last {
			msg.Attachments = opts.Attachments
			msg.Resolve = opts.Resolve
		}
		if opts.IdempotencyKey != "" {
			msg.IdempotencyKey = opts.IdempotencyKey + "/" + strconv.Itoa(i+1)
		}
		if r.p != nil && r.p.FailedAt != 0 {
			msg.EarlierAttempt = time.UnixMilli(r.p.FailedAt)
		}
		attempt := time.Now()
		rc, err := hd.SendMessage(ctx, conv, msg)
		if err != nil && errors.Is(err, ErrUnconfirmed) {
			// Settled as far as it can be: never sent again, by this
			// call or a retry; the next parts go on.
			if unconfirmed == nil {
				unconfirmed = &UnconfirmedPartsError{Total: n, Err: err}
			}
			unconfirmed.Parts = append(unconfirmed.Parts, i+1)
			receipts = append(receipts, &Receipt{Unconfirmed: true})
			lastUnconfirmed = last
			if err := r.record(ctx, "", last && opts.Handover == nil && !opts.Resolve); err != nil {
				return receipts, &PartialSendError{Delivered: i, Total: n, Err: err}
			}
			continue
		}
		if err != nil {
			var ra *ResolveAfterReplyError
			if errors.As(err, &ra) && rc != nil {
				receipts = append(receipts, rc)
				if rerr := r.record(ctx, rc.MessageID, false); rerr != nil {
					return receipts, &PartialSendError{Delivered: i, Total: n, Err: rerr}
				}
				return receipts, err
			}
			r.failed(ctx, attempt)
			return receipts, &PartialSendError{Delivered: i, Total: n, Err: err}
		}
		if rc == nil {
			rc = &Receipt{}
		}
		receipts = append(receipts, rc)
		if err := r.record(ctx, rc.MessageID, last && opts.Handover == nil); err != nil {
			return receipts, &PartialSendError{Delivered: i, Total: n, Err: err}
		}
	}
	switch {
	case opts.Resolve && (start == n || lastUnconfirmed):
		// Every part was delivered by an earlier call whose resolve
		// failed, or the last part, unconfirmed, did not resolve.
		if err := hd.Resolve(ctx, conv); err != nil {
			return receipts, &ResolveAfterReplyError{Err: err}
		}
		receipts[n-1].Resolved = true
	case opts.Handover != nil:
		if err := hd.Reassign(ctx, conv, *opts.Handover); err != nil {
			return receipts, &HandoverAfterReplyError{Err: err}
		}
	default:
		return done()
	}
	if err := r.finish(ctx); err != nil {
		return receipts, err
	}
	return done()
}

// record notes one more delivered part (and whether the reply is complete).
func (r *replier) record(ctx context.Context, messageID string, finished bool) error {
	if r.p == nil {
		return nil
	}
	r.p.Delivered++
	r.p.MessageIDs = append(r.p.MessageIDs, messageID)
	r.p.Finished = finished
	r.p.FailedAt = 0
	if err := r.store.Save(context.WithoutCancel(ctx), r.key, r.token, *r.p, ReplyLease); err != nil {
		return fmt.Errorf("helpdesk: part delivered, recording the reply's progress failed: %w", err)
	}
	return nil
}

// failed notes when the next part's first failed attempt started, so that
// a retry, in this process or another, has the driver look for it before
// posting it again. It is best effort: the failure is what the caller
// reports.
func (r *replier) failed(ctx context.Context, at time.Time) {
	if r.p == nil || r.p.FailedAt != 0 {
		return
	}
	r.p.FailedAt = at.UnixMilli()
	_ = r.store.Save(context.WithoutCancel(ctx), r.key, r.token, *r.p, ReplyLease)
}

// finish marks the reply complete after its resolve or handover.
func (r *replier) finish(ctx context.Context) error {
	if r.p == nil {
		return nil
	}
	r.p.Finished = true
	if err := r.store.Save(context.WithoutCancel(ctx), r.key, r.token, *r.p, ReplyLease); err != nil {
		return fmt.Errorf("helpdesk: reply complete, recording it failed: %w", err)
	}
	return nil
}

// replyKey scopes an idempotency key to one conversation.
func replyKey(conv Conversation, key string) string {
	return conv.Vendor + "|" + conv.Account + "|" + conv.ID + "|" + key
}

// replyDigest identifies a reply's parts and what follows them.
func replyDigest(parts []string, opts ReplyOptions) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	fmt.Fprintf(h, "\x00resolve=%t", opts.Resolve)
	for _, a := range opts.Attachments {
		fmt.Fprintf(h, "\x00att=%q", a.URL)
	}
	if t := opts.Handover; t != nil {
		fmt.Fprintf(h, "\x00handover=%s:%s:%q:%q", t.Kind, t.ID, t.Notice, t.Note)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
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
