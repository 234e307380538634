package driver

import (
	"errors"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

// OptionValues are the values of the options every driver's Options has
// under the same names (see the package documentation), for CheckOptions.
type OptionValues struct {
	Tolerance    time.Duration
	MaxRetries   int
	MaxRetryWait time.Duration
	// Budget is true when Options.Budget is set.
	Budget   bool
	NoBudget bool
}

// CheckOptions adds to ce the problems of the options every driver
// shares, with the same field names and words in every driver.
func CheckOptions(ce *helpdesk.ConfigError, v OptionValues) {
	if v.Tolerance < 0 {
		ce.Add("Options.Tolerance", "must not be negative")
	}
	if v.MaxRetries < -1 {
		ce.Add("Options.MaxRetries", "must be -1 (off) or more")
	}
	if v.MaxRetryWait < 0 {
		ce.Add("Options.MaxRetryWait", "must not be negative")
	}
	if v.Budget && v.NoBudget {
		ce.Add("Options.NoBudget", "set together with Options.Budget")
	}
}

// CheckConfig returns the problems of a driver's Config (the error of its
// Validate, a *helpdesk.ConfigError or nil) and of its Options (check adds
// them, usually through CheckOptions) as one *helpdesk.ConfigError
// matching helpdesk.ErrInvalidConfig, or nil when there are none, so that
// a user sees every problem at once.
func CheckConfig(vendor string, validate error, check func(*helpdesk.ConfigError)) error {
	ce := &helpdesk.ConfigError{Vendor: vendor}
	var cerr *helpdesk.ConfigError
	switch {
	case errors.As(validate, &cerr):
		ce.Problems = append(ce.Problems, cerr.Problems...)
	case validate != nil:
		return validate
	}
	if check != nil {
		check(ce)
	}
	return ce.Err()
}

// ConversationGuard turns a driver's Options.ConversationLimit (n) into
// Options.ConversationLimit: 0 means vendorCount writes per window, a
// negative n turns the guard off (the zero Limit). Half the window's
// writes may go at once, so a reply in parts and a handover with its
// notice never wait, while a loop is still stopped within the window.
func ConversationGuard(n, vendorCount int, window time.Duration) budget.Limit {
	if n < 0 {
		return budget.Limit{}
	}
	if n == 0 {
		n = vendorCount
	}
	if n <= 0 {
		return budget.Limit{}
	}
	return budget.Limit{Count: n, Window: window, Burst: max(budget.DefaultBurst(n), n/2)}
}
