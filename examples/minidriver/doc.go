// Package minidriver is a complete helpdesk driver for Minidesk, an
// imaginary helpdesk, written from the guide in helpdesk/driver to show
// what a driver contains. It passes the conformance kit
// (helpdesk/drivertest) against its fake server (minidesktest), the
// fault scenario included: under 20 % of writes failing before or after
// Minidesk posted them, every multi-part answer arrives once, complete and
// in order (reconcile_test.go).
//
// Minidesk is a JSON REST API with bearer-token auth (Config.APIToken).
// The helpdesk.Helpdesk methods call:
//
//   - SendMessage: POST /v1/tickets/{id}/replies {"body","internal"}.
//     Minidesk takes no idempotency key, so after an ambiguous failure (a
//     timeout, a reset, a 5xx) the driver reads the replies back with GET
//     /v1/tickets/{id}/replies and sends again only if its reply is not
//     there (driver.Reconcile; see reconcile.go, the step to copy).
//     Minidesk cannot close a ticket with a reply, so a Message with
//     Resolve is this reply followed by Resolve (the portable fallback).
//     Closed tickets refuse replies with 409 {"error":{"code":
//     "ticket_closed"}}, which matches helpdesk.ErrConversationClosed.
//   - Resolve: POST /v1/tickets/{id}/close.
//   - Reassign: POST /v1/tickets/{id}/assign {"team_id"} or {"agent_id"},
//     with Target.Note as its "note" (an internal note); Target.Notice
//     follows as a reply. Assigning to a team clears the agent.
//   - ParseWebhook: deliveries signed "X-Minidesk-Signature:
//     v1=<hex HMAC-SHA256 of "<unix ts>.<body>">" with the time in
//     X-Minidesk-Timestamp (Config.WebhookSecrets, Options.Tolerance).
//     reply.created deliveries become helpdesk.EventMessageCreated;
//     other types give no events.
//
// Ticket, team and agent ids are positive integers. Errors are
// {"error":{"code","message"}} with X-Request-Id; 429s carry Retry-After.
// Requests are paced by default by an in-process budget with Limits, and
// writes into one ticket by a guard of ConversationWrites per
// ConversationWindow (Options.ConversationLimit).
package minidriver
