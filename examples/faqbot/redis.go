package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
	"github.com/agentdesk/agentdesk/helpdesk/redisreply"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Redis mode: several replicas of faqbot behind one webhook URL.
//
// With AGENTDESK_REDIS_URL set, vendor mode keeps on that Redis everything
// a replica would otherwise keep in its own memory: the queue of
// acknowledged events (helpdesk/redisqueue), the progress of each answer
// (helpdesk/redisreply), each conversation's policy state and the ids of
// the events handled (written with redisqueue.AckWith, so they land
// exactly once, with the event's acknowledgement), and the vendor's rate
// budget (helpdesk/budget/redisbudget). See README.md, "Several replicas".
const (
	// EnvRedisURL selects Redis mode: redis://[user:password@]host:port[/db]
	// (rediss:// for TLS), or a bare host:port.
	EnvRedisURL = "AGENTDESK_REDIS_URL"
	// EnvRedisLease is how long a replica holds a share of the
	// conversations without renewing it (a Go duration, default
	// redisqueue.DefaultLease): a replica killed with kill -9 has its
	// conversations taken over by the others between one and two leases
	// later, and an answer it was sending is resumed then.
	EnvRedisLease = "AGENTDESK_REDIS_LEASE"
	// EnvRedisPrefix prefixes every key (default "faqbot:<vendor>:"):
	// replicas of one bot share it; two bots on one Redis must not.
	EnvRedisPrefix = "AGENTDESK_REDIS_PREFIX"
)

// convStateTTL is how long a conversation's policy state and its handled
// event ids are kept after its last event: beyond DefaultDedupeTTL, the
// longest vendor redelivery window, a redelivery is answered again.
const convStateTTL = helpdesk.DefaultDedupeTTL

// redisMode is what vendor mode shares between replicas on Redis.
type redisMode struct {
	client  *redis.Client
	addr    string // host:port, for logs (never the URL: it may hold a password)
	prefix  string
	lease   time.Duration
	queue   *redisqueue.Queue
	replies helpdesk.ReplyStore
	states  *redisStates
}

// redisFromEnv connects to the Redis named by AGENTDESK_REDIS_URL and
// checks that it answers; nil, nil when the variable is unset. Errors name
// the variable and the host, never the URL's password.
func redisFromEnv(ctx context.Context, getenv func(string) string, vendor string, logger *slog.Logger) (*redisMode, error) {
	raw := strings.TrimSpace(getenv(EnvRedisURL))
	if raw == "" {
		return nil, nil
	}
	opt, err := parseRedisURL(raw)
	if err != nil {
		return nil, err
	}
	lease := redisqueue.DefaultLease
	if s := strings.TrimSpace(getenv(EnvRedisLease)); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 100*time.Millisecond {
			return nil, fmt.Errorf("%s: %q is not a duration of at least 100ms (e.g. 15s)", EnvRedisLease, s)
		}
		lease = d
	}
	prefix := getenv(EnvRedisPrefix)
	if prefix == "" {
		prefix = "faqbot:" + vendor + ":"
	}
	// Bounded waits: a Redis that does not answer shows at start, and
	// later fails one call instead of holding it.
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = 2 * time.Second
	opt.WriteTimeout = 2 * time.Second
	if opt.PoolSize == 0 { // no pool_size in the URL
		// Each shard a replica holds keeps a connection in a blocking
		// read; go-redis's default (10 per CPU) leaves a one-CPU replica
		// holding every shard too few for the rest.
		opt.PoolSize = max(10*runtime.GOMAXPROCS(0), redisqueue.DefaultShards+32)
	}
	client := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("%s: Redis at %s does not answer: %s", EnvRedisURL, opt.Addr, redactURL(err.Error(), raw))
	}
	m := &redisMode{client: client, addr: opt.Addr, prefix: prefix, lease: lease}
	if m.queue, err = redisqueue.New(client, &redisqueue.Options{
		Prefix: prefix + "queue:", Lease: lease, Logger: logger,
		OnDeadLetter: func(e helpdesk.Event, err error) {
			logger.Error("faqbot: event dead-lettered after repeated failures", "conversation", e.Conversation.Key(), "delivery", e.DeliveryID, "error", err.Error())
		},
	}); err != nil {
		_ = client.Close()
		return nil, err
	}
	// An answer's claim has the queue's lease, not helpdesk.ReplyLease (a
	// minute): a replica killed mid-answer holds it about as long as its
	// conversations, so the replica taking them over is not blocked for a
	// minute. helpdesk.Reply renews the claim while it sends, and writes
	// each part's attempt ahead, so that the answer's resumption reads back
	// for a part the killed replica may have posted.
	if m.replies, err = redisreply.New(client, prefix+"reply:", redisreply.WithLease(lease)); err != nil {
		_ = client.Close()
		return nil, err
	}
	m.states = &redisStates{client: client, prefix: prefix + "conv:"}
	return m, nil
}

// parseRedisURL reads a redis:// URL or a bare host:port. Its errors never
// repeat the value (it may hold a password).
func parseRedisURL(raw string) (*redis.Options, error) {
	if !strings.Contains(raw, "://") {
		if _, port, err := net.SplitHostPort(raw); err != nil || port == "" {
			return nil, fmt.Errorf("%s: neither a redis:// URL nor host:port", EnvRedisURL)
		}
		return &redis.Options{Addr: raw}, nil
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid redis:// or rediss:// URL", EnvRedisURL)
	}
	return opt, nil
}

// redactURL removes the URL's password from msg, should a client error
// ever quote it.
func redactURL(msg, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return msg
	}
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "REDACTED")
	}
	return msg
}

// Close releases the Redis connections.
func (m *redisMode) Close() error {
	if m == nil {
		return nil
	}
	return m.client.Close()
}

// budgets builds the vendor's rate budget on Redis, so that the replicas
// together stay within the account's limit (each driver's default budget
// is per process). Without Redis it returns nil: the driver's default.
func (m *redisMode) budgets(ctx context.Context, logger *slog.Logger) sharedBudgets {
	if m == nil {
		return nil
	}
	return func(key string, limits []budget.Limit, headers budget.HeaderReader) (transport.Budget, error) {
		b, err := redisbudget.New(ctx, m.client, key, limits, budget.WithHeaders(headers),
			budget.WithKeyPrefix(m.prefix+"budget:"), budget.WithLogger(logger))
		if err != nil {
			return nil, fmt.Errorf("%s: shared rate budget: %w", EnvRedisURL, err)
		}
		return b, nil
	}
}

// sharedBudgets builds a vendor account's rate budget from the driver's
// budget key, limits and header reader (nil: each driver's default
// in-process budget).
type sharedBudgets func(key string, limits []budget.Limit, headers budget.HeaderReader) (transport.Budget, error)

// get returns the shared budget, or nil for the driver's default.
func (f sharedBudgets) get(key string, limits []budget.Limit, headers budget.HeaderReader) (transport.Budget, error) {
	if f == nil {
		return nil, nil
	}
	return f(key, limits, headers)
}

// redisStates keeps each conversation's policy state on Redis, one hash
// per conversation: the counters, the handover flag, and one field per
// handled event id.
type redisStates struct {
	client *redis.Client
	prefix string
}

func (s *redisStates) key(conv string) string { return s.prefix + "{" + conv + "}" }

// load implements convStore.
func (s *redisStates) load(ctx context.Context, conv, deliveryID string) (convState, bool, error) {
	fields := []string{"bot", "customer", "chars", "handed"}
	if deliveryID != "" {
		fields = append(fields, "d:"+deliveryID)
	}
	vals, err := s.client.HMGet(ctx, s.key(conv), fields...).Result()
	if err != nil {
		return convState{}, false, fmt.Errorf("faqbot: reading the conversation's state from Redis: %w", err)
	}
	n := func(i int) int {
		v, _ := vals[i].(string)
		x, _ := strconv.Atoi(v)
		return x
	}
	st := convState{botMessages: n(0), customerMessages: n(1), chars: n(2), handedOver: n(3) == 1}
	handled := deliveryID != "" && vals[4] != nil
	return st, handled, nil
}

// save implements convStore: the writes join the event's acknowledgement
// (redisqueue.AckWith), so they are applied once, when the event is
// acknowledged, and not at all when the replica dies first (the event is
// then handled again from the same state). The event's id is recorded as
// handled only when done. Outside the queue (a test calling Handle
// directly) the writes are made at once.
func (s *redisStates) save(ctx context.Context, conv, deliveryID string, st convState, done bool) error {
	key := s.key(conv)
	write := func(p redis.Pipeliner) {
		handed := 0
		if st.handedOver {
			handed = 1
		}
		vals := []any{"bot", st.botMessages, "customer", st.customerMessages, "chars", st.chars, "handed", handed}
		if done && deliveryID != "" {
			vals = append(vals, "d:"+deliveryID, 1)
		}
		p.HSet(ctx, key, vals...)
		p.PExpire(ctx, key, convStateTTL)
	}
	err := redisqueue.AckWith(ctx, write)
	if errors.Is(err, redisqueue.ErrNotQueued) {
		_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error { write(p); return nil })
	}
	return err
}
