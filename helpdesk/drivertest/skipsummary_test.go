package drivertest_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/internal/skips"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/openapi"
)

// Tests that skip for a missing resource are summed up in one line per
// group saying how to run them, instead of vanishing in go test's "ok".
func TestSkipSummary(t *testing.T) {
	skips.Reset()
	t.Cleanup(skips.Reset)
	specs := t.TempDir()
	t.Setenv("AGENTDESK_SPECS_DIR", specs)
	for _, name := range []string{"a", "b"} {
		t.Run("redis "+name, func(t *testing.T) {
			drivertest.Skip(t, "Redis tests", "redis-server not on PATH", "install redis-server")
		})
	}
	t.Run("contract", func(t *testing.T) {
		openapi.Load(t, "acme/openapi.yaml")
		t.Error("Load must skip when the spec is missing")
	})

	var buf bytes.Buffer
	require.Equal(t, 2, drivertest.WriteSkipSummary(&buf, "acme"))
	require.Equal(t,
		"acme: SKIPPED 2 test(s): Redis tests (redis-server not on PATH); to run them: install redis-server\n"+
			"acme: SKIPPED 1 test(s): OpenAPI contract checks (acme/openapi.yaml is not in the specs folder); to run them: put the vendor's published spec at "+filepath.Join(specs, "acme/openapi.yaml")+"\n",
		buf.String())

	skips.Reset()
	buf.Reset()
	require.Zero(t, drivertest.WriteSkipSummary(&buf, "acme"), "nothing skipped, nothing printed")
	require.Empty(t, buf.String())
}
