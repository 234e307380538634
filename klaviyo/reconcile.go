package klaviyo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Reconciliation of texts: at most once.
//
// A conversation message create (POST /api/conversation-messages, 202)
// that fails ambiguously (a timeout or reset after the request was
// written, a 5xx, 503 included) may or may not have texted the customer,
// and Klaviyo gives no way to find out: its API has no endpoint that lists
// a conversation's messages (the published spec, revision 2026-07-15, has
// only the create and the profile's conversation lookups) and the create
// takes no idempotency key. The Received SMS event the text produces
// cannot settle it either: it is recorded when the carrier reports
// delivery, seconds to minutes later or never, so not finding it does not
// mean the text was not sent. Resending blindly would text the customer
// twice (and bill twice); so the driver never resends such a text
// (transport.Request.Reconciled keeps the transport from resending it
// too). It stops there and returns an *UnconfirmedError, and remembers the
// text as sent under the host's idempotency key, so that the host's retry
// of the same message through this client goes on with the texts after
// it; that memory is the client's (the last few thousand texts, in this
// process). When the text was the message's last, the error matches
// helpdesk.ErrUnconfirmed: helpdesk.Reply then counts the message as
// settled in its progress store, and no retry sends it again, on any
// replica sharing the store (helpdesk/redisreply). Where a message is one
// text (the host's splitter cuts answers to Klaviyo's length, as
// examples/faqbot does), that holds for every text. What this guarantees:
// within one client, or across replicas for a message of one text, no
// text is ever sent twice, and a failure after Klaviyo accepted the text
// loses nothing. What it cannot: a text whose request died before Klaviyo
// processed it (a 500 or 503 before processing, a timeout or reset before
// the request arrived) is missing from the answer, and the
// *UnconfirmedError returned for it is the only trace. Refusals that
// provably did not reach Klaviyo (429, a refused connection) are retried
// by the transport as always, and a request never fully written (a
// cancelled wait for the budget, a failed dial: transport.RequestError's
// Written is false) fails with its plain error,
// so that a retry sends the text.

// UnconfirmedError reports a text Klaviyo may or may not have sent: the
// request failed after it was written (Err), and Klaviyo offers no way to
// read the conversation back. The text is not sent again, not even by a
// retry of the same message with the same idempotency key.
type UnconfirmedError struct {
	// Conversation is Klaviyo's conversation id.
	Conversation string
	// Part and Parts place the text among the SMS parts of the message
	// (1-based). The texts after it were not sent.
	Part, Parts int
	// Err is the failure.
	Err error
}

func (e *UnconfirmedError) Error() string {
	return fmt.Sprintf("klaviyo: text %d of %d to conversation %s may or may not have been sent (%v): Klaviyo can neither be read back nor take an idempotency key, so it is not sent again",
		e.Part, e.Parts, e.Conversation, e.Err)
}

// Unwrap returns the failure, so that errors.Is and errors.As see it.
func (e *UnconfirmedError) Unwrap() error { return e.Err }

// Is reports helpdesk.ErrUnconfirmed when the text was the message's last
// (Part == Parts): nothing of the message is then left to send, and
// helpdesk.Reply counts the message as settled, never to be sent again by
// any replica sharing its progress store. A message cut after an earlier
// text is not settled: the host's retry through this client goes on with
// the texts after it (this client remembers the ones sent), where another
// replica would send the message again from its first text.
func (e *UnconfirmedError) Is(target error) bool {
	return target == helpdesk.ErrUnconfirmed && e.Part == e.Parts
}

// sendTexts posts parts to the conversation cid, at most once each (see
// above). hostKey is the host's idempotency key of the message, if any:
// parts sent or unconfirmed under it before are skipped.
func (c *Client) sendTexts(ctx context.Context, conv helpdesk.Conversation, cid string, parts []string, hostKey string) error {
	for i, p := range parts {
		key := partKey(conv, hostKey, i, p)
		if key != "" && c.rec.IsPosted(key) {
			continue
		}
		var body conversationMessage
		body.Data.Type = "conversation-message"
		body.Data.Attributes.Body = p
		body.Data.Relationships.Conversation.Data = resourceID{Type: "conversation", ID: cid}
		_, err := c.do(ctx, TierS, &transport.Request{Method: http.MethodPost, Path: "/api/conversation-messages", Body: body, Reconciled: true}, nil)
		if err != nil && !driver.Ambiguous(err) {
			// Refused, or never fully written (a cancelled budget wait,
			// a failed dial): not sent, and safe to send again.
			return err
		}
		c.rec.Posted(key)
		if err != nil {
			c.log.WarnContext(ctx, "klaviyo: a text may or may not have been sent; it is not sent again",
				"conversation", cid, "part", i+1, "parts", len(parts), "error", err.Error())
			// Stop here: a vendor failing now is likely to fail the next
			// text too, and each such failure is a text the customer may
			// never get; the host's retry, after its backoff, goes on
			// with the texts after this one.
			return &UnconfirmedError{Conversation: cid, Part: i + 1, Parts: len(parts), Err: err}
		}
	}
	return nil
}

// partKey identifies part i (text p) of the host's message by its
// idempotency key, profile and text ("" without a key).
func partKey(conv helpdesk.Conversation, hostKey string, i int, p string) string {
	if hostKey == "" {
		return ""
	}
	h := sha256.Sum256([]byte(conv.ID + "\x00" + hostKey + "\x00" + strconv.Itoa(i) + "\x00" + p))
	return "part:" + hex.EncodeToString(h[:16])
}
