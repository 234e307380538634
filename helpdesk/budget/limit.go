package budget

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Limit is one vendor rate limit: at most Count requests in any Window.
//
// A budget turns it into a token bucket with Burst tokens that refills at
// (Count-Burst)/Window, so that Burst + rate·Window never exceeds Count:
// no window of length Window, fixed or rolling, sees more than Count
// requests. Long-run use is therefore (Count-Burst)/Count of the limit, which
// is why the default burst is small.
type Limit struct {
	// Name labels the limit in errors, logs and a shared store's keys,
	// and is what an endpoint limit is selected by. It may be empty for
	// an account-wide limit.
	Name string
	// PerEndpoint makes the limit apply only to calls whose
	// transport.Call.Limits lists Name (e.g. Zendesk's "tickets-update").
	// Otherwise the limit is account-wide and every call draws on it.
	PerEndpoint bool
	// Count is the number of requests the vendor allows per Window.
	Count int
	// Window is the vendor's window, e.g. time.Minute or 10*time.Second.
	Window time.Duration
	// Burst is how many requests may go at once after an idle period,
	// below Count (1 when Count is 1). Zero means DefaultBurst(Count).
	Burst int
	// Share, when positive (at most 1), makes the limit learn the
	// account's real limit from the vendor's headers: a Quota whose Total
	// reports this limit replaces Count by Share·Total (and the burst by
	// its default, unless Burst is set and still below it). Count is then
	// the safe start, used until the first response says otherwise, so
	// users need not know their plan. The budget logs each learned limit
	// once. A report that also gives the window's reset lets the budget
	// spend what the vendor says is left of that window (see the package
	// doc, "Vendor feedback").
	Share float64
}

// DefaultBurst is the burst used when Limit.Burst is zero: 2 % of count,
// at least 2 (so that critical calls have headroom) and less than count.
func DefaultBurst(count int) int {
	b := int(math.Round(float64(count) * 0.02))
	if b < 2 {
		b = 2
	}
	if b >= count {
		b = count - 1
	}
	if b < 1 {
		b = 1
	}
	return b
}

// String formats the limit like "600/1m0s" or "tickets-update 100/1m0s".
func (l Limit) String() string {
	s := fmt.Sprintf("%d/%s", l.Count, l.Window)
	if l.Name != "" {
		s = l.Name + " " + s
	}
	return s
}

// burst returns the effective burst.
func (l Limit) burst() int {
	if l.Burst > 0 {
		return l.Burst
	}
	return DefaultBurst(l.Count)
}

// interval returns the emission interval, the time one token takes to refill.
func (l Limit) interval() time.Duration {
	b := l.burst()
	if l.Count <= b {
		// Count 1 with burst 1: one request per window. A bucket of one
		// token refilled every Window never puts two requests into one
		// half-open window.
		return l.Window
	}
	return time.Duration(float64(l.Window) / float64(l.Count-b))
}

// maxLimits is the most limits one budget may have.
const maxLimits = 32

// ErrInvalidConfig is matched (errors.Is) by every configuration error
// returned by constructors and options.
var ErrInvalidConfig = errors.New("budget: invalid configuration")

// ErrUnknownPriority is returned by Wait for a transport.Priority the budget
// does not know.
var ErrUnknownPriority = errors.New("budget: unknown priority")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

func validateLimits(limits []Limit) error {
	if len(limits) == 0 {
		return configErr("no limits")
	}
	if len(limits) > maxLimits {
		return configErr("%d limits, at most %d", len(limits), maxLimits)
	}
	seen := map[string]bool{}
	for _, l := range limits {
		if l.Count <= 0 {
			return configErr("limit %q: count %d must be positive", l.Name, l.Count)
		}
		if l.Window <= 0 {
			return configErr("limit %q: window %s must be positive", l.Name, l.Window)
		}
		if l.Burst < 0 {
			return configErr("limit %q: burst %d must not be negative", l.Name, l.Burst)
		}
		if l.Burst >= l.Count && l.Count > 1 {
			// Burst + rate·Window <= Count leaves no rate at all.
			return configErr("limit %q: burst %d must be below count %d", l.Name, l.Burst, l.Count)
		}
		if !(l.Share >= 0 && l.Share <= 1) {
			return configErr("limit %q: share %v outside [0, 1]", l.Name, l.Share)
		}
		if l.PerEndpoint && l.Name == "" {
			return configErr("an endpoint limit needs a name")
		}
		if strings.ContainsAny(l.Name, "{}:@ \t\n") {
			return configErr("limit %q: name may not contain braces, colons, @ or spaces", l.Name)
		}
		key := l.Name + "/" + l.Window.String()
		if seen[key] {
			return configErr("limit %q with window %s given twice", l.Name, l.Window)
		}
		seen[key] = true
	}
	return nil
}

// bucket is a token bucket derived from a Limit: burst tokens, refilled
// one every interval.
type bucket struct {
	burst    int
	interval time.Duration
}

// rate returns tokens per second.
func (b bucket) rate() float64 { return float64(time.Second) / float64(b.interval) }

// share returns the bucket one of n processes gets when they split the
// limit without coordination: Count/n per Window with Burst/n (at least 1),
// so that the n buckets together still stay within the limit.
func (l Limit) share(n int) bucket {
	if n <= 1 {
		return bucket{burst: l.burst(), interval: l.interval()}
	}
	b := l.burst() / n
	if b < 1 {
		b = 1
	}
	per := float64(l.Count) / float64(n)
	if per > float64(b) {
		return bucket{burst: b, interval: time.Duration(float64(l.Window) / (per - float64(b)))}
	}
	// Fewer requests per window than one burst: one request per n·Window/Count.
	return bucket{burst: 1, interval: time.Duration(float64(l.Window) / per)}
}

// applicable returns the indexes of limits a call draws on: every
// account-wide limit plus the named ones listed in names.
func applicable(limits []Limit, names []string) []int {
	idx := make([]int, 0, len(limits))
	for i, l := range limits {
		if !l.PerEndpoint {
			idx = append(idx, i)
			continue
		}
		for _, n := range names {
			if n == l.Name {
				idx = append(idx, i)
				break
			}
		}
	}
	return idx
}
