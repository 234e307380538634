// Package redislinks is a klaviyo.LinkStore on Redis, so that replicas of
// a bot bridging Klaviyo SMS into a helpdesk share which ticket belongs to
// which phone number: whichever replica receives the customer's text or
// the agent's reply finds the link.
package redislinks

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/klaviyo"
)

// DefaultTTL is how long a link lives after it was last written: a
// customer silent for longer gets a new ticket.
const DefaultTTL = 30 * 24 * time.Hour

// Store keeps each link as JSON under "<prefix>phone:<phone>" and the
// phone under "<prefix>ticket:<klaviyo.TicketKey>", both expiring after
// the TTL.
type Store struct {
	client redis.Cmdable
	prefix string
	ttl    time.Duration
}

var _ klaviyo.LinkStore = (*Store)(nil)

// New returns a store under prefix (default "agentdesk:klaviyo:links:")
// keeping links for ttl (zero: DefaultTTL).
func New(client redis.Cmdable, prefix string, ttl time.Duration) (*Store, error) {
	if client == nil {
		return nil, errors.New("redislinks: nil client")
	}
	if prefix == "" {
		prefix = "agentdesk:klaviyo:links:"
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Store{client: client, prefix: prefix, ttl: ttl}, nil
}

func (s *Store) phoneKey(phone string) string { return s.prefix + "phone:" + phone }
func (s *Store) ticketKey(key string) string  { return s.prefix + "ticket:" + key }

// ByPhone implements klaviyo.LinkStore.
func (s *Store) ByPhone(ctx context.Context, phone string) (klaviyo.Link, bool, error) {
	b, err := s.client.Get(ctx, s.phoneKey(phone)).Bytes()
	if errors.Is(err, redis.Nil) {
		return klaviyo.Link{}, false, nil
	}
	if err != nil {
		return klaviyo.Link{}, false, err
	}
	var l klaviyo.Link
	if err := json.Unmarshal(b, &l); err != nil {
		return klaviyo.Link{}, false, err
	}
	return l, true, nil
}

// ByTicket implements klaviyo.LinkStore.
func (s *Store) ByTicket(ctx context.Context, key string) (klaviyo.Link, bool, error) {
	phone, err := s.client.Get(ctx, s.ticketKey(key)).Result()
	if errors.Is(err, redis.Nil) {
		return klaviyo.Link{}, false, nil
	}
	if err != nil {
		return klaviyo.Link{}, false, err
	}
	l, ok, err := s.ByPhone(ctx, phone)
	if err != nil || !ok || klaviyo.TicketKey(l.Ticket) != key {
		return klaviyo.Link{}, false, err
	}
	return l, true, nil
}

// Put implements klaviyo.LinkStore. The phone's previous ticket stops
// pointing at it.
func (s *Store) Put(ctx context.Context, l klaviyo.Link) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	old, had, err := s.ByPhone(ctx, l.Phone)
	if err != nil {
		return err
	}
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if had && klaviyo.TicketKey(old.Ticket) != klaviyo.TicketKey(l.Ticket) {
			p.Del(ctx, s.ticketKey(klaviyo.TicketKey(old.Ticket)))
		}
		p.Set(ctx, s.phoneKey(l.Phone), b, s.ttl)
		p.Set(ctx, s.ticketKey(klaviyo.TicketKey(l.Ticket)), l.Phone, s.ttl)
		return nil
	})
	return err
}

// Delete implements klaviyo.LinkStore.
func (s *Store) Delete(ctx context.Context, phone string) error {
	old, had, err := s.ByPhone(ctx, phone)
	if err != nil || !had {
		return err
	}
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.phoneKey(phone), s.ticketKey(klaviyo.TicketKey(old.Ticket)))
		return nil
	})
	return err
}
