// Package drivertest is the conformance kit for helpdesk drivers, for
// driver authors in this module and outside it. It holds:
//
//   - RunConformance, the suite of behaviour every driver shares, run
//     against the driver wired to its fake vendor server (a Harness);
//   - VendorServer, the base such fake servers are built on: an httptest
//     server that answers only the endpoints registered on it (anything
//     else fails the test with the method and path), checks credentials,
//     counts requests, rate-limits like the vendor, and fails or stalls on
//     demand;
//   - drivertest/openapi, which checks every request the driver sends
//     against the vendor's published OpenAPI description;
//   - drivertest/redistest, which gives tests a loopback redis-server for
//     state shared by replicas (budgets, dedupe).
//
// See helpdesk/driver for the contract and the guide to writing a driver.
//
// # Writing a Harness
//
// A driver's conformance_test.go is one line plus its Harness:
//
//	func TestConformance(t *testing.T) {
//		drivertest.RunConformance(t, drivertest.HarnessFunc(func(t *testing.T) *drivertest.Env {
//			srv := acmetest.NewServer(t)            // the fake vendor, on loopback
//			c, err := acme.New(srv.Config(), nil)   // the driver, pointed at it
//			require.NoError(t, err)
//			return &drivertest.Env{Helpdesk: c, ...}
//		}))
//	}
//
// Setup is called once per subtest, and the subtests run in parallel, so
// each Env must be isolated: its own fake server, its own client. The
// suite takes a few seconds per driver (its stalls are two seconds at most
// and end with the request's context).
//
// # The Env fields
//
// Required for every driver:
//
//   - Helpdesk: the driver under test, the helpdesk.Helpdesk its New returns
//     (a *driver.Portable inside).
//   - NewConversation: creates a conversation at the fake, open, assigned to
//     the bot, with a first customer message, and returns the reference a
//     webhook would have carried (Extra included).
//   - State: what the fake holds for a conversation, normalised: status,
//     group and agent ("" for none and for the bot), the texts of the bot's
//     public messages and internal notes in order, and the URLs (or names)
//     of the files the bot attached.
//   - FailNext(status): the fake answers the next API request the way the
//     vendor fails (its error body; for 429 its rate-limit headers).
//   - RetryAfter: true when the vendor's 429 says how long to wait; the
//     suite then requires APIError.RetryAfter > 0.
//   - Stall(d): the fake holds every request for d (until the client gives
//     up).
//   - Requests: how many API requests the fake has answered; the suite
//     checks that refused calls cost none.
//   - Group, Agent: ids of a human group and agent that exist at the fake
//     (may be empty when the driver cannot reassign to them).
//   - Secrets: every secret the driver was configured with (API tokens,
//     webhook secrets), each at least 8 characters long. No error the
//     suite provokes, and no webhook handler answer, may contain one.
//
// For drivers that declare helpdesk.CapWebhooks:
//
//   - CustomerMessage(t, conv, text, d): a delivery reporting that the
//     customer wrote text, signed as d says: Delivery{} is a good delivery
//     signed now with the first webhook secret; d.Secret signs with another
//     secret (a rotated one, or "wrong secret" for a forgery); d.At signs at
//     another time (stale or future). Building it twice for the same
//     conversation and text must give the same delivery ids, as the
//     vendor's redelivery would.
//   - BotEcho: the delivery the vendor sends back for the bot's own message.
//   - Unsigned: the customer delivery without its signature header.
//   - Malformed: a correctly signed delivery whose body is not a payload.
//   - WebhookSecrets: the configured webhook secrets, at least two (the
//     current one and the one being rotated out); both must be accepted.
//   - SignsTime: true when the vendor signs a time with each delivery; stale
//     and future deliveries must then be refused (helpdesk.ErrSignatureStale,
//     ErrSignatureFuture). Either way a delivery replayed byte for byte
//     through one handler must be handled once.
//
// Optional, nil when the vendor has no such thing (the suite then checks
// the other side: nothing is skipped silently):
//
//   - CloseConversation: closes a conversation the way the vendor refuses
//     further updates (a closed Zendesk ticket); a message to it must fail
//     with helpdesk.ErrConversationClosed, at most one request, no retry.
//     When nil, a resolved conversation must still accept a message.
//   - ReplyWindowClosed: a conversation whose channel's free-form reply
//     window has closed (WhatsApp after 24 hours); a message must fail with
//     helpdesk.ErrReplyWindowClosed without a request.
//   - IdempotencyKeys: the idempotency keys (or echo ids) the fake received,
//     in order; the same Message.IdempotencyKey must arrive as the same key,
//     different messages with different keys. When nil, a message with a key
//     must still be sent.
//   - AttachmentURL: a URL for the attachment the suite sends (default: a
//     small file served on loopback by the suite).
//   - NewHandler: builds the webhook handler the suite drives; the kit's own
//     mutation tests plant broken handlers through it. Drivers leave it nil.
//
// A capability the driver does not declare is not skipped: the suite checks
// that the call fails with helpdesk.ErrUnsupported, as an *helpdesk.OpError,
// without a request. Vendor errors must come back as an *helpdesk.OpError
// around an *helpdesk.APIError that keeps the vendor's status.
//
// # Fake vendor servers
//
// Build the fake in the driver's <vendor>test package on VendorServer:
// NewVendorServer with the vendor's Authorize check and WriteError shape,
// then Handle each documented endpoint the driver calls ("PUT
// /api/v2/tickets/{id}"). Its FailNext, Stall and Requests are what the Env
// needs. Ship a signer beside it that builds deliveries with
// driver.Scheme.SignRequest and SignedRequest, so users can test their
// handlers with the same deliveries.
//
// # Checking requests against the vendor's spec
//
// Load the vendor's OpenAPI description with openapi.Load (from the specs
// folder, skipping when it is absent) or openapi.LoadFile (from the
// driver's testdata), then wrap the fake's handler with Spec.Middleware or
// call Spec.Validate from its handlers: a request the spec forbids then
// fails the test that sent it. Keep the fake as strict as the vendor, not
// stricter, since users run other clients against it too.
//
// # Redis
//
// redistest.Client(t) returns a client for a Redis server owned by the
// test: the server at AGENTDESK_TEST_REDIS_ADDR when set, else a
// redis-server started from PATH on a free loopback port. Without either
// the test is skipped with a message saying so, or fails when CI=true, so
// a CI run cannot pass by skipping every Redis test. Tests sharing an
// external server keep their keys apart with redistest.KeyPrefix(t).
package drivertest
