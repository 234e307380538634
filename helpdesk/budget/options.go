package budget

import (
	"log/slog"
	"time"
)

// DefaultReserve is the share of every bucket kept for critical calls.
const DefaultReserve = 0.2

// Option configures a budget. Options validate their argument and make the
// constructor fail with an error matching ErrInvalidConfig.
type Option func(*options) error

type options struct {
	reserve        float64
	headers        HeaderReader
	logger         *slog.Logger
	replicas       int
	keyPrefix      string
	storeTimeout   time.Duration
	reconnectEvery time.Duration
	probeTimeout   time.Duration
}

func defaultOptions() options {
	return options{
		reserve:        DefaultReserve,
		headers:        RetryAfterHeaders,
		logger:         slog.New(slog.DiscardHandler),
		replicas:       1,
		keyPrefix:      "agentdesk:budget:",
		storeTimeout:   500 * time.Millisecond,
		reconnectEvery: 250 * time.Millisecond,
		probeTimeout:   5 * time.Second,
	}
}

func buildOptions(opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// WithReserve sets the share of each bucket, in [0, 1), that normal calls
// leave for critical ones (default 0.2). Critical calls may use the whole
// budget and are admitted before waiting normal calls, so message floods
// never starve hand-overs and resolves; when no critical call needs it,
// normal calls still get the full rate.
func WithReserve(share float64) Option {
	return func(o *options) error {
		if !(share >= 0 && share < 1) {
			return configErr("reserve %v outside [0, 1)", share)
		}
		o.reserve = share
		return nil
	}
}

// WithHeaders sets how the vendor's rate-limit headers are read (default
// RetryAfterHeaders). Drivers pass their vendor's reader, usually built
// with Headers.
func WithHeaders(r HeaderReader) Option {
	return func(o *options) error {
		if r == nil {
			return configErr("nil header reader")
		}
		o.headers = r
		return nil
	}
}

// WithLogger sets the logger (default, and with nil: discard), so that a
// driver can pass its Options.Logger through whether or not the host set
// one.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l != nil {
			o.logger = l
		}
		return nil
	}
}

// WithReplicas says how many processes share the vendor limit (default 1).
// A shared budget falls back to 1/n of every limit while its store is
// unreachable; a Local budget always uses 1/n, a safe static split.
func WithReplicas(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return configErr("replicas %d must be at least 1", n)
		}
		o.replicas = n
		return nil
	}
}

// WithKeyPrefix sets the prefix of a shared budget's keys in its store
// (default "agentdesk:budget:"). redisbudget appends the account in braces
// so that all keys of one account live in one Redis Cluster slot.
func WithKeyPrefix(p string) Option {
	return func(o *options) error {
		o.keyPrefix = p
		return nil
	}
}

// WithStoreTimeout bounds each round trip of a shared budget to its store
// (default 500 ms). A call that takes longer switches the budget to its
// local fallback, so Wait never hangs on an unreachable store for more than
// this.
func WithStoreTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 || d > time.Second {
			return configErr("store timeout %s outside (0, 1s]", d)
		}
		o.storeTimeout = d
		return nil
	}
}

// WithReconnectInterval sets how often a shared budget in fallback checks
// whether its store is back (default 250 ms). Checks are one ping at a
// time, so a short interval keeps a brief stall of the store from costing
// more than a moment on the 1/n fallback.
func WithReconnectInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return configErr("reconnect interval %s must be positive", d)
		}
		o.reconnectEvery = d
		return nil
	}
}

// WithProbeTimeout sets how long, after a vendor pause ends, the other
// callers wait for the single probe request's answer before another probe
// may go (default 5 s). Set it above the vendor's typical response time. A
// probe that fails without a response (Observe is only called for
// responses) holds the others for this long.
func WithProbeTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return configErr("probe timeout %s must be positive", d)
		}
		o.probeTimeout = d
		return nil
	}
}
