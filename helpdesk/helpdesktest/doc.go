// Package helpdesktest helps test code built on agentdesk.
//
// Fake is an in-memory helpdesk.Helpdesk for the unit tests of a bot: it
// records every call, lets a test inject customer messages as signed
// webhook deliveries, fails calls on demand the way vendors fail, and is
// safe for concurrent use.
//
// RunConformance is the suite every driver passes against its fake vendor
// server (each driver's <vendor>test package, built on VendorServer):
// message parts in order, final message with resolve, resolve, reassign to
// a group and to an agent with and without notice, ErrUnsupported for
// capabilities a vendor lacks, webhook verification and parsing, the bot's
// own echo, vendor errors mapped to the sentinels, and context
// cancellation.
package helpdesktest
