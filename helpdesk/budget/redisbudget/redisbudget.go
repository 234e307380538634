// Package redisbudget keeps a helpdesk/budget rate budget in Redis, so that
// every replica of a service draws on one budget per helpdesk account.
//
// It is the only part of the budget machinery that needs
// github.com/redis/go-redis: a service that paces in-process
// (budget.NewLocal, the drivers' default) does not link it.
//
// Each decision is one Lua script (GCRA) that reads Redis's clock, so
// replicas' clocks need not agree.
//
// Redis restarted without persistence loses the buckets. The budget then
// starts them empty, not full (the burst may just have been spent), and
// refills them at the limit's rate from the first attempt on, so the full
// rate is back within one emission interval plus the reserve (about 0.35 s
// at 600/min), on every replica, whether or not a replica saw the restart
// as an error: an epoch key per account tells the script that Redis lost
// its data. When Redis does not answer within the
// store timeout (budget.WithStoreTimeout, 500 ms by default) the budget
// switches to a local budget of 1/n of each limit (budget.WithReplicas),
// logs that once, and switches back when Redis answers again; see
// budget.Shared.
package redisbudget

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

// New returns a Redis-backed budget for one helpdesk account (any label,
// e.g. "zendesk:acme"; replicas sharing a budget use the same label and
// limits, usually the driver's). It takes the budget's options
// (budget.WithHeaders with the driver's header reader, WithReplicas,
// WithKeyPrefix, WithStoreTimeout, WithReconnectInterval, ...). It checks
// that Redis answers and fails with an error if it does not.
//
// client is a *redis.Client, *redis.ClusterClient or *redis.Ring. The keys
// of one account carry the account in braces, so they share one Cluster
// slot; the account may therefore not contain braces.
func New(ctx context.Context, client redis.UniversalClient, account string, limits []budget.Limit, opts ...budget.Option) (*budget.Shared, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", budget.ErrInvalidConfig)
	}
	return budget.NewSharedOn(ctx, account, limits, func(ctx context.Context, cfg budget.SharedConfig) (budget.Store, error) {
		return open(ctx, client, cfg)
	}, opts...)
}

// store implements budget.Store with the scripts in scripts.go.
type store struct {
	client redis.UniversalClient
	keys   [][3]string // per limit: tat, pause, slow
	epoch  string      // present while Redis holds the account's state
}

func open(ctx context.Context, client redis.UniversalClient, cfg budget.SharedConfig) (*store, error) {
	if strings.ContainsAny(cfg.Account, "{}") {
		return nil, fmt.Errorf("%w: account %q may not contain braces", budget.ErrInvalidConfig, cfg.Account)
	}
	s := &store{client: client}
	base := cfg.KeyPrefix + "{" + cfg.Account + "}:"
	for _, l := range cfg.Limits {
		k := fmt.Sprintf("%s%s@%d:", base, l.Name, l.Window.Milliseconds())
		s.keys = append(s.keys, [3]string{k + "tat", k + "pause", k + "slow"})
	}
	s.epoch = base + "epoch"
	if err := client.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redisbudget: Redis unreachable: %w", err)
	}
	// The epoch key tells the admit script that Redis still holds this
	// account's buckets; without it (a restart without persistence) the
	// script starts missing buckets empty. The first replica to open an
	// account starts it full.
	if err := client.SetNX(ctx, s.epoch, "1", 0).Err(); err != nil {
		return nil, fmt.Errorf("redisbudget: writing the account's epoch key: %w", err)
	}
	for _, sc := range []*redis.Script{admitScript, pauseScript, clearScript, slowScript} {
		if err := sc.Load(ctx, client).Err(); err != nil {
			return nil, fmt.Errorf("redisbudget: loading Lua script into Redis: %w", err)
		}
	}
	return s, nil
}

func (s *store) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }

func (s *store) Admit(ctx context.Context, a budget.Admission) (budget.StoreDecision, error) {
	keys := make([]string, 0, 3*len(a.Buckets)+1)
	args := make([]any, 0, 4+3*len(a.Buckets))
	cold := "0"
	if a.Cold {
		cold = "1"
	}
	args = append(args, len(a.Buckets), a.ProbeTimeout.Microseconds(), cold, a.ProbePoll.Microseconds())
	for _, b := range a.Buckets {
		if b.Limit < 0 || b.Limit >= len(s.keys) {
			return budget.StoreDecision{}, fmt.Errorf("redisbudget: no limit %d", b.Limit)
		}
		keys = append(keys, s.keys[b.Limit][:]...)
		args = append(args, b.Interval.Microseconds(), b.Burst, strconv.FormatFloat(b.Need, 'f', 6, 64))
	}
	keys = append(keys, s.epoch)
	v, err := admitScript.Run(ctx, s.client, keys, args...).Result()
	if err != nil {
		return budget.StoreDecision{}, err
	}
	res, ok := v.([]any)
	if !ok || len(res) != 5 {
		return budget.StoreDecision{}, fmt.Errorf("redisbudget: unexpected script result %v", v)
	}
	n := func(i int) int64 { x, _ := res[i].(int64); return x }
	if n(0) == 1 {
		return budget.StoreDecision{Admitted: true, Probing: n(4) == 1}, nil
	}
	d := budget.StoreDecision{Wait: time.Duration(n(1)) * time.Microsecond, Paused: n(2) >= 2, Limit: -1}
	if w := int(n(3)); w >= 1 && w <= len(a.Buckets) {
		d.Limit = a.Buckets[w-1].Limit
	}
	return d, nil
}

func (s *store) pauseKeys(limits []int) []string {
	keys := make([]string, len(limits))
	for j, i := range limits {
		keys[j] = s.keys[i][1]
	}
	return keys
}

func (s *store) Pause(ctx context.Context, limits []int, d, keep time.Duration) error {
	return pauseScript.Run(ctx, s.client, s.pauseKeys(limits), d.Microseconds(), keep.Milliseconds()).Err()
}

func (s *store) ClearPause(ctx context.Context, limits []int) error {
	return clearScript.Run(ctx, s.client, s.pauseKeys(limits)).Err()
}

func (s *store) Slow(ctx context.Context, limit int, interval, d time.Duration) error {
	return slowScript.Run(ctx, s.client, []string{s.keys[limit][2]}, interval.Microseconds(), d.Microseconds()).Err()
}
