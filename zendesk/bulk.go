package zendesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// MaxBulkTickets is how many tickets one update_many request takes.
const MaxBulkTickets = 100

// BulkCloserOptions configures a BulkCloser.
type BulkCloserOptions struct {
	// JobPoll is the wait before each look at the job's status (default
	// 1 s; Zendesk runs most bulk jobs within seconds).
	JobPoll time.Duration
	// JobTimeout bounds the wait for one job (default 2 minutes); tickets
	// of a job still running then are reported as errors, to be retried.
	JobTimeout time.Duration
}

// BulkCloser moves solved tickets to closed, up to 100 per request: it is
// the Closer of helpdesk/lifecycle's CloseSolved timers (use it there
// rather than a Zendesk automation that closes solved tickets, which would
// close them before a late customer reply can reopen them).
//
// Per batch: GET /api/v2/tickets/show_many?ids=… re-reads the tickets and
// keeps only those still solved (a ticket the customer reopened is never
// closed); PUT /api/v2/tickets/update_many closes them, each with
// safe_update and the updated_at just read, so a ticket changed between
// the two requests is refused by Zendesk; GET /api/v2/job_statuses/{id}
// follows the queued job until it completes and reads its per-ticket
// results.
type BulkCloser struct {
	c    *Client
	opts BulkCloserOptions
}

// BulkCloser returns a BulkCloser using c.
func (c *Client) BulkCloser(opts *BulkCloserOptions) *BulkCloser {
	var o BulkCloserOptions
	if opts != nil {
		o = *opts
	}
	if o.JobPoll <= 0 {
		o.JobPoll = time.Second
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 2 * time.Minute
	}
	return &BulkCloser{c: c, opts: o}
}

// CloseSolved implements lifecycle.Closer: one error per conversation, nil
// when the ticket is closed now or must be left alone (reopened, changed
// since it was read, deleted, closed already).
func (b *BulkCloser) CloseSolved(ctx context.Context, convs []helpdesk.Conversation) []error {
	errs := make([]error, len(convs))
	index := map[int64][]int{}
	var ids []int64
	for i, conv := range convs {
		id, ok := ticketRef(conv)
		if !ok {
			errs[i] = driver.Unsupported(Vendor, "closing a conversation without a ticket id")
			continue
		}
		if _, dup := index[id]; !dup {
			ids = append(ids, id)
		}
		index[id] = append(index[id], i)
	}
	for len(ids) > 0 {
		n := min(MaxBulkTickets, len(ids))
		res := b.CloseTickets(ctx, ids[:n])
		for id, err := range res {
			if errors.Is(err, ErrTicketChanged) {
				err = nil // left alone on purpose
			}
			for _, i := range index[id] {
				errs[i] = err
			}
		}
		ids = ids[n:]
	}
	return errs
}

// ErrTicketChanged is the per-ticket result of CloseTickets for a ticket
// that was not closed because it is no longer solved or changed while the
// job ran. CloseSolved reports it as nil (left alone on purpose).
var ErrTicketChanged = errors.New("zendesk: ticket changed, not closed")

// CloseTickets closes the given solved tickets (at most MaxBulkTickets) as
// described on BulkCloser and returns each id's result: nil (closed, or
// closed/deleted already), ErrTicketChanged, or an error worth a retry.
// CloseSolved maps ErrTicketChanged to nil.
func (b *BulkCloser) CloseTickets(ctx context.Context, ids []int64) map[int64]error {
	out := make(map[int64]error, len(ids))
	fail := func(err error) map[int64]error {
		for _, id := range ids {
			if _, done := out[id]; !done {
				out[id] = err
			}
		}
		return out
	}
	if len(ids) > MaxBulkTickets {
		return fail(fmt.Errorf("zendesk: %d tickets in one bulk close (max %d)", len(ids), MaxBulkTickets))
	}
	tickets, err := b.c.showMany(ctx, ids)
	if err != nil {
		return fail(err)
	}
	var updates []map[string]any
	for _, id := range ids {
		t, ok := tickets[id]
		switch {
		case !ok, t.Status == "closed":
			out[id] = nil // deleted or closed already: nothing to do
		case t.Status != "solved":
			out[id] = ErrTicketChanged
		default:
			updates = append(updates, map[string]any{"id": id, "status": "closed", "safe_update": true, "updated_stamp": t.UpdatedAt})
		}
	}
	if len(updates) == 0 {
		return out
	}
	var res struct {
		JobStatus jobStatus `json:"job_status"`
	}
	if _, err := b.c.support.Do(ctx, &transport.Request{
		Method: http.MethodPut, Path: "/api/v2/tickets/update_many",
		Body: map[string]any{"tickets": updates}, Priority: transport.PriorityNormal,
	}, &res); err != nil {
		return fail(err)
	}
	job, err := b.waitJob(ctx, res.JobStatus)
	if err != nil {
		return fail(err)
	}
	for _, r := range job.Results {
		id := int64(r.ID)
		if _, asked := tickets[id]; !asked {
			continue
		}
		switch {
		case r.succeeded():
			out[id] = nil
		case r.conflict():
			out[id] = ErrTicketChanged
		default:
			out[id] = fmt.Errorf("zendesk: closing ticket %d failed: %s %s", id, r.Error, r.Details)
		}
	}
	return fail(fmt.Errorf("zendesk: job %s reported no result for the ticket", job.ID))
}

func (b *BulkCloser) waitJob(ctx context.Context, job jobStatus) (jobStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.JobTimeout)
	defer cancel()
	wait := time.NewTimer(b.opts.JobPoll)
	defer wait.Stop()
	for !job.finished() {
		if job.ID == "" {
			return job, errors.New("zendesk: update_many answered without a job id")
		}
		select {
		case <-ctx.Done():
			return job, fmt.Errorf("zendesk: waiting for job %s: %w", job.ID, ctx.Err())
		case <-wait.C:
		}
		var res struct {
			JobStatus jobStatus `json:"job_status"`
		}
		if _, err := b.c.support.Do(ctx, &transport.Request{
			Method: http.MethodGet, Path: "/api/v2/job_statuses/" + url.PathEscape(job.ID), Priority: transport.PriorityNormal,
		}, &res); err != nil {
			return job, err
		}
		job = res.JobStatus
		wait.Reset(b.opts.JobPoll)
	}
	if job.Status != "completed" {
		return job, fmt.Errorf("zendesk: job %s %s: %s", job.ID, job.Status, job.Message)
	}
	return job, nil
}

// jobStatus is Zendesk's job_status object.
type jobStatus struct {
	ID      string      `json:"id"`
	Status  string      `json:"status"` // queued, working, failed, completed, killed
	Message string      `json:"message"`
	Results []jobResult `json:"results"`
}

func (j jobStatus) finished() bool {
	switch j.Status {
	case "completed", "failed", "killed":
		return true
	}
	return false
}

// jobResult is one ticket's result in a job: {"id":1,"action":"update",
// "success":true,"status":"Updated"} or {"id":2,"index":1,"error":"…",
// "details":"…"}.
type jobResult struct {
	ID      ID     `json:"id"`
	Success *bool  `json:"success"`
	Status  string `json:"status"`
	Error   string `json:"error"`
	Details string `json:"details"`
}

func (r jobResult) succeeded() bool {
	if r.Success != nil {
		return *r.Success
	}
	return r.Error == "" && strings.EqualFold(r.Status, "updated")
}

func (r jobResult) conflict() bool {
	s := strings.ToLower(r.Error + " " + r.Details)
	return strings.Contains(s, "conflict") || strings.Contains(s, "safe update") || strings.Contains(s, "closed")
}

// showMany reads tickets: GET /api/v2/tickets/show_many?ids=… (at most
// 100). Deleted tickets are absent.
func (c *Client) showMany(ctx context.Context, ids []int64) (map[int64]Ticket, error) {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	var res struct {
		Tickets []Ticket `json:"tickets"`
	}
	if _, err := c.support.Do(ctx, &transport.Request{
		Method: http.MethodGet, Path: "/api/v2/tickets/show_many",
		Query: url.Values{"ids": {strings.Join(s, ",")}}, Priority: transport.PriorityNormal,
	}, &res); err != nil {
		return nil, err
	}
	out := make(map[int64]Ticket, len(res.Tickets))
	for _, t := range res.Tickets {
		out[int64(t.ID)] = t
	}
	return out, nil
}
