// Package helpdesk is the portable core of agentdesk: the API a Go service
// uses to work as an AI support agent inside the helpdesks its customers
// already use.
//
// The bot is one more agent of the helpdesk. Customer messages reach it by
// webhook (WebhookHandler verifies, deduplicates and dispatches them as
// Event values); it answers in the conversation (Helpdesk.SendMessage, or
// Reply for long answers split into parts), resolves it when done
// (Helpdesk.Resolve, or Message.Resolve with the final answer) and hands it
// to a human group or agent when it should not go on (Helpdesk.Reassign).
//
// One driver package per vendor provides a Helpdesk: zendesk (Support
// tickets and Zendesk messaging through Sunshine Conversations), cloudchat
// (Chatwoot), intercom, and more to come. Each declares what it can do
// (Capabilities); anything else answers ErrUnsupported. The rules every
// driver shares are applied once, by the portable implementation in
// helpdesk/driver, the package for driver authors; helpdesk/drivertest is
// their conformance kit. Every error a driver
// returns matches one of the sentinels (ErrRateLimited, ErrUnauthorized,
// ErrNotFound, ErrConversationClosed, ...) with errors.Is, and vendor
// answers are *APIError values that keep the status and request id and
// never a secret.
//
// The shared pieces a host composes its bot from live beside this package:
// helpdesk/transport (the HTTP client every driver uses), helpdesk/budget
// (rate budgets shared by replicas), helpdesk/split (message splitting per
// channel), escalation (when and to whom to hand over) and
// helpdesk/helpdesktest (an in-memory Fake for the bot's tests).
package helpdesk
