// Package helpdesktest helps test code built on agentdesk.
//
// Fake is an in-memory helpdesk.Helpdesk for the unit tests of a bot. It
// is a driver.Driver wrapped by driver.New, like every real driver, so it
// applies the same portable rules (capability gating, input checks, the
// resolve-after-message fallback, errors wrapped in *helpdesk.OpError). It
// records every call, lets a test inject customer messages and other
// events as signed webhook deliveries (stale, future and other-secret ones
// too, with DeliveryWith), fails calls on demand the way vendors fail,
// closes conversations and reply windows, and is safe for concurrent use.
// It passes the conformance kit, helpdesk/drivertest, its fault scenario
// included.
//
// # Vendor faults
//
// FailNext makes one call return an error, as it is. InjectFaults models
// what a loaded helpdesk does to a share of writes (FaultPlan): refuse
// them (429, 5xx, a timeout or reset before the write arrived) or store
// them and fail all the same (5xx, a timeout or reset after). The Fake's
// driver then behaves as a real one: after an ambiguous failure it reads
// the conversation back (driver.Reconcile) and sends again only if the
// message is not there, so a bot under test sees what real drivers let
// through, a 429 or a write that kept failing, and must retry those
// without duplicating a part (helpdesk.Reply with an IdempotencyKey does).
// WithIdempotencyKeysIgnored makes the Fake store every message it
// receives, as most helpdesks do, instead of deduplicating by key. See
// the example of Fake.InjectFaults.
//
// The package imports no test-only module (no testify, no OpenAPI or YAML
// library), so a program may use the Fake outside tests, as examples/faqbot
// does. The conformance kit for driver authors is helpdesk/drivertest.
package helpdesktest
