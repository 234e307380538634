package redisbudget_test

import (
	"os"
	"testing"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

// TestMain says, after the tests, which ones skipped for a missing
// resource (Redis, the vendors' API specs) and how to run them.
func TestMain(m *testing.M) { os.Exit(drivertest.SkipSummary(m)) }
