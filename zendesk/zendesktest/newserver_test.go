package zendesktest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// The fake vendors start the same way: NewServer(t, *Options), nil for
// the defaults.
func TestNewServerMatchesTheOtherFakes(t *testing.T) {
	var _ func(testing.TB, *zendesktest.Options) *zendesktest.Server = zendesktest.NewServer
	var _ func(testing.TB, *cloudchattest.Options) *cloudchattest.Server = cloudchattest.NewServer
	var _ func(testing.TB, *intercomtest.Options) *intercomtest.Server = intercomtest.NewServer

	srv := zendesktest.NewServer(t, nil)
	require.Equal(t, zendesktest.DefaultSubdomain, srv.Options().Subdomain)
	require.EqualValues(t, zendesktest.DefaultN2GroupID, srv.Options().N2GroupID)

	o := &zendesktest.Options{Subdomain: "other"}
	srv = zendesktest.NewServer(t, o)
	require.Equal(t, "other", srv.Options().Subdomain)
	require.Empty(t, o.APIToken, "NewServer does not write its defaults into the caller's options")
}
