// Package skips records tests skipped for a missing resource (a Redis
// server, the vendors' API specs), for drivertest.SkipSummary to report.
package skips

import (
	"fmt"
	"sync"
)

// Group is one kind of skipped test: what is missing and how to enable
// the tests.
type Group struct {
	Name   string // what was skipped, e.g. "Redis tests"
	Why    string // why, e.g. "redis-server not on PATH"
	Enable string // how to run them
	Tests  []string
}

var (
	mu     sync.Mutex
	groups []*Group
)

// Record notes that test was skipped as part of group name.
func Record(name, why, enable, test string) {
	mu.Lock()
	defer mu.Unlock()
	for _, g := range groups {
		if g.Name == name && g.Why == why {
			g.Tests = append(g.Tests, test)
			return
		}
	}
	groups = append(groups, &Group{Name: name, Why: why, Enable: enable, Tests: []string{test}})
}

// Lines returns one summary line per group, in the order first recorded.
func Lines() []string {
	mu.Lock()
	defer mu.Unlock()
	var out []string
	for _, g := range groups {
		out = append(out, fmt.Sprintf("SKIPPED %d test(s): %s (%s); to run them: %s", len(g.Tests), g.Name, g.Why, g.Enable))
	}
	return out
}

// Reset forgets every record (for tests of the summary itself).
func Reset() {
	mu.Lock()
	groups = nil
	mu.Unlock()
}
