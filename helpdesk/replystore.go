package helpdesk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// ErrReplyInProgress is returned by Reply when another call holds the same
// idempotency key (another replica, or the host's own retry that started
// before the first call ended). Sending now could duplicate a part; the
// caller may retry after the other call ends.
var ErrReplyInProgress = errors.New("helpdesk: a reply with this idempotency key is in progress")

// Reply progress defaults.
const (
	// ReplyLease is how long a Reply's claim of its idempotency key lasts
	// unless renewed (a store may set its own: ReplyLeaser). Reply renews
	// it every third of the lease for as long as it runs, so a part may
	// take longer than the lease to send; a process that dies mid-reply
	// blocks a retry of the same key for at most this long.
	ReplyLease = time.Minute
	// DefaultReplyTTL is how long a reply's progress is remembered.
	DefaultReplyTTL = 24 * time.Hour
)

// ReplyProgress is what a ReplyStore keeps for one reply.
type ReplyProgress struct {
	// Digest identifies the reply's parts and options; a retry under the
	// same key with another text is refused.
	Digest string `json:"digest"`
	// Delivered is how many parts the helpdesk accepted, in order.
	Delivered int `json:"delivered"`
	// MessageIDs are the receipts' message ids of the delivered parts.
	MessageIDs []string `json:"message_ids,omitempty"`
	// Finished is true once the resolve or handover after the last part
	// succeeded too (or there was none): the reply is complete.
	Finished bool `json:"finished,omitempty"`
	// FailedAt is when the first failed attempt of the next part (number
	// Delivered+1) started, in Unix milliseconds (0: none failed). The
	// failure may have posted it: a retry passes it to the driver as
	// Message.EarlierAttempt.
	FailedAt int64 `json:"failed_at,omitempty"`
	// Unconfirmed are the delivered parts (1-based) the driver could not
	// confirm (ErrUnconfirmed): counted in Delivered, never sent again,
	// and reported by every call that finds the reply complete.
	Unconfirmed []int `json:"unconfirmed,omitempty"`
	// AttemptAt is when the first attempt of the next part started, in
	// Unix milliseconds (0: none started since the last part was
	// recorded). Reply writes it before sending the part, so that a
	// process killed after the helpdesk took the part, before its record,
	// leaves this trace: the call that resumes the reply passes the
	// earlier of FailedAt and AttemptAt as Message.EarlierAttempt.
	AttemptAt int64 `json:"attempt_at,omitempty"`
}

// earlierAttempt is when the next part was first attempted, from
// FailedAt and AttemptAt (0: never).
func (p ReplyProgress) earlierAttempt() int64 {
	switch {
	case p.FailedAt == 0:
		return p.AttemptAt
	case p.AttemptAt == 0:
		return p.FailedAt
	}
	return min(p.FailedAt, p.AttemptAt)
}

// ReplyStore records how far each Reply with an idempotency key got, so
// that a retried Reply sends only the parts still missing, in order. One
// Reply holds a key at a time (Claim); replicas share progress through a
// shared store (helpdesk/redisreply). MemoryReplyStore is the default.
type ReplyStore interface {
	// Claim takes key for lease and returns the progress recorded for it
	// (zero for a new key) and a token for Save and Release. It returns an
	// error matching ErrReplyInProgress while another holder's lease runs.
	Claim(ctx context.Context, key string, lease time.Duration) (token string, p ReplyProgress, err error)
	// Save records p for key and renews the lease. It fails with an error
	// matching ErrReplyInProgress when token no longer holds key.
	Save(ctx context.Context, key, token string, p ReplyProgress, lease time.Duration) error
	// Release gives key up (its progress stays).
	Release(ctx context.Context, key, token string) error
}

// ReplyLeaser is implemented by a ReplyStore whose claims last a lease of
// its own instead of ReplyLease (helpdesk/redisreply's WithLease): Reply
// claims, saves and renews with it. A shorter lease lets another replica
// resume the reply of one that died sooner.
type ReplyLeaser interface {
	// Lease is how long a claim lasts unless renewed (0: ReplyLease).
	Lease() time.Duration
}

// MemoryReplyStore is a ReplyStore in process memory: progress survives a
// failed Reply and the host's retry in the same process, not a restart or
// another replica.
type MemoryReplyStore struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*replyEntry
	sweep   time.Time
}

type replyEntry struct {
	p       ReplyProgress
	token   string
	leaseTo time.Time
	expires time.Time
}

// NewMemoryReplyStore returns a store forgetting progress ttl after its
// last change (0: DefaultReplyTTL).
func NewMemoryReplyStore(ttl time.Duration) *MemoryReplyStore {
	if ttl <= 0 {
		ttl = DefaultReplyTTL
	}
	return &MemoryReplyStore{ttl: ttl, now: time.Now, entries: map[string]*replyEntry{}}
}

// defaultReplyStore is the store of Replies given none.
var defaultReplyStore = sync.OnceValue(func() *MemoryReplyStore { return NewMemoryReplyStore(0) })

// Claim implements ReplyStore.
func (s *MemoryReplyStore) Claim(_ context.Context, key string, lease time.Duration) (string, ReplyProgress, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	e := s.entries[key]
	if e == nil {
		e = &replyEntry{}
		s.entries[key] = e
	}
	if e.token != "" && now.Before(e.leaseTo) {
		return "", ReplyProgress{}, ErrReplyInProgress
	}
	e.token = NewReplyToken()
	e.leaseTo = now.Add(lease)
	e.expires = now.Add(s.ttl)
	return e.token, cloneProgress(e.p), nil
}

// Save implements ReplyStore.
func (s *MemoryReplyStore) Save(_ context.Context, key, token string, p ReplyProgress, lease time.Duration) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if e == nil || e.token != token {
		return ErrReplyInProgress
	}
	e.p = cloneProgress(p)
	e.leaseTo = now.Add(lease)
	e.expires = now.Add(s.ttl)
	return nil
}

// Release implements ReplyStore.
func (s *MemoryReplyStore) Release(_ context.Context, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[key]; e != nil && e.token == token {
		e.token = ""
		e.leaseTo = time.Time{}
	}
	return nil
}

// expire drops forgotten entries, at most once a minute.
func (s *MemoryReplyStore) expire(now time.Time) {
	if now.Before(s.sweep) {
		return
	}
	s.sweep = now.Add(time.Minute)
	for k, e := range s.entries {
		if now.After(e.expires) && (e.token == "" || now.After(e.leaseTo)) {
			delete(s.entries, k)
		}
	}
}

// cloneProgress copies p's slices: a store, and the heartbeat's copy of
// what was saved, must not share them with a Reply that appends to them.
func cloneProgress(p ReplyProgress) ReplyProgress {
	p.MessageIDs = append([]string(nil), p.MessageIDs...)
	p.Unconfirmed = append([]int(nil), p.Unconfirmed...)
	return p
}

// NewReplyToken returns a random claim token, for ReplyStore
// implementations.
func NewReplyToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
