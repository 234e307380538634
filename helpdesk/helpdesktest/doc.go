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
// It passes the conformance kit, helpdesk/drivertest.
//
// The package imports no test-only module (no testify, no OpenAPI or YAML
// library), so a program may use the Fake outside tests, as examples/faqbot
// does. The conformance kit for driver authors is helpdesk/drivertest.
package helpdesktest
