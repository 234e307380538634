package budget

import (
	"fmt"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// WaitError is returned by Wait when a call would have to wait longer than
// its transport.Call.MaxWait. It matches helpdesk.ErrRateLimited, so callers
// can merge or drop the request instead of queueing it.
type WaitError struct {
	// Wait is how much longer the call would have had to wait (an estimate
	// when other calls were queued ahead of it).
	Wait time.Duration
	// Limit names the limit that was short ("" for an unnamed limit).
	Limit string
	// Paused reports that the wait comes from the vendor's 429 (or an
	// exhausted remaining-quota header) rather than from pacing.
	Paused bool
}

func (e *WaitError) Error() string {
	why := "rate budget"
	if e.Paused {
		why = "vendor pause"
	}
	if e.Limit != "" {
		why += " " + e.Limit
	}
	return fmt.Sprintf("budget: %s needs a wait of %s, more than the call allows", why, e.Wait.Round(time.Millisecond))
}

// Unwrap returns helpdesk.ErrRateLimited.
func (e *WaitError) Unwrap() error { return helpdesk.ErrRateLimited }
