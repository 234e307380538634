package escalation

import "time"

// BusinessHours are opening windows in a time zone, compiled: the same
// hours a target of the policy has (Config.Hours), for other packages that
// schedule by them (helpdesk/lifecycle delays its timers to the next
// opening).
type BusinessHours struct{ h *hours }

// CompileHours checks and compiles opening windows in the IANA time zone tz
// ("" = UTC). Problems come back as a *ValidationError.
func CompileHours(tz string, windows []Window) (*BusinessHours, error) {
	var ps problems
	h := compileHours(&ps, "hours", TargetHours{TimeZone: tz, Windows: windows})
	if err := ps.err(); err != nil {
		return nil, err
	}
	return &BusinessHours{h: h}, nil
}

// IsOpen reports whether t falls in an opening window.
func (b *BusinessHours) IsOpen(t time.Time) bool { return b.h.isOpen(t) }

// NextOpen returns t when the hours are open at t, otherwise the next
// instant they open (at most a week ahead, as every window recurs weekly).
func (b *BusinessHours) NextOpen(t time.Time) time.Time {
	if b.h.isOpen(t) {
		return t
	}
	lt := t.In(b.h.loc)
	y, m, d := lt.Date()
	var best time.Time
	for k := 0; k <= 7; k++ {
		wd := (int(lt.Weekday()) + k) % 7
		for i := range b.h.windows {
			w := &b.h.windows[i]
			if !w.days[wd] {
				continue
			}
			at := time.Date(y, m, d+k, w.open/60, w.open%60, 0, 0, b.h.loc)
			if at.After(t) && (best.IsZero() || at.Before(best)) {
				best = at
			}
		}
		if !best.IsZero() {
			return best
		}
	}
	return t // no window at all: compileHours refuses that
}
