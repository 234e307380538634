// Package redisreply is a helpdesk.ReplyStore on Redis, so that a reply
// with an idempotency key resumes where it stopped whichever replica
// retries it, and after a restart: pass it as helpdesk.ReplyOptions.Store.
//
// Each reply has two keys: its claim (SET NX PX, the holder's token) and
// its progress (a small JSON value with a TTL, default
// helpdesk.DefaultReplyTTL). Progress is written only by the holder of the
// claim (a Lua script compares the token), so two replicas retrying the
// same answer never both send a part. The claim lasts helpdesk.ReplyLease
// (a minute) unless renewed; helpdesk.Reply renews it every third of that
// while it runs. WithLease shortens it, so that the reply of a replica
// killed mid-answer is resumed by another sooner.
//
// # When Redis fails
//
// The store fails closed: Claim and Save return an error matching
// ErrUnavailable, and Reply sends nothing more (a part already sent whose
// progress could not be written is reported; a retry has the driver read
// the conversation back for it before sending it again). Every round trip is bounded by DefaultTimeout (WithTimeout).
// Redis without persistence forgets progress on a restart: a retry after
// that sends the whole answer again. Enable appendonly where that matters.
package redisreply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Defaults.
const (
	// DefaultTimeout bounds one Redis round trip.
	DefaultTimeout = time.Second
	// DefaultPrefix is the key prefix when New gets an empty one.
	DefaultPrefix = "agentdesk:reply:"
)

// ErrUnavailable is matched by the errors the store returns when Redis
// cannot be used.
var ErrUnavailable = errors.New("redisreply: Redis unavailable")

// Store implements helpdesk.ReplyStore.
type Store struct {
	client  redis.Scripter
	prefix  string
	ttl     time.Duration
	timeout time.Duration
	lease   time.Duration
}

var (
	_ helpdesk.ReplyStore  = (*Store)(nil)
	_ helpdesk.ReplyLeaser = (*Store)(nil)
)

// Option configures New.
type Option func(*Store) error

// WithTTL sets how long progress is kept after its last change (default
// helpdesk.DefaultReplyTTL).
func WithTTL(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("redisreply: TTL %s must be positive", d)
		}
		s.ttl = d
		return nil
	}
}

// WithLease sets how long a claim lasts unless renewed (default
// helpdesk.ReplyLease): how long a replica killed mid-answer keeps the
// answer from the others. helpdesk.Reply renews it every third of d, so d
// must leave room for a few Redis round trips.
func WithLease(d time.Duration) Option {
	return func(s *Store) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("redisreply: lease %s must be at least 100ms", d)
		}
		s.lease = d
		return nil
	}
}

// Lease implements helpdesk.ReplyLeaser: the lease set by WithLease (0:
// helpdesk.ReplyLease).
func (s *Store) Lease() time.Duration { return s.lease }

// WithTimeout bounds each Redis round trip (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("redisreply: timeout %s must be positive", d)
		}
		s.timeout = d
		return nil
	}
}

// New returns a store keeping replies under prefix (default DefaultPrefix).
func New(client redis.Scripter, prefix string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisreply: nil client")
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	s := &Store{client: client, prefix: prefix, ttl: helpdesk.DefaultReplyTTL, timeout: DefaultTimeout}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// keys returns the claim and progress keys of key (one hash slot).
func (s *Store) keys(key string) []string {
	base := s.prefix + "{" + key + "}"
	return []string{base + ":claim", base + ":progress"}
}

var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2]) or ''}
end
return {0, ''}`)

var saveScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

func (s *Store) run(ctx context.Context, sc *redis.Script, keys []string, args ...any) (any, error) {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := sc.Run(cctx, s.client, keys, args...).Result()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, r.err)
		}
		return r.v, nil
	case <-cctx.Done():
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: no answer in %s", ErrUnavailable, s.timeout)
	}
}

// Claim implements helpdesk.ReplyStore.
func (s *Store) Claim(ctx context.Context, key string, lease time.Duration) (string, helpdesk.ReplyProgress, error) {
	token := helpdesk.NewReplyToken()
	v, err := s.run(ctx, claimScript, s.keys(key), token, lease.Milliseconds())
	if err != nil {
		return "", helpdesk.ReplyProgress{}, err
	}
	res, _ := v.([]any)
	if len(res) != 2 {
		return "", helpdesk.ReplyProgress{}, fmt.Errorf("%w: unexpected answer %v", ErrUnavailable, v)
	}
	if n, _ := res[0].(int64); n != 1 {
		return "", helpdesk.ReplyProgress{}, helpdesk.ErrReplyInProgress
	}
	var p helpdesk.ReplyProgress
	if raw, _ := res[1].(string); raw != "" {
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			_ = s.Release(context.WithoutCancel(ctx), key, token)
			return "", helpdesk.ReplyProgress{}, fmt.Errorf("redisreply: progress of %q unreadable: %w", key, err)
		}
	}
	return token, p, nil
}

// Save implements helpdesk.ReplyStore.
func (s *Store) Save(ctx context.Context, key, token string, p helpdesk.ReplyProgress, lease time.Duration) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	v, err := s.run(ctx, saveScript, s.keys(key), token, lease.Milliseconds(), raw, s.ttl.Milliseconds())
	if err != nil {
		return err
	}
	if n, _ := v.(int64); n != 1 {
		return helpdesk.ErrReplyInProgress
	}
	return nil
}

// Release implements helpdesk.ReplyStore.
func (s *Store) Release(ctx context.Context, key, token string) error {
	_, err := s.run(ctx, releaseScript, s.keys(key), token)
	return err
}
