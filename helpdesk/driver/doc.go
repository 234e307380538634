// Package driver is for driver authors: the contract a vendor driver
// implements, and the pieces every driver shares. Bot authors do not need
// it: they program against helpdesk.Helpdesk, which each driver's New
// returns (wrapped in its vendor client type for the vendor's extras).
//
// # What to implement
//
// A driver implements Driver: Vendor, Capabilities, SendMessage, Resolve,
// Reassign, VerifyWebhook, ParseWebhook, As and ErrorAs, and optionally
// ConversationChecker and TargetChecker. It then wraps itself with New,
// which returns a *Portable: the one implementation of helpdesk.Helpdesk
// that applies the shared rules, so no driver writes them again:
//
//   - context first: a done context fails before any work;
//   - input checks: blank text, blank conversation id, a conversation of
//     another vendor, an invalid Target, all refused with a
//     *helpdesk.FieldError before any request;
//   - capability gating: a call the driver did not declare never reaches it
//     and fails with helpdesk.ErrUnsupported (internal notes, attachments,
//     resolve, each reassign kind, webhooks);
//   - the resolve-after-message fallback: without CapResolveWithMessage a
//     Message with Resolve is sent, then Resolve is called, and a failed
//     resolve comes back as *helpdesk.ResolveAfterReplyError with the
//     receipt;
//   - the per-conversation guard (Options.ConversationLimit): a runaway
//     loop in one conversation is stopped locally, with
//     helpdesk.ErrRateLimited, while other conversations go on;
//   - webhook order: VerifyWebhook always runs before ParseWebhook;
//   - errors are wrapped once, in a *helpdesk.OpError, and helpdesk.As /
//     helpdesk.ErrorAs reach the vendor client and vendor errors.
//
// # What the core already does
//
// helpdesk/transport sends every request: auth, retries that never resend
// a write that may have arrived, one Retry-After parser, budget waits,
// typed *helpdesk.APIError values and secret redaction. A driver gives it
// its vendor knowledge through transport.Options: DecodeError (the
// vendor's error body), Classify (vendor-specific sentinels), RetryAfter
// (only when the vendor's 429s are not read by transport.ParseRetryAfter)
// and RequestIDHeaders. helpdesk/budget holds the rate mechanics; the
// driver holds its vendor's limits and header reader, and uses Budget so
// that every driver paces the same way by default.
// helpdesk/split holds the channel limits (split.Preset); drivers refer to
// it rather than keep their own table. Verifier checks webhook signatures
// for every scheme the vendors use.
//
// # Writes that may have landed
//
// A message post the vendor does not deduplicate (most of them: check the
// vendor's docs for an idempotency key it really honours) must never be
// resent blindly, nor reported failed when it may have been posted. Send
// it through Reconcile: Write.Send makes one attempt with
// transport.Request.Reconciled set, and Write.Find reads the conversation
// back after an ambiguous failure (Ambiguous: a 5xx, a 408, a timeout or
// reset after the request was written) and reports the driver's own
// message if it is there, claiming its id with Reconciler.Claim. The
// conformance kit's Faults scenario (Env.InjectFaults) proves it: 20 %
// of writes failing before and after the fake processed them, and every
// multi-part answer must arrive once, complete and in order. Never set a
// header named exactly "Idempotency-Key" by hand: Go's net/http resends
// such a request by itself after a reset on a reused connection, a resend
// the driver cannot reconcile. transport.Request.IdempotencyKey of a
// Reconciled request goes out under a lower-case name for that reason.
//
// # File layout
//
// Every driver package has the same rooms:
//
//	doc.go              which vendor endpoint each method calls, credentials
//	config.go           Config (each field says where to find it) and Validate
//	client.go           New, Client (helpdesk.Helpdesk + vendor extras), the Driver methods
//	webhook.go          the Scheme(s), VerifyWebhook, ParseWebhook and mapping
//	limits.go           the vendor's limits, header reader, error-body decoder
//	<vendor>test/       a fake vendor server built on drivertest.VendorServer, and a signer
//	conformance_test.go drivertest.RunConformance against the fake
//	example_test.go     what a user copies
//
// # The shape of a driver package
//
// The same names in every driver, so that a reader who knows one knows all:
//
//   - type Client struct{ helpdesk.Helpdesk; ... }: the embedded Helpdesk
//     is the *Portable that New returns around an unexported
//     clientDriver{c *Client} implementing Driver (assert it with
//     var _ Driver = clientDriver{}). Client.As sets a **Client to itself;
//     Client.ErrorAs reaches vendor error types (ErrorAs when there are
//     none). Vendor extras are methods on *Client.
//   - New(cfg Config, opts *Options) (*Client, error), nil opts meaning
//     defaults. Config.Validate collects every problem in a
//     *helpdesk.ConfigError (ce.Add(field, ...); return ce.Err()), and the
//     package exports var ErrInvalidConfig = helpdesk.ErrInvalidConfig.
//   - Options has HTTPClient, Logger, MaxRetries, MaxRetryWait (passed to
//     transport.Options); Budget and NoBudget (passed to Budget with the
//     vendor's limits and header reader); Tolerance (passed to
//     NewVerifier; zero means DefaultTolerance, negative is refused); and
//     ConversationLimit int (0: the vendor's per-conversation limit,
//     negative: off), turned into Options.ConversationLimit with the
//     vendor's window. That budget.Limit paces like any other: its default
//     Burst is small (budget.DefaultBurst) and a fifth of it is kept for
//     critical writes, so set Burst when a reply in parts or a handover
//     with its notice should not wait. CheckOptions reports the problems
//     of these shared options with the same words in every driver.
//   - The webhook Scheme is exported, so that the <vendor>test signer
//     signs with Scheme.SignRequest what the driver verifies.
//   - Conversation.Extra keys are "<vendor>.<key>", exported as ExtraXxx
//     constants; Config and Client keep secrets out of %v, %+v,
//     %#v, JSON and slog (String, GoString, MarshalJSON, LogValue).
//
// # Proving a driver
//
// helpdesk/drivertest is the conformance kit: RunConformance runs the
// shared behaviour against a Harness (the driver wired to its fake vendor
// server), VendorServer is the base for fake servers, OpenAPI checks every
// request against the vendor's published spec, and Redis starts a
// loopback redis-server for tests of shared state. The Env's delivery
// builders must give the same body (and so the same delivery ids) when
// called again with the same arguments: that is a redelivery, which the
// suite expects the webhook handler to drop. examples/minidriver is a
// complete driver for an imaginary helpdesk, written from this page, that
// passes the kit.
package driver
