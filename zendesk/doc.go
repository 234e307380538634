// Package zendesk is the agentdesk driver for Zendesk: Support tickets
// (e-mail, web form, API) through the Support API, and chat (Zendesk
// messaging) through Sunshine Conversations. New returns a *Client whose
// embedded helpdesk.Helpdesk is the portable one from helpdesk/driver: it
// applies the rules every driver shares (input checks, capability gating,
// the resolve-after-message fallback in chat mode, the per-ticket guard,
// webhook verification before parsing, errors wrapped once in a
// *helpdesk.OpError) and calls this driver. helpdesk/transport does the
// HTTP (auth, retries, Retry-After, budget waits, typed errors, redaction);
// limits.go holds what the driver knows of Zendesk's limits, rate-limit
// headers and error bodies.
//
// # Credentials
//
// Support API: Config.Email + Config.APIToken (Basic "email/token:token";
// Admin Center > Apps and integrations > APIs > Zendesk API), or OAuth:
// Config.OAuthToken (bearer), Config.OAuthClientID/OAuthClientSecret
// (client-credentials grant on POST /oauth/tokens, cached until it
// expires) or Config.TokenSource. Zendesk retires API tokens in 2027.
// The API user should be an agent dedicated to the bot (Config.BotUserID);
// creating groups needs an admin. Sunshine Conversations (chat):
// Config.SunshineKeyID/SunshineSecret (Basic), on
// https://SUBDOMAIN.zendesk.com/sc. Webhooks: the trigger webhook's
// signing secret(s) and the Sunshine webhook's shared secret.
//
// # Endpoints per method
//
//	SendMessage  ticket:   PUT  /api/v2/tickets/{id}  {"ticket":{"comment":{"body","public","author_id"}[,"status":"solved"]}}
//	             chat:     POST /v2/apps/{app}/conversations/{id}/messages  (author type business, bot name/avatar)
//	                       (+ the ticket PUT for an internal note; chat mode has no resolve-with-message:
//	                       the message, then Resolve); after an ambiguous failure of either write, the
//	                       read-back GET /api/v2/tickets/{id}/comments or GET …/conversations/{id}/messages
//	Resolve      ticket:   PUT  /api/v2/tickets/{id}  {"ticket":{"status":"solved"}}
//	             chat without ticket id: POST /v2/apps/{app}/conversations/{id}/releaseControl
//	Reassign     ticket:   PUT  /api/v2/tickets/{id}  group_id + "assignee_id": null (or assignee_id), status open,
//	                       notice (public) or note (private) comment; notice AND note: two PUTs (note first)
//	             chat:     notice message, POST …/passControl {"switchboardIntegration":"zd-agentWorkspace",
//	                       "metadata":{"first_message_id",…}}, then the ticket PUT when its id is known
//	ParseWebhook trigger and event-subscription webhooks (X-Zendesk-Webhook-Signature) and Sunshine
//	             deliveries (X-API-Key); no request
//	GetTicket    GET  /api/v2/tickets/{id}
//	ListGroups   GET  /api/v2/groups?page[size]=100 (cursor pagination)
//	CreateGroup  POST /api/v2/groups (admin only; a 403 matches ErrAdminRequired)
//	BulkCloser   GET  /api/v2/tickets/show_many?ids=… (keep the tickets still solved), then
//	             PUT  /api/v2/tickets/update_many {"tickets":[{"id","status":"closed","safe_update":true,
//	                  "updated_stamp"},…]} (≤100), then GET /api/v2/job_statuses/{id} for per-ticket results
//
// Every ticket PUT draws on the "tickets-update" limit and carries an
// Idempotency-Key (derived from Message.IdempotencyKey, else random), so a
// retried update cannot post its comment twice; Resolve, Reassign and a
// final message with Resolve go at transport.PriorityCritical. By default
// the Client paces itself with NewBudget (driver.Budget's rule, as every
// driver): the plan's requests per minute (Team 200, Growth/Professional
// 400, Enterprise 700, Enterprise Plus or High Volume 2500) and
// Config.TicketUpdateShare of the 100/min Update Ticket limit, corrected by
// Zendesk's X-Rate-Limit-Remaining, ratelimit-* and Retry-After headers
// (Headers). Each ticket or conversation is also held to
// Options.ConversationLimit writes per 10 minutes (default 30, Zendesk's
// per-ticket limit), locally.
//
// # Conversations
//
// A helpdesk.Conversation is a ticket (ExtraTicketID), a Sunshine
// conversation (ExtraSunshineConversationID), or both (KindOf). Ticket
// events use the ticket id as Conversation.ID, Sunshine events the Sunshine
// conversation id; WithTicket adds a ticket id to a Sunshine conversation.
//
// # Errors
//
// A closed ticket (422 "closed prevents ticket update") matches
// helpdesk.ErrConversationClosed: create a follow-up ticket instead. Other
// 422 validation failures (a field required to solve, an assignee outside
// the group) are *helpdesk.FieldError naming the field. Sunshine's 423
// (30,000 messages) also matches ErrConversationClosed.
//
// # Webhooks
//
// Point a trigger ("Notify by > Active webhook", JSON) at the bot with
// RecommendedTriggerBody (SeedTriggerBody, the integration guide's body, is
// understood too). Signatures are base64 HMAC-SHA256 over the timestamp
// header followed by the raw body (TriggerScheme), checked by a
// driver.Verifier against every configured secret, then the signed time
// against the receive time with Options.Tolerance (default 5 minutes).
// Webhooks subscribed to Zendesk events (zen:event-type:ticket.comment_added
// and others, see EventPayload) are signed alike and accepted on the same
// route; the README says which kind to choose. Sunshine deliveries carry a shared secret in X-API-Key, compared in
// constant time with Config.SunshineWebhookSecrets; they sign no time, so
// dedupe on the events' ids is their replay guard. The bot's own comments and internal notes
// never look like customer messages (Event.IsCustomerMessage). For chat,
// enable "Include full user" and the conversation:message trigger on the
// conversations integration; one delivery may carry several events.
//
// The package zendesktest provides a fake Zendesk and webhook signers for
// tests.
package zendesk
