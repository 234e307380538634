package drivertest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/internal/skips"
)

// Skip skips t as one of group's tests, which need something this machine
// lacks (why), and records it for SkipSummary, which tells how to run
// them (enable). openapi.Load and redistest skip this way.
func Skip(t testing.TB, group, why, enable string) {
	t.Helper()
	skips.Record(group, why, enable, t.Name())
	t.Skipf("%s skipped: %s; to run them: %s", group, why, enable)
}

// SkipSummary runs the package's tests and then prints one line per group
// of tests that skipped for a missing resource (no Redis, no vendor specs),
// saying what was skipped and how to enable it, so that a quiet
// "ok" from go test ./... does not hide that contract tests did not run.
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(drivertest.SkipSummary(m)) }
//
// go test shows a passing package's output only with -v or when testing
// the current directory, so the lines go to the terminal (/dev/tty) when
// there is one, and to standard output otherwise (CI logs with -v or
// -json).
func SkipSummary(m *testing.M) int {
	code := m.Run()
	w, closeW := summaryOutput()
	defer closeW()
	WriteSkipSummary(w, strings.TrimSuffix(filepath.Base(os.Args[0]), ".test"))
	return code
}

// WriteSkipSummary writes the summary lines of the tests skipped so far,
// each prefixed with pkg, and returns how many it wrote.
func WriteSkipSummary(w io.Writer, pkg string) int {
	lines := skips.Lines()
	for _, l := range lines {
		fmt.Fprintf(w, "%s: %s\n", pkg, l)
	}
	return len(lines)
}

func summaryOutput() (io.Writer, func()) {
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		return tty, func() { _ = tty.Close() }
	}
	return os.Stdout, func() {}
}
