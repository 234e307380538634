package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

// measuredJSON holds each driver's requests for the seed scenario,
// measured against its fake vendor (measure_test.go writes it: go test
// ./examples/rpmplan -run TestMeasuredFigures -update). The test fails
// when a driver's figures change, so the file never goes stale.
//
//go:embed measured.json
var measuredJSON []byte

// Measured is what running the seed scenario (bot messages, a resolve,
// a hand-over) through one driver against its fake vendor cost, in HTTP
// requests the fake received.
type Measured struct {
	// Driver names the driver and mode, e.g. "zendesk" (tickets).
	Driver string `json:"driver"`
	// Fake is the fake vendor measured against.
	Fake string `json:"fake"`
	// PerMessage is requests per bot message (one part).
	PerMessage float64 `json:"requests_per_message"`
	// PerResolve is the requests a resolve adds to the last message.
	PerResolve float64 `json:"requests_per_resolve"`
	// PerHandover is the requests of one hand-over with a notice.
	PerHandover float64 `json:"requests_per_handover"`
}

// Measurements is the content of a measurement file.
type Measurements struct {
	Scenario string     `json:"scenario"`
	Drivers  []Measured `json:"drivers"`
}

func parseMeasurements(b []byte) (Measurements, error) {
	var m Measurements
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("measurements: %w", err)
	}
	sort.Slice(m.Drivers, func(i, j int) bool { return m.Drivers[i].Driver < m.Drivers[j].Driver })
	return m, nil
}

// loadMeasurements reads path, or the embedded file when path is empty.
func loadMeasurements(path string) (Measurements, string, error) {
	if path == "" {
		m, err := parseMeasurements(measuredJSON)
		return m, "examples/rpmplan/measured.json (embedded)", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Measurements{}, "", err
	}
	m, err := parseMeasurements(b)
	return m, path, err
}

func (m Measurements) find(driver string) (Measured, error) {
	names := make([]string, 0, len(m.Drivers))
	for _, d := range m.Drivers {
		if d.Driver == driver {
			return d, nil
		}
		names = append(names, d.Driver)
	}
	return Measured{}, fmt.Errorf("no measurement for driver %q (have %s)", driver, strings.Join(names, ", "))
}

// apply puts a driver's measured figures into the plan: a message costs
// PerMessage requests per part, a resolve PerResolve, and the plan's
// hand-over share (handovers per ticket) PerHandover each.
func (d Measured) apply(p budget.Plan, handoverShare float64) budget.Plan {
	p.PartsPerMessage *= d.PerMessage
	p.RequestsPerResolve = d.PerResolve
	p.HandoverRequestsPerTicket = handoverShare * d.PerHandover
	return p
}
