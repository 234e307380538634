//go:build !race

package escalation

const raceEnabled = false
