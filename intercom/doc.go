// Package intercom is the Intercom driver: the bot is a teammate (an
// admin) of an Intercom workspace, answers conversations assigned to its
// team, closes them, and hands them over to a human team or teammate.
//
// # Credentials
//
// An access token of a private app (Developer Hub → your app →
// Authentication), created while logged in as the bot's teammate account
// so that GET /me names the bot; the app's client secret (Basic
// information) to verify topic webhooks; and a token of your choosing for
// Custom Action requests. See Config for where each field is found.
//
// # Endpoints
//
// Every request carries Authorization: Bearer <token> and the pinned
// Intercom-Version (Config.Version, default DefaultVersion); every write is
// made as the bot's admin (admin_id), learned from GET /me when
// Config.BotAdminID is empty.
//
//   - SendMessage: POST /conversations/{id}/reply, message_type comment
//     (note when Internal), the text as escaped HTML paragraphs, images
//     as attachment_urls. A final message (Resolve) is the closing part's
//     own body: one POST /conversations/{id}/parts, message_type close.
//     With attachments or Internal it is a reply followed by the close.
//   - Resolve: POST /conversations/{id}/parts, message_type close.
//   - Reassign: the Note as an internal note (POST /reply, message_type
//     note) first, then POST /conversations/{id}/parts, message_type
//     assignment, type team or admin, assignee_id the target, the Notice
//     as the assignment's body, which the spec documents as a response in
//     the conversation (one request for the hand-over and its notice).
//     When the bot itself was the admin assignee, a team hand-over also
//     unassigns it. Assigning a closed conversation reopens it (part_type
//     assign_and_reopen): a hand-over after a close brings the
//     conversation back to the humans' inbox.
//   - After an ambiguous failure (a timeout or reset after the request
//     was written, a 5xx) of a write that posts a part people read (a
//     reply, a note, a close or an assignment with a body), the driver
//     reads the conversation back (GET /conversations/{id}) for its own
//     part before sending again: Intercom documents no idempotency key
//     for these writes (see the reconciliation comment in reconcile.go).
//     A close or assignment without a body is a state change, resent as
//     an idempotent request.
//   - Extras: ListTeams (GET /teams), ListAdmins (GET /admins, with away
//     mode; Available feeds escalation's availability checks),
//     GetConversation (GET /conversations/{id}?display_as=plaintext),
//     AddTag (POST /conversations/{id}/tags), Snooze (POST
//     /conversations/{id}/parts, message_type snoozed), BotAdminID (GET
//     /me).
//
// # Webhooks: two entry points
//
// Topic webhooks (Developer Hub → Webhooks) arrive as notification_event
// envelopes signed with X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw
// body keyed with the client secret>. Intercom signs no time, so there is
// no tolerance window: deduplication on (app id, conversation id, part
// id), the Event.DeliveryID, is the replay guard. Part ids are unique only
// within a workspace, and some notifications have a null id, so neither
// alone is used. Bodies are HTML in API versions before 2.15 and plain
// text from 2.15; events always carry plain text (and the HTML when there
// was some). The bot's own replies come back as conversation.admin.replied
// with its admin id and are marked Author.Self.
//
// Custom Actions (Settings → Integrations → Actions) are called by an
// Intercom Workflow for each customer message; Intercom does not sign
// them. The driver authenticates them by the bearer token in
// Authorization, compared in constant time against Config.ActionTokens,
// and parses exactly the body of ActionBodyTemplate. Serve both with a
// queued helpdesk.WebhookHandler so each call is answered at once and the
// bot replies through the API.
//
// # Rate limits
//
// Private apps may make 10,000 requests a minute per app and 25,000 per
// workspace, enforced in 10-second windows (DefaultLimits). The default
// budget paces to those windows and reads X-RateLimit-Limit, -Remaining
// and -Reset (a Unix time); Intercom's 429 (code rate_limit_exceeded)
// carries no Retry-After, so the client waits for the reset.
package intercom
