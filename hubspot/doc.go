// Package hubspot is the HubSpot driver: the bot, as one more agent (a
// HubSpot user in the inbox), answers conversation threads, closes them
// and hands them over, through the Conversations API and the app webhooks.
//
// Credentials (Config): a private app's access token (pat-..., with
// Scopes), the app's client secret (webhook signatures), the bot user's
// id; optionally its e-mail and MFA key (Config.TOTP) for hosts that log
// it in.
//
// The helpdesk.Helpdesk methods call:
//
//   - SendMessage: POST /conversations/v3/conversations/threads/{id}/messages
//     with type MESSAGE, senderActorId "A-<BotUserID>", the thread's
//     channelId and channelAccountId, recipients built from the customer
//     message's senders (all kept in Conversation.Extra by ParseWebhook;
//     without them two GETs find them), attachments [] and text with
//     escaped richText. Internal messages are COMMENTs. HubSpot takes no
//     idempotency key: a send that failed ambiguously (timeout, reset,
//     5xx) is never resent blindly; the driver reads the thread back (GET
//     .../threads/{id}/messages?sort=-createdAt, paged) for its own
//     message (the bot's actor, same type and text, created since the
//     first attempt) and sends again only when it is not there (see
//     reconcile.go). A Message with Resolve is the message, then Resolve.
//   - Resolve: PATCH .../threads/{id} {"status":"CLOSED"}.
//   - Reassign: to.Notice as a message first, to.Note as a COMMENT, then by
//     Config.HandoverMode:
//     HandoverAgent: PUT /conversations/conversations/v3/threads/{id}/assignee
//     {"actorId":"A-<user id>"} (agents only: HubSpot has no team
//     assignment);
//     HandoverOwner: the thread's ticket (GET .../threads/{id}?association=TICKET,
//     or else the association store), the agent's owner id (GET /crm/v3/owners:
//     owner ids are not user ids), then PATCH /crm/v3/objects/tickets/{id}
//     {"properties":{"hubspot_owner_id":...}};
//     HandoverEvent: the thread's ticket, then POST /events/v3/send with
//     the flow's event name, objectId = the ticket and properties flow,
//     ticket_id, thread_id, target_type, target_id; the customer's
//     workflow does the transfer. Teams and agents.
//   - ParseWebhook: app webhooks are JSON arrays of up to 100 events
//     signed with X-HubSpot-Signature-v3 (SchemeV3: base64 HMAC-SHA256 of
//     method + URI + body + millisecond timestamp, 5-minute tolerance,
//     Options.Tolerance; the URI is Config.WebhookURL when set, so
//     proxies do not break it). conversation.newMessage costs a GET of the
//     message (text, direction, senders, client): a failed GET fails the
//     delivery with a 5xx so HubSpot redelivers. The bot's own OUTGOING
//     messages are Self; COMMENTs are internal; WELCOME_MESSAGE is system
//     (no GET). conversation.propertyChange assignedTo and status,
//     conversation.creation and deletions are mapped; anything else gives
//     no events (answered 2xx: HubSpot retries every 4xx). Events dedupe
//     on portal id + event id, both inside the signed body.
//     Workflow webhooks (one object, X-HubSpot-Signature v2) from the
//     ticket-created workflow (TicketWorkflowBody) are stored in the
//     AssociationStore and reported as EventOther with a
//     TicketAssociation.
//
// # HubSpot setup per handover mode
//
// Agent: the bot user and the agents are in the inbox; nothing else.
//
// Owner and Event on Help Desk: Help Desk associates a ticket with every
// conversation, which the API returns. Event mode needs one custom event
// per flow (Settings → Data Management → Custom Events, with a required
// objectId property, its internal name "pe<portal>_<name>" going into
// Config.HandoverEvent or Config.Flows) and one workflow per flow based on
// that event, with "Assign ticket owner" and "Replace any existing ticket
// owner" on (and "Allow re-enrollment" for tickets reused across
// conversations). Create the ticket-created workflow too
// (TicketWorkflowBody): it is the fallback when the API gives no ticket.
//
// Owner and Event on the older Inbox: two more workflows associate the
// tickets: one conversation-based that creates a ticket when the
// conversation reaches the bot (and triggers the ticket-created
// webhook), and one that rotates the record to the ticket owner. A thread
// must then have at most one ticket: with several, Reassign returns an
// *AmbiguousTicketError naming them rather than guess.
//
// Limits: private apps get 100 (Free/Starter) or 190 requests per 10
// seconds and a daily cap (LimitsFree, LimitsProfessional,
// LimitsEnterprise); the default budget reads the X-HubSpot-RateLimit-*
// headers, and a 429 of the DAILY policy waits until the account's
// midnight (Options.TimeZone) instead of being retried. Errors are
// {"status","message","correlationId","category"} with
// X-HubSpot-Correlation-Id.
package hubspot
