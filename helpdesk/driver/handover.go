package driver

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Handovers that fail part-way.
//
// A handover is several writes (a notice to the customer, an internal
// note, the assignment, a status change), and any of them can fail after
// the others took effect. The host retries the whole Reassign (the
// notice and note are part of the Target), which would post the notice
// and note again. Handovers remembers, for each handover that did not
// complete, which of its steps were done, so that the retry does only what
// is missing; each step's write is also reconciled (Reconcile) under a key
// of its own. A handover that completes is forgotten, and so is one not
// retried within HandoverTTL: the same handover made again later is a new
// one and posts its notice again.

// HandoverTTL is how long an unfinished handover waits for its retry.
const HandoverTTL = 10 * time.Minute

// handoverMemory bounds the unfinished handovers remembered.
const handoverMemory = 1024

// Handovers remembers the steps done by unfinished handovers. The zero
// value is ready; it is safe for concurrent use.
type Handovers struct {
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	mu    sync.Mutex
	m     map[string]*handoverProgress // handover key -> progress
	order []string                     // keys, oldest first
}

type handoverProgress struct {
	episode string // names this handover's writes until it completes
	started time.Time
	done    map[string]bool
}

// Handover is one handover in progress (Handovers.Begin).
type Handover struct {
	h       *Handovers
	key     string
	episode string
}

// Begin returns the handover of conversation scope (the driver's name for
// it: account and id) to to, with its notice and note: the unfinished one
// when the host is retrying it, else a new one.
func (h *Handovers) Begin(scope string, to helpdesk.Target) Handover {
	sum := sha256.Sum256([]byte(scope + "\x00" + string(to.Kind) + "\x00" + to.ID + "\x00" + to.Notice + "\x00" + to.Note))
	key := "handover|" + hex.EncodeToString(sum[:16])
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	if p := h.m[key]; p != nil && now().Sub(p.started) < HandoverTTL {
		return Handover{h: h, key: key, episode: p.episode}
	}
	h.dropLocked(key)
	if h.m == nil {
		h.m = map[string]*handoverProgress{}
	}
	if len(h.order) >= handoverMemory {
		delete(h.m, h.order[0])
		h.order = h.order[1:]
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	p := &handoverProgress{episode: hex.EncodeToString(b[:]), started: now(), done: map[string]bool{}}
	h.m[key] = p
	h.order = append(h.order, key)
	return Handover{h: h, key: key, episode: p.episode}
}

// Step runs fn for step once per handover: it is skipped when an earlier
// attempt of this handover did it, and recorded when fn succeeds. fn gets
// the key of the step's write (the same in every attempt of this
// handover), for Write.Key or an idempotency key.
func (ho Handover) Step(step string, fn func(key string) error) error {
	if ho.Done(step) {
		return nil
	}
	if err := fn(ho.key + "|" + ho.episode + "|" + step); err != nil {
		return err
	}
	ho.h.mu.Lock()
	defer ho.h.mu.Unlock()
	if p := ho.h.m[ho.key]; p != nil && p.episode == ho.episode {
		p.done[step] = true
	}
	return nil
}

// Done reports whether step was done by an attempt of this handover.
func (ho Handover) Done(step string) bool {
	ho.h.mu.Lock()
	defer ho.h.mu.Unlock()
	p := ho.h.m[ho.key]
	return p != nil && p.episode == ho.episode && p.done[step]
}

// Complete forgets the handover: every step is done.
func (ho Handover) Complete() {
	ho.h.mu.Lock()
	defer ho.h.mu.Unlock()
	if p := ho.h.m[ho.key]; p != nil && p.episode == ho.episode {
		ho.h.dropLocked(ho.key)
	}
}

func (h *Handovers) dropLocked(key string) {
	if _, ok := h.m[key]; !ok {
		return
	}
	delete(h.m, key)
	for i, k := range h.order {
		if k == key {
			h.order = append(h.order[:i], h.order[i+1:]...)
			break
		}
	}
}
