// Package budget paces an AI agent's calls to a helpdesk API so that they
// never exhaust the customer's rate limit, which the customer's human agents
// share, while still using nearly all of the rate the customer grants.
//
// Every message part, resolve and hand-over is one API call. A budget
// implements transport.Budget: the transport calls Wait before every
// attempt and Observe after every response.
//
// # Limits
//
// A budget belongs to one helpdesk account and holds one or more Limits:
// Count requests per Window. Account-wide limits apply to every call;
// endpoint limits (PerEndpoint, e.g. Zendesk's "tickets-update") apply to
// calls that list their name in transport.Call.Limits. A call waits until
// every limit it draws on has room. The package knows no vendor: each
// driver keeps its vendor's limits and header reader in its limits.go, and
// helpdesk/driver.Budget builds every driver's default budget the same way.
//
// Each limit is a token bucket of Burst tokens refilled at
// (Count−Burst)/Window. Because a bucket admits at most Burst + rate·Window
// calls in any interval of length Window, no vendor window, fixed or
// rolling and whatever its phase, sees more than Count calls from the
// budget; the price is that Burst/Count of the limit goes unused, so the
// default burst is 2 % of Count.
//
// # Local and shared budgets
//
// NewLocal keeps the buckets in the process (golang.org/x/time/rate). It is
// exact for one process; WithReplicas(n) makes it take 1/n of every limit,
// a safe static split.
//
// A Shared budget keeps them in a Store outside the process so that every
// replica of a service draws on one budget: helpdesk/budget/redisbudget's
// New keeps them in Redis, one Lua script (GCRA) on Redis's clock per
// decision. This package does not import a Redis client; only programs
// that use redisbudget link one. When the store does not answer within the
// store timeout (WithStoreTimeout, 500 ms by default) the budget switches
// to a local budget of 1/n of each limit (WithReplicas), logs that once,
// and switches back when the store answers again.
//
// # Priorities
//
// Critical calls (transport.PriorityCritical: resolve, reassign) are
// admitted before waiting normal calls (message parts), and normal calls
// leave a reserve (WithReserve, default 20 % of each bucket) untouched, so
// a burst of hand-overs goes at once even while messages flood. When no
// critical call is waiting, normal calls get the whole rate.
//
// # Vendor feedback
//
// Observe reads the response with the vendor's HeaderReader (WithHeaders),
// which a driver builds with Headers from its vendor's header names and
// reset format, or takes from RetryAfterHeaders (the default) and
// IETFHeaders. Retry-After is read by transport.RetryAfterValue, the one
// parser the transport uses too, so a 429 gets one wait. A 429 pauses every caller of the
// budget, on every replica for a shared budget, until Retry-After, the
// vendor's reset, or the next fixed-window boundary; then a single probe
// call goes, and the others follow once it succeeds. Remaining-quota
// headers slow the pace before a 429 happens, which matters when human
// agents or other apps spend the same limit.
//
// A limit with Share set learns the account's real limit: the first
// response whose headers report the vendor's total (Quota.Total) resizes
// it to Share of that total, up or down, and the budget logs the learned
// limit once. Count is then only the safe start, so users need not know
// their plan. A shared budget rescales the debt it holds in the store.
//
// When the vendor also reports when its window resets (Zendesk, Intercom),
// its windows are fixed and it has said how many calls it still takes: a
// learning limit of a Local budget then spends what is left as calls come, less what Share
// leaves to others, what is in flight, and 1/n per replica, keeps the
// window's last call for critical calls, and waits for the reset once it
// is spent, instead of spreading the limit over a rolling window. In a
// window that follows a spent one, calls continuing a conversation in
// progress (a call for the same transport.Call.Path was admitted lately)
// go before calls starting one, so that conversations finish rather than
// each getting one part. Under overload that completes as many
// conversations as a client that sends until the vendor answers 429,
// with none.
//
// # Waiting
//
// Wait honours the context's cancellation and deadline. A call with
// MaxWait set (say, a message part that the bot would rather merge with the
// next one than queue) gets a *WaitError matching helpdesk.ErrRateLimited
// at once when it would have to wait longer.
//
// # Planning
//
// Plan does the arithmetic of the "Rate Limit and RPM Usage" help article:
// tickets, messages, parts, resolves and hand-overs per month, spread over
// business hours, give the requests per minute to compare with a plan's
// limit. See examples/rpmplan.
package budget
