package budget

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// KeyedLimit returns the transport.Call.Limits entry that makes a call draw
// on the budget PerKey keeps for key under prefix, e.g.
// KeyedLimit("conversation", "321") = "conversation:321".
func KeyedLimit(prefix, key string) string { return prefix + ":" + key }

// PerKey paces limits that apply to one resource at a time rather than to
// the account: Chatwoot's 200 messages a minute per conversation, Zendesk's
// 30 updates per 10 minutes per ticket. A call whose Limits name
// KeyedLimit(prefix, key) waits on that key's own budget, made by New on
// first use and forgotten after Idle without calls. Calls naming no key of
// this prefix pass straight through. Combine it with the account budget in
// a Chain.
type PerKey struct {
	prefix string
	newFn  func(key string) (transport.Budget, error)
	idle   time.Duration
	now    func() time.Time

	mu        sync.Mutex
	m         map[string]*keyEntry
	lastSweep time.Time
}

type keyEntry struct {
	b    transport.Budget
	last time.Time
}

// NewPerKey returns a PerKey for prefix. idle <= 0 means 10 minutes.
func NewPerKey(prefix string, idle time.Duration, newFn func(key string) (transport.Budget, error)) (*PerKey, error) {
	if prefix == "" || strings.Contains(prefix, ":") {
		return nil, configErr("per-key prefix %q must be non-empty and without ':'", prefix)
	}
	if newFn == nil {
		return nil, configErr("per-key %q: nil budget constructor", prefix)
	}
	if idle <= 0 {
		idle = 10 * time.Minute
	}
	return &PerKey{prefix: prefix, newFn: newFn, idle: idle, now: time.Now, m: map[string]*keyEntry{}}, nil
}

// keys returns the keys of this prefix a call names.
func (p *PerKey) keys(c transport.Call) []string {
	var keys []string
	for _, l := range c.Limits {
		if len(l) > len(p.prefix) && l[len(p.prefix)] == ':' && strings.HasPrefix(l, p.prefix) {
			keys = append(keys, l[len(p.prefix)+1:])
		}
	}
	return keys
}

func (p *PerKey) get(key string, create bool) (transport.Budget, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Sub(p.lastSweep) > p.idle/2 {
		for k, e := range p.m {
			if now.Sub(e.last) > p.idle {
				delete(p.m, k)
			}
		}
		p.lastSweep = now
	}
	if e, ok := p.m[key]; ok {
		e.last = now
		return e.b, nil
	}
	if !create {
		return nil, nil
	}
	b, err := p.newFn(key)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("budget: per-key constructor returned nil")
	}
	p.m[key] = &keyEntry{b: b, last: now}
	return b, nil
}

// Wait implements transport.Budget.
func (p *PerKey) Wait(ctx context.Context, c transport.Call) error {
	for _, k := range p.keys(c) {
		b, err := p.get(k, true)
		if err != nil {
			return err
		}
		if err := b.Wait(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Observe implements transport.Budget.
func (p *PerKey) Observe(c transport.Call, status int, h http.Header) {
	for _, k := range p.keys(c) {
		if b, _ := p.get(k, false); b != nil {
			b.Observe(c, status, h)
		}
	}
}

// Len returns how many keys have a live budget.
func (p *PerKey) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// Chain is a transport.Budget made of several: Wait waits on each in order
// (a call is sent once every budget admits it) and Observe reports the
// response to all. A budget earlier in the chain does not get its token
// back when a later one refuses, so put the scarcer, finer-grained budgets
// (per conversation, per ticket) first.
type Chain []transport.Budget

// Wait implements transport.Budget.
func (ch Chain) Wait(ctx context.Context, c transport.Call) error {
	for _, b := range ch {
		if b == nil {
			continue
		}
		if err := b.Wait(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Observe implements transport.Budget.
func (ch Chain) Observe(c transport.Call, status int, h http.Header) {
	for _, b := range ch {
		if b != nil {
			b.Observe(c, status, h)
		}
	}
}
