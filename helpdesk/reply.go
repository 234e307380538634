package helpdesk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
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
	//
	// A key costs one more store write per part: before a part is sent,
	// Reply records that its attempt started (ReplyProgress.AttemptAt),
	// so that a process killed after the helpdesk took the part but
	// before Reply recorded it leaves a trace, and the call that resumes
	// the reply has the driver read the conversation back for that part
	// (Message.EarlierAttempt) instead of posting it again. While a call
	// holds the key, it also renews its claim every third of the lease
	// (ReplyLease), however long a part takes to send.
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
// matches ErrUnconfirmed) is counted as sent and never repeated; Reply
// stops after it (a *PartialSendError counting it as delivered and
// matching ErrUnconfirmed) so that the host's retry, after its backoff,
// sends the next parts, and once the reply is complete every call reports
// its unconfirmed parts with an *UnconfirmedPartsError (with a key, from
// the progress store: across retries and replicas).
//
// With ReplyOptions.IdempotencyKey, calling Reply again after a failure
// resumes the reply where it stopped: no part is sent twice by Reply
// itself, and none out of order. While one call holds the key, another
// fails with ErrReplyInProgress. A part the helpdesk accepted but whose
// progress could not be recorded (the store failed, or the process died)
// is sent again by a retry only after the driver, told of the earlier
// attempt (Message.EarlierAttempt), read the conversation back and did not
// find it; a driver that cannot read back may post it twice.
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
	r.lease = ReplyLease
	if l, ok := r.store.(ReplyLeaser); ok && l.Lease() > 0 {
		r.lease = l.Lease()
	}
	token, p, err := r.store.Claim(ctx, r.key, r.lease)
	if err != nil {
		return nil, fmt.Errorf("helpdesk: reply %q: %w", opts.IdempotencyKey, err)
	}
	stop := func() {}
	defer func() {
		// The heartbeat ends before the claim: it never renews a
		// released key.
		stop()
		_ = r.store.Release(context.WithoutCancel(ctx), r.key, token) // the lease ends anyway
	}()
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
	r.saved = cloneProgress(p)
	stop = r.heartbeat(ctx)
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
	lease time.Duration
	p     *ReplyProgress // the progress being made, run's own

	mu    sync.Mutex    // serialises the store writes of run and the heartbeat
	saved ReplyProgress // what was last written, which the heartbeat writes again
}

func (r *replier) run(ctx context.Context) ([]*Receipt, error) {
	parts, opts, hd, conv := r.parts, r.opts, r.hd, r.conv
	n := len(parts)
	receipts := make([]*Receipt, 0, n)
	start := 0
	var unconfirmed *UnconfirmedPartsError
	lastUnconfirmed := false
	if r.p != nil {
		for i := 0; i < r.p.Delivered; i++ {
			rc := &Receipt{}
			if i < len(r.p.MessageIDs) {
				rc.MessageID = r.p.MessageIDs[i]
			}
			receipts = append(receipts, rc)
		}
		for _, u := range r.p.Unconfirmed {
			if u >= 1 && u <= len(receipts) {
				receipts[u-1].Unconfirmed = true
				if unconfirmed == nil {
					unconfirmed = &UnconfirmedPartsError{Total: n, Err: ErrUnconfirmed}
				}
				unconfirmed.Parts = append(unconfirmed.Parts, u)
				lastUnconfirmed = u == n
			}
		}
		start = r.p.Delivered
	}
	// done is the call's outcome once every part was sent: the parts
	// left unconfirmed, by this call or an earlier one, are reported by
	// every call that finds the reply complete.
	done := func() ([]*Receipt, error) {
		if unconfirmed != nil {
			return receipts, unconfirmed
		}
		return receipts, nil
	}
	if r.p != nil && r.p.Finished {
		if opts.Resolve && len(receipts) > 0 {
			receipts[len(receipts)-1].Resolved = true
		}
		return done()
	}
	combine := opts.Handover != nil && hd.Capabilities().Has(CapReassignWithMessage) && len(opts.Attachments) == 0
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
			return done()
		}
		if last {
			msg.Attachments = opts.Attachments
			msg.Resolve = opts.Resolve
		}
		if opts.IdempotencyKey != "" {
			msg.IdempotencyKey = opts.IdempotencyKey + "/" + strconv.Itoa(i+1)
		}
		if r.p != nil {
			if at := r.p.earlierAttempt(); at != 0 {
				msg.EarlierAttempt = time.UnixMilli(at)
			}
		}
		attempt := time.Now()
		if err := r.attempting(ctx, attempt); err != nil {
			return receipts, &PartialSendError{Delivered: i, Total: n, Err: err}
		}
		rc, err := hd.SendMessage(ctx, conv, msg)
		if err != nil && errors.Is(err, ErrUnconfirmed) {
			// Settled as far as it can be: never sent again, by this
			// call or a retry.
			if unconfirmed == nil {
				unconfirmed = &UnconfirmedPartsError{Total: n}
			}
			unconfirmed.Parts = append(unconfirmed.Parts, i+1)
			unconfirmed.Err = err
			receipts = append(receipts, &Receipt{Unconfirmed: true})
			lastUnconfirmed = last
			if r.p != nil {
				r.p.Unconfirmed = append(r.p.Unconfirmed, i+1)
			}
			if err := r.record(ctx, "", last && opts.Handover == nil && !opts.Resolve); err != nil {
				return receipts, &PartialSendError{Delivered: i, Total: n, Err: err}
			}
			if !last {
				// A helpdesk failing now likely fails the next part
				// the same way, and each such part may never reach the
				// customer: stop, and let the host's retry, after its
				// backoff, go on with the next part.
				return receipts, &PartialSendError{Delivered: i + 1, Total: n, Err: err}
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
	r.p.AttemptAt = 0
	if err := r.save(ctx); err != nil {
		return fmt.Errorf("helpdesk: part delivered, recording the reply's progress failed: %w", err)
	}
	return nil
}

// attempting records, before the next part is sent, that an attempt of it
// started (write-ahead), unless an earlier attempt already is. Nothing is
// sent when that fails: a part sent then lost with its process would leave
// no trace for the call resuming the reply.
func (r *replier) attempting(ctx context.Context, at time.Time) error {
	if r.p == nil || r.p.AttemptAt != 0 {
		return nil
	}
	r.p.AttemptAt = at.UnixMilli()
	if err := r.save(ctx); err != nil {
		return fmt.Errorf("helpdesk: recording the attempt of the next part failed, nothing sent: %w", err)
	}
	return nil
}

// save writes the progress and renews the claim.
func (r *replier) save(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.store.Save(context.WithoutCancel(ctx), r.key, r.token, *r.p, r.lease)
	if err == nil {
		r.saved = cloneProgress(*r.p)
	}
	return err
}

// heartbeat renews the claim every third of the lease until stop is
// called, so that a part that takes longer than the lease to send (a
// budget wait, a slow helpdesk) does not lose it: a lost claim refuses the
// part's record, and lets another call send the part again. It writes the
// progress last written, never run's in the middle of a change. It ends by
// itself when another holder took the key.
func (r *replier) heartbeat(ctx context.Context) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	every := max(r.lease/3, time.Millisecond)
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			r.mu.Lock()
			err := r.store.Save(context.WithoutCancel(ctx), r.key, r.token, r.saved, r.lease)
			r.mu.Unlock()
			if errors.Is(err, ErrReplyInProgress) {
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
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
	_ = r.save(ctx)
}

// finish marks the reply complete after its resolve or handover.
func (r *replier) finish(ctx context.Context) error {
	if r.p == nil {
		return nil
	}
	r.p.Finished = true
	if err := r.save(ctx); err != nil {
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
