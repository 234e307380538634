package driver_test

import (
	"errors"
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

func TestCheckConfig(t *testing.T) {
	cfgErr := &helpdesk.ConfigError{Vendor: "acme"}
	cfgErr.Add("APIToken", "is required")
	badOptions := func(ce *helpdesk.ConfigError) {
		driver.CheckOptions(ce, driver.OptionValues{Tolerance: -1})
	}

	err := driver.CheckConfig("acme", cfgErr, badOptions)
	require.ErrorIs(t, err, helpdesk.ErrInvalidConfig)
	var ce *helpdesk.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Problems, 2, "the Config's and the Options' problems at once: %v", err)
	require.Contains(t, err.Error(), "APIToken")
	require.Contains(t, err.Error(), "Options.Tolerance")

	require.NoError(t, driver.CheckConfig("acme", nil, func(*helpdesk.ConfigError) {}))
	require.NoError(t, driver.CheckConfig("acme", nil, nil))
	plain := errors.New("not a ConfigError")
	require.Same(t, plain, driver.CheckConfig("acme", plain, badOptions), "another error is returned as it is")
}

func TestConversationGuard(t *testing.T) {
	require.Zero(t, driver.ConversationGuard(-1, 30, time.Minute), "negative: off")
	g := driver.ConversationGuard(0, 30, 10*time.Minute)
	require.Equal(t, 30, g.Count, "0: the vendor's count")
	require.Equal(t, 10*time.Minute, g.Window)
	require.Equal(t, 15, g.Burst, "half the window at once")
	g = driver.ConversationGuard(4, 30, time.Minute)
	require.Equal(t, 4, g.Count)
	require.GreaterOrEqual(t, g.Burst, 2)
	require.Zero(t, driver.ConversationGuard(0, 0, time.Minute), "no vendor count: off")
}
