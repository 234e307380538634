// Package escalation decides when an AI support agent hands a conversation
// to humans, to whom, and when it must stay silent.
//
// A Policy is built once from a Config (Go or JSON, see LoadConfig) by New,
// which validates everything and reports all problems at once in a
// *ValidationError. For each webhook event the host fills a State (the
// event, message counts, tags, language...) and asks Decide with the bot's
// candidate Answer. The Decision says reply, resolve, escalate (with the
// helpdesk.Target ready for Helpdesk.Reassign, customer notice included) or
// ignore, with a Reason usable as a metric label.
//
// The rules follow how helpdesk teams run a level-1 bot:
//
//   - Hand over on low confidence, too many bot messages, a conversation or
//     message too large, a customer asking for a human ("quero falar com um
//     atendente", "talk to a human", "hablar con un agente"), or a tag or
//     content route; with no matching route, to the default (N2) target.
//   - Tell the customer a human will take over, in their language.
//   - Hand over only to a target that is open (business hours per target,
//     time-zone aware) and has someone available (an Availability the host
//     or driver implements, e.g. HubSpot's "at least one agent online in
//     the team"); otherwise fall back to the next route, the default target
//     or the bot itself (Config.Fallback, Decision.Fallback).
//   - Never hand over to the bot's own group or agent (a loop): New refuses
//     such targets and Decide never returns one.
//   - Never answer spam (same sender, domain, subject or text), internal
//     notes, the bot's own echo, or conversations a human has taken.
//
// The order in which rules apply is documented on Policy.Decide.
//
// Text matching ignores case and accents ("NÃO" = "nao"). Phrases and
// keywords match whole words and ignore punctuation; tags are compared
// whole; regular expressions run on the text in lower case without accents,
// punctuation kept. All phrases and keywords are found in one pass over the
// message (Aho–Corasick) without copying it, and regular expressions are
// compiled once and skipped when a literal they need is absent, so Decide
// costs about the same with 5 rules or 100 and does not allocate.
//
// RoundRobin picks the next human agent of a team fairly, skipping agents
// offline or at their limit of open conversations (Zendesk's L2 round robin,
// Cloud Chat's auto-assignment limits). Its rotation cursor is pluggable:
// MemoryCursor for one process, escalation/redisrr.Cursor for replicas
// sharing one rotation (only that subpackage imports a Redis client).
package escalation
