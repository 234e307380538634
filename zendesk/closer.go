package zendesk

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// DefaultCloseAfter is how long a solved ticket stays solved before the
// Closer closes it.
const DefaultCloseAfter = 24 * time.Hour

// CloserOptions configures a Closer.
type CloserOptions struct {
	// After is how long a ticket stays solved before it is closed (default
	// DefaultCloseAfter). A customer reply within it reopens the ticket in
	// Zendesk and the bot can answer again; after closing, a reply creates
	// a follow-up ticket.
	After time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Closer moves tickets the bot solved to closed once they have stayed
// solved for a window, unless the customer wrote again. It replaces a
// Zendesk automation that closes solved tickets, which would close them
// before the bot is done with them.
//
// A Closer registers itself with its Client: every ticket the Client
// solves (SendMessage with Resolve, Resolve) is tracked with the ticket's
// updated_at, and every customer comment reported by ParseWebhook forgets
// the ticket. CloseDue then sends, per due ticket, one
// PUT /api/v2/tickets/{id} with status "closed" and safe_update +
// updated_stamp: if anything changed the ticket since the bot solved it (a
// customer reply the bot did not see, an agent's edit), Zendesk answers
// 409 and the ticket is left alone.
//
// State is in memory: a restarted process forgets pending closes (the
// tickets stay solved). Call Track to restore them from your own storage.
type Closer struct {
	c     *Client
	after time.Duration
	now   func() time.Time

	mu      sync.Mutex
	pending map[int64]closeEntry
}

type closeEntry struct {
	solvedAt time.Time
	stamp    string
}

// NewCloser returns a Closer attached to c.
func NewCloser(c *Client, opts CloserOptions) (*Closer, error) {
	if opts.After < 0 {
		return nil, errors.New("zendesk: negative CloserOptions.After")
	}
	if opts.After == 0 {
		opts.After = DefaultCloseAfter
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cl := &Closer{c: c, after: opts.After, now: opts.Now, pending: map[int64]closeEntry{}}
	c.hookMu.Lock()
	c.onSolved = append(c.onSolved, cl.Track)
	c.onCustomer = append(c.onCustomer, cl.Forget)
	c.hookMu.Unlock()
	return cl, nil
}

// Track schedules ticketID to close After from now. updatedAt is the
// ticket's updated_at after it was solved ("" to close without the
// collision check).
func (cl *Closer) Track(ticketID int64, updatedAt string) {
	cl.mu.Lock()
	cl.pending[ticketID] = closeEntry{solvedAt: cl.now(), stamp: updatedAt}
	cl.mu.Unlock()
}

// Forget cancels the close of ticketID (the customer wrote again).
func (cl *Closer) Forget(ticketID int64) {
	cl.mu.Lock()
	delete(cl.pending, ticketID)
	cl.mu.Unlock()
}

// Observe forgets the ticket of a customer message event. ParseWebhook
// already does this for the Closer's Client; use Observe for events parsed
// elsewhere.
func (cl *Closer) Observe(e helpdesk.Event) {
	if !e.IsCustomerMessage() {
		return
	}
	if id, ok := TicketID(e.Conversation); ok {
		cl.Forget(id)
	}
}

// Pending returns the tracked ticket ids, sorted.
func (cl *Closer) Pending() []int64 {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return sortedIDs(cl.pending, func(closeEntry) bool { return true })
}

// Due returns the ticket ids whose window has passed, sorted.
func (cl *Closer) Due() []int64 {
	now := cl.now()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return sortedIDs(cl.pending, func(e closeEntry) bool { return !now.Before(e.solvedAt.Add(cl.after)) })
}

func sortedIDs(m map[int64]closeEntry, keep func(closeEntry) bool) []int64 {
	var ids []int64
	for id, e := range m {
		if keep(e) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// CloseDue closes every due ticket (one request each) and returns the ids
// it closed. Tickets that changed since they were solved (409) or are
// already closed are dropped without error; other failures are returned
// joined, and those tickets stay tracked for the next call.
func (cl *Closer) CloseDue(ctx context.Context) ([]int64, error) {
	var closed []int64
	var errs []error
	for _, id := range cl.Due() {
		if err := ctx.Err(); err != nil {
			return closed, err
		}
		cl.mu.Lock()
		e, ok := cl.pending[id]
		cl.mu.Unlock()
		if !ok {
			continue
		}
		upd := ticketUpdate{Status: "closed"}
		if e.stamp != "" {
			upd.SafeUpdate, upd.UpdatedStamp = true, e.stamp
		}
		key := "agentdesk-close-" + strconv.FormatInt(id, 10) + "-" + e.stamp
		_, err := cl.c.updateTicket(ctx, id, upd, transport.PriorityNormal, key)
		var ae *helpdesk.APIError
		switch {
		case err == nil:
			closed = append(closed, id)
			cl.Forget(id)
		case errors.Is(err, helpdesk.ErrConversationClosed),
			errors.As(err, &ae) && (ae.StatusCode == http.StatusConflict || ae.StatusCode == http.StatusNotFound):
			cl.Forget(id)
		default:
			errs = append(errs, err)
		}
	}
	return closed, errors.Join(errs...)
}

// Run calls CloseDue every interval until ctx ends, reporting errors to
// onError (which may be nil).
func (cl *Closer) Run(ctx context.Context, interval time.Duration, onError func(error)) error {
	if interval <= 0 {
		return errors.New("zendesk: Closer.Run needs a positive interval")
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if _, err := cl.CloseDue(ctx); err != nil && onError != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}
