package driver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

func TestCheckOptions(t *testing.T) {
	ce := &helpdesk.ConfigError{Vendor: "stub"}
	driver.CheckOptions(ce, driver.OptionValues{MaxRetries: -1})
	require.NoError(t, ce.Err(), "-1 turns retries off")
	driver.CheckOptions(ce, driver.OptionValues{Tolerance: -time.Second, MaxRetries: -2, MaxRetryWait: -1, Budget: true, NoBudget: true})
	require.ErrorIs(t, ce.Err(), helpdesk.ErrInvalidConfig)
	for _, f := range []string{"Options.Tolerance", "Options.MaxRetries", "Options.MaxRetryWait", "Options.NoBudget"} {
		require.NotNil(t, ce.Field(f), f)
	}
	require.Len(t, ce.Problems, 4, "every problem once")
}
