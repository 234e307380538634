// Package klaviyo connects agentdesk to Klaviyo in three ways.
//
// Support metrics from any helpdesk. Metrics turns ticket events and the
// bot's actions into Klaviyo events — Opened Ticket, Resolved Ticket (the
// names Klaviyo's Zendesk integration uses, so segments and flows keep
// working), Bot Replied and Handed Over to Human (with the reason) — for
// the profile identified by e-mail, E.164 phone, external id or Klaviyo id,
// with properties vendor, conversation_id, channel and tags. Events go in
// bulk through POST /api/event-bulk-create-jobs (tier M, 1,000 events per
// job), flushed by size and time from a bounded buffer; Close flushes. Each
// event carries an explicit unique_id (Klaviyo otherwise drops a second
// event of one profile and metric in the same second, and would count a
// resent job twice). Metrics.Wrap records around any helpdesk.Helpdesk,
// Metrics.Tap on any webhook event stream.
//
// SMS conversations as a driver. Client is a helpdesk.Helpdesk on
// Klaviyo's Conversations API:
//
//   - SendMessage: POST /api/conversation-messages (tier S) into the
//     profile's SMS conversation, found with GET
//     /api/profiles/{id}/conversations (GET .../conversation before
//     revision 2026-07-15) unless the Conversation carries
//     ExtraConversationID. Conversation.ID is the Klaviyo profile id. A
//     text longer than Options.MaxSegments SMS segments (GSM-7 or UCS-2,
//     helpdesk/split) is sent as several messages, at most
//     Options.MaxParts. Sending needs revision 2026-04-15 or later and an
//     account Klaviyo has enabled for it. Texts are sent at most once:
//     Klaviyo takes no idempotency key and has no endpoint that lists a
//     conversation's messages, so a text whose request failed ambiguously
//     (a timeout or reset after it was written, a 5xx) is never resent.
//     SendMessage stops there and returns an *UnconfirmedError; a retry of
//     the same message through the same Client goes on with the texts
//     after it. When it was the message's last text the error matches
//     helpdesk.ErrUnconfirmed, and helpdesk.Reply counts the message as
//     settled, so that no retry sends it again, on any replica sharing
//     its progress store (helpdesk/redisreply); a message of several
//     texts retried on another replica is sent again from its first.
//     Within one client no text is ever sent twice and
//     a failure after Klaviyo accepted a text loses nothing; a text whose
//     request died before Klaviyo processed it is missing from the
//     answer, the *UnconfirmedError being its only trace (reconcile.go).
//   - Resolve, Reassign, internal notes and attachments are not Klaviyo
//     operations: Capabilities leaves them out and they fail with
//     helpdesk.ErrUnsupported without a request.
//   - ParseWebhook reads system webhooks (Advanced KDP accounts and app
//     partners). Create one with POST /api/webhooks subscribed to the topic
//     TopicSentSMS, "event:klaviyo.sent_sms": Klaviyo names SMS metrics
//     from the profile's side, so Sent SMS is the text a customer sent to
//     your number. TopicReceivedSMS, "event:klaviyo.received_sms", is your
//     own text reaching the customer (the bot's reply included): parsed as
//     the bot's echo, never answered. List the account's topics with
//     Client.WebhookTopics (GET /api/webhook-topics). Deliveries are
//     verified with Scheme: Klaviyo-Signature is hex HMAC-SHA256 of the raw
//     body followed by the Klaviyo-Timestamp HTTP date, keyed with the
//     webhook's secret (Config.WebhookSecrets, Options.Tolerance), and a
//     delivery whose meta.klaviyo_webhook_id differs from the
//     Klaviyo-Webhook-Id header is refused.
//
// Never answer a subscription keyword (IsKeyword: STOP, JOIN, START, HELP
// and the account's own): Klaviyo answers those itself.
//
// The SMS ⇄ ticket bridge. Bridge connects Klaviyo SMS to any helpdesk
// whose driver can open conversations (helpdesk.CapCreateConversation;
// zendesk does): a customer's text opens a ticket, tagged "sms" and
// "klaviyo", or joins the customer's open ticket; a public agent reply is
// texted back (when Klaviyo cannot confirm the text, it is not sent again
// and the ticket gets an internal note, UnconfirmedNote, saying so). Links live in memory (NewMemoryLinkStore) or on Redis
// (klaviyo/redislinks).
//
// Credentials: a private API key (pk_...) with the scopes events:write,
// profiles:read, conversations:read, conversations:write and
// webhooks:read; every request carries the pinned revision header and the
// JSON:API media type. Requests are paced by Klaviyo's tiers (Limits: a
// burst window of one second and a steady one of one minute per tier, both
// fixed), slowed by the RateLimit-* headers and paused by a 429's
// Retry-After (Headers).
package klaviyo
