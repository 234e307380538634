package helpdesk

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidConfig is matched (errors.Is) by every error a driver's
// Config.Validate or New returns for a configuration problem.
var ErrInvalidConfig = errors.New("helpdesk: invalid config")

// ConfigError lists every problem a driver found in its configuration, so
// a user fixes them all at once. It matches ErrInvalidConfig and
// ErrInvalidRequest, and errors.As finds each problem as a *FieldError
// (Field is the Config field's Go name). It never quotes a secret.
type ConfigError struct {
	// Vendor names the driver.
	Vendor   string
	Problems []*FieldError
}

// Add records a problem with field.
func (e *ConfigError) Add(field, format string, args ...any) {
	e.Problems = append(e.Problems, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// Err returns e when it holds problems, nil otherwise.
func (e *ConfigError) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.Vendor != "" {
		b.WriteString(e.Vendor + ": ")
	}
	b.WriteString("invalid config: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Problem)
	}
	return b.String()
}

// Unwrap returns ErrInvalidConfig and every problem.
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, 0, len(e.Problems)+1)
	errs = append(errs, ErrInvalidConfig)
	for _, p := range e.Problems {
		errs = append(errs, p)
	}
	return errs
}

// Field returns the problem recorded for field, or nil.
func (e *ConfigError) Field(field string) *FieldError {
	for _, p := range e.Problems {
		if p.Field == field {
			return p
		}
	}
	return nil
}
