package escalation

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// hours is a compiled TargetHours.
type hours struct {
	loc     *time.Location
	windows []window
}

type window struct {
	days        [7]bool // by time.Weekday
	open, close int     // minutes since midnight; close may be 1440
}

// isOpen reports whether t falls in a window, in the target's time zone.
func (h *hours) isOpen(t time.Time) bool {
	t = t.In(h.loc)
	wd := int(t.Weekday())
	m := t.Hour()*60 + t.Minute()
	for i := range h.windows {
		w := &h.windows[i]
		if w.open < w.close {
			if w.days[wd] && m >= w.open && m < w.close {
				return true
			}
			continue
		}
		// Spans midnight: open from w.open on a listed day until w.close on
		// the next day.
		if (w.days[wd] && m >= w.open) || (w.days[(wd+6)%7] && m < w.close) {
			return true
		}
	}
	return false
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// parseClock parses "HH:MM" (00:00 to 24:00) into minutes.
func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(hh) == 0 || len(hh) > 2 || len(mm) != 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time between 00:00 and 24:00", s)
	}
	return h*60 + m, nil
}

func compileHours(ps *problems, field string, th TargetHours) *hours {
	h := &hours{loc: time.UTC}
	if th.TimeZone != "" {
		loc, err := time.LoadLocation(th.TimeZone)
		if err != nil {
			ps.add(field+".time_zone", "unknown time zone %q", th.TimeZone)
		} else {
			h.loc = loc
		}
	}
	if len(th.Windows) == 0 {
		ps.add(field+".windows", "no opening window (a target without hours is always open; omit it instead)")
	}
	for i, w := range th.Windows {
		wf := fmt.Sprintf("%s.windows[%d]", field, i)
		var cw window
		if len(w.Days) == 0 {
			ps.add(wf+".days", "no days")
		}
		for j, d := range w.Days {
			wd, ok := dayNames[strings.ToLower(strings.TrimSpace(d))]
			if !ok {
				ps.add(fmt.Sprintf("%s.days[%d]", wf, j), "unknown day %q (want mon..sun)", d)
				continue
			}
			cw.days[wd] = true
		}
		var err error
		if cw.open, err = parseClock(w.Open); err != nil {
			ps.add(wf+".open", "%v", err)
		} else if cw.open == 24*60 {
			ps.add(wf+".open", "cannot open at 24:00")
		}
		if cw.close, err = parseClock(w.Close); err != nil {
			ps.add(wf+".close", "%v", err)
		}
		if err == nil && cw.open == cw.close {
			ps.add(wf, "open and close are both %s (use 00:00-24:00 for all day)", w.Open)
		}
		h.windows = append(h.windows, cw)
	}
	return h
}
