package driver

import (
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
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
