// Package transport is the HTTP client every agentdesk driver uses, so that
// cross-cutting behaviour lives once:
//
//   - credentials (Basic, Bearer, custom headers, refreshing token sources)
//     and the User-Agent "agentdesk/<version>";
//   - a Budget waited on before every attempt, retries included, and told
//     about every response (429s, remaining-quota headers);
//   - retries with go-retryablehttp, only when safe: a request that provably
//     never reached the vendor (connection refused, DNS failure), a 429 or
//     503, or an ambiguous failure (timeout, 500, 502, 504) of a request
//     marked idempotent or carrying an idempotency key. A POST without a key
//     is never sent twice by accident;
//   - Retry-After, read by the one parser (RetryAfterValue: delay-seconds,
//     fractional or not, or HTTP-date) that the budgets use too, and the
//     IETF RateLimit-Reset; a driver whose vendor signals the wait
//     otherwise passes Options.RetryAfter. Waits are capped by
//     MaxRetryWait; a longer wait is returned to the caller as an
//     *helpdesk.APIError with RetryAfter instead of blocking;
//   - every non-2xx answer as *helpdesk.APIError with the vendor's status,
//     request id, code and message, matching the helpdesk sentinels
//     (ErrRateLimited, ErrUnauthorized, ErrNotFound, ...);
//   - two separate bounds on time: the budget wait (Request.MaxWait and the
//     context's deadline) and each attempt's own timeout
//     (HTTPClient.Timeout, DefaultRequestTimeout by default), which starts
//     when the budget admits the attempt;
//   - a default transport whose idle pool (DefaultMaxIdleConnsPerHost)
//     matches the concurrency a budget lets through, so sends reuse
//     connections; a host passes its own client in Options.HTTPClient;
//   - response bodies capped at MaxResponseBytes;
//   - secrets (credentials, secret-looking JSON fields, query, path and
//     fragment parameters, header lines, URL user info, bearer tokens)
//     redacted from every error and log line, request ids included.
//
// The package knows no vendor. Drivers describe requests (Request), decode
// responses, and give their vendor's knowledge through Options
// (DecodeError, RequestIDHeaders, RetryAfter, Classify); they never sleep,
// retry or rate-limit on their own.
package transport
