package zendesktest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limits are the rate limits the fake enforces on the Support API, the way
// Zendesk does (developer.zendesk.com, "Rate limits"): fixed windows on the
// fake's clock (Options.Now), every answer reporting what is left, and a
// 429 with Retry-After (seconds to the window's end) for the excess.
//
// Zero fields enforce nothing, so a fake made without Limits never
// rate-limits.
type Limits struct {
	// Account is the account-wide limit per Window, which every Support
	// API request counts against: the plan's (200 Team, 400 Growth and
	// Professional, 700 Enterprise, 2500 Enterprise Plus or High Volume).
	// Answers carry X-Rate-Limit / X-Rate-Limit-Remaining and
	// ratelimit-limit / ratelimit-remaining / ratelimit-reset.
	Account int
	// TicketUpdates is the Update Ticket limit per Window (100, 300 with
	// High Volume), which only PUT /api/v2/tickets/{id} counts against,
	// after the account limit. Its answers carry
	// "Zendesk-RateLimit-tickets-update: total=100; remaining=99; resets=42".
	TicketUpdates int
	// UpdatesPerTicket is the limit of updates to one ticket per
	// TicketWindow (Zendesk: 30 per 10 minutes per user per ticket).
	UpdatesPerTicket int
	// Window is the window of Account and TicketUpdates (default one
	// minute); TicketWindow that of UpdatesPerTicket (default ten minutes).
	Window       time.Duration
	TicketWindow time.Duration
}

// ZendeskLimits returns the limits of a real account whose plan allows
// account requests a minute, with Zendesk's Update Ticket limit (100 a
// minute, 300 with High Volume, i.e. when account is 2500) and its
// per-ticket limit (30 updates per 10 minutes).
func ZendeskLimits(account int) Limits {
	updates := 100
	if account >= 2500 {
		updates = 300
	}
	return Limits{Account: account, TicketUpdates: updates, UpdatesPerTicket: 30}
}

func (l Limits) withDefaults() Limits {
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	if l.TicketWindow <= 0 {
		l.TicketWindow = 10 * time.Minute
	}
	return l
}

// fixedWindow counts requests in the window that started at start.
type fixedWindow struct {
	start time.Time
	n     int
}

// take counts one request at now and returns how many the window has
// seen and the time left until it ends.
func (fw *fixedWindow) take(now time.Time, size time.Duration) (int, time.Duration) {
	start := now.Truncate(size)
	if !fw.start.Equal(start) {
		fw.start, fw.n = start, 0
	}
	fw.n++
	return fw.n, start.Add(size).Sub(now)
}

type limitState struct {
	mu        sync.Mutex
	limits    Limits
	account   fixedWindow
	updates   fixedWindow
	perTicket map[int64]*fixedWindow
	refused   int
}

// SetLimits replaces the limits the fake enforces and starts their windows
// afresh.
func (s *Server) SetLimits(l Limits) {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	s.lim.limits = l.withDefaults()
	s.lim.account, s.lim.updates = fixedWindow{}, fixedWindow{}
	s.lim.perTicket = map[int64]*fixedWindow{}
}

// Limits returns the limits the fake enforces.
func (s *Server) Limits() Limits {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.limits
}

// RateLimit makes the Support API accept n requests per window account-wide
// (Limits.Account), keeping the other limits. n <= 0 removes the account
// limit.
func (s *Server) RateLimit(n int, window time.Duration) {
	l := s.Limits()
	l.Account, l.Window = max(n, 0), window
	s.SetLimits(l)
}

// RateLimited returns how many requests the limits answered with 429 (not
// counting failures injected with FailNext or InjectFaults).
func (s *Server) RateLimited() int {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.refused
}

// handleSupport registers a Support API endpoint behind the limits.
func (s *Server) handleSupport(pattern string, h http.HandlerFunc) {
	s.Support.Handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		if wait := s.admit(w.Header(), r); wait > 0 {
			s.writeSupportError(w, http.StatusTooManyRequests, wait)
			return
		}
		h(w, r)
	})
}

// updateTicketPattern is the Update Ticket endpoint.
const updateTicketPattern = "PUT /api/v2/tickets/{id}"

// admit counts r against the limits, writes their headers to h, and
// returns how long the client must wait when one of them refuses r.
func (s *Server) admit(h http.Header, r *http.Request) time.Duration {
	now := s.opts.Now()
	ls := &s.lim
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.limits
	var wait time.Duration
	if l.Account > 0 {
		n, left := ls.account.take(now, l.Window)
		setQuotaHeaders(h, l.Account, n, left)
		if n > l.Account {
			wait = left
		}
	}
	update := r.Pattern == updateTicketPattern
	if wait == 0 && update && l.TicketUpdates > 0 {
		n, left := ls.updates.take(now, l.Window)
		h.Set("Zendesk-RateLimit-tickets-update", fmt.Sprintf("total=%d; remaining=%d; resets=%d", l.TicketUpdates, max(l.TicketUpdates-n, 0), ceilSeconds(left)))
		if n > l.TicketUpdates {
			wait = left
		}
	}
	if wait == 0 && update && l.UpdatesPerTicket > 0 {
		if id, ok := pathID(r); ok {
			fw := ls.perTicket[id]
			if fw == nil {
				fw = &fixedWindow{}
				ls.perTicket[id] = fw
			}
			if n, left := fw.take(now, l.TicketWindow); n > l.UpdatesPerTicket {
				wait = left
			}
		}
	}
	if wait > 0 {
		ls.refused++
	}
	return wait
}

// setQuotaHeaders writes the account limit's headers: n requests of limit
// seen in the window, which ends in left.
func setQuotaHeaders(h http.Header, limit, n int, left time.Duration) {
	total, remaining := strconv.Itoa(limit), strconv.Itoa(max(limit-n, 0))
	h.Set("X-Rate-Limit", total)
	h.Set("X-Rate-Limit-Remaining", remaining)
	h.Set("Ratelimit-Limit", total)
	h.Set("Ratelimit-Remaining", remaining)
	h.Set("Ratelimit-Reset", strconv.Itoa(ceilSeconds(left)))
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
