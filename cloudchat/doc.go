// Package cloudchat is the agentdesk driver for Cloud Chat, a helpdesk
// built on Chatwoot that speaks the Chatwoot Application API and webhook
// formats.
//
// # Endpoints and tokens
//
// All paths are under {BaseURL}/api/v1/accounts/{AccountID}. "bot" means
// Config.APIToken (an agent-bot token, or an agent user's token when
// TokenKind is TokenUser); "user" means Config.UserToken, which agent-bot
// tokens cannot replace (Chatwoot answers 401 "Access to this endpoint is not
// authorized for bots"; the driver returns ErrUserTokenRequired without
// sending).
//
//	SendMessage     POST /conversations/{id}/messages                  bot
//	                (+ Resolve's request when Message.Resolve is set)
//	Resolve         POST /conversations/{id}/toggle_status resolved     bot
//	Reassign        POST /conversations/{id}/messages (notice, note)    bot
//	                POST /conversations/{id}/assignments team_id|assignee_id
//	                POST /conversations/{id}/toggle_status open         bot
//	SendTemplate    POST /conversations/{id}/messages template_params   bot
//	StartConversation POST /conversations message.template_params       bot
//	AddLabels       GET + POST /conversations/{id}/labels               user (bot from 4.14.2)
//	UpsertContact   GET /contacts/search, POST /contacts,
//	                PUT /contacts/{id}, GET + POST /contacts/{id}/labels user
//	ListTeams       GET /teams                                          user
//	ListAgents      GET /agents                                         user
//	Available       GET /teams/{id}/team_members or GET /agents         user
//	Version         GET {BaseURL}/api                                   none
//	ParseWebhook    no request
//
// {id} is the conversation's per-account display id, which is what webhooks
// call conversation.id and what Conversation.ID holds.
//
// New returns a *Client: its SendMessage, Resolve, Reassign and
// ParseWebhook are the portable helpdesk.Helpdesk of helpdesk/driver,
// which checks the input, refuses what Chatwoot cannot do
// (helpdesk.ErrUnsupported for attachments), sends the resolve after the
// message (Chatwoot cannot resolve in the message request; a failed
// resolve is a *helpdesk.ResolveAfterReplyError with the receipt), paces
// each conversation (Options.ConversationLimit) and wraps errors in a
// *helpdesk.OpError; the Cloud Chat extras are methods of *Client, which
// helpdesk.As reaches through a helpdesk.Helpdesk.
//
// # Webhooks
//
// Point an account webhook (Settings → Integrations → Webhooks) or the agent
// bot's outgoing URL at a helpdesk.WebhookHandler built on the Client, in
// queued mode: Chatwoot waits 5 seconds, then hands a pending conversation
// to humans when a bot delivery fails. Deliveries are verified on the raw
// body with driver.Verifier and Scheme: X-Chatwoot-Signature against
// several secrets (Config.WebhookSecrets, for rotation) first, then
// X-Chatwoot-Timestamp against the time the delivery was received, within
// Options.Tolerance (5 minutes). New messages are deduplicated on their
// message id, other events on X-Chatwoot-Delivery. Servers older than 4.12
// do not sign: see Config.UnsignedToken.
//
// The bot receives its own replies, private notes, template/activity lines
// and every message after it handed over. Events mark them (Author.Self and
// RoleBot for its own messages, RoleSystem for template/activity lines,
// Public=false for notes), and BotShouldAnswer tells whether the bot should
// reply at all: a public customer message in a conversation that is still
// pending and not assigned to a human.
//
// Event.Raw keeps the delivery with every "pubsub_token" (the contact's
// widget websocket token, present in every conversation object) replaced by
// [REDACTED], so events may be logged; the token is never decoded. Errors
// never quote bodies or secrets.
//
// # Where the Chatwoot spec and the server differ
//
// The driver follows the published OpenAPI spec where it disagrees with
// observed server behaviour: template_params always carries name, category,
// language and processed_params (the spec requires all four; the server
// needs only name), categories are limited to the spec's enum, contact
// updates use PUT (older docs say PATCH), and contact creation always sends
// inbox_id (Config.ContactInboxID). The spec lists only user tokens for
// conversation labels; servers from 4.14.2 accept bot tokens, which the
// driver uses only when no user token is configured.
//
// # Limits
//
// Chatwoot does not split messages per channel; SendMessage refuses a text
// beyond MessageLimit(channel) with a *TooLongError, and helpdesk.Reply with a
// helpdesk/split splitter (SplitLimit) sends long answers in parts. The
// per-channel numbers are Chatwoot's rows of helpdesk/split's table
// (split.PresetFor).
//
// Chatwoot throttles 3000 requests a minute per client IP (429 text/plain,
// no Retry-After: RetryAfter waits for the next minute boundary) and 200
// messages a minute per conversation (422 "Too many messages", reported as
// helpdesk.ErrRateLimited). By default every Client paces itself with an
// in-process budget (DefaultLimits, keyed by BudgetKey, read by
// Headers) and a per-conversation guard (Options.ConversationLimit);
// replicas that call from one address share a Redis budget built with
// helpdesk/budget/redisbudget from the same pieces (see Options.Budget).
// Options.NoBudget turns the default budget off.
package cloudchat
