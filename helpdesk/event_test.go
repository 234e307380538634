package helpdesk_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]helpdesk.Status{
		"new": helpdesk.StatusNew, "Open": helpdesk.StatusOpen, " pending ": helpdesk.StatusPending,
		"hold": helpdesk.StatusSnoozed, "snoozed": helpdesk.StatusSnoozed, "SOLVED": helpdesk.StatusResolved,
		"resolved": helpdesk.StatusResolved, "closed": helpdesk.StatusClosed, "archived": helpdesk.StatusUnknown, "": helpdesk.StatusUnknown,
	} {
		require.Equal(t, want, helpdesk.ParseStatus(in), in)
	}
}

// Hosts keep a Conversation between the webhook and the reply (a queue, a
// database): it must survive JSON unchanged.
func TestConversationJSONRoundTrip(t *testing.T) {
	c := helpdesk.Conversation{Vendor: "zendesk", Account: "acme", ID: "123", Channel: helpdesk.ChannelWhatsApp}
	c = c.With("sunshine_conversation_id", "abc")
	data, err := json.Marshal(c)
	require.NoError(t, err)
	var back helpdesk.Conversation
	require.NoError(t, json.Unmarshal(data, &back))
	require.Empty(t, cmp.Diff(c, back))
	require.Equal(t, "abc", back.Get("sunshine_conversation_id"))
	require.Equal(t, "zendesk/acme/123", back.Key())

	d := c.With("x", "1")
	require.Empty(t, c.Get("x"), "With must not change the original")
	require.Equal(t, "1", d.Get("x"))
}

func TestTargetValidate(t *testing.T) {
	require.NoError(t, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "1"}.Validate())
	require.ErrorIs(t, helpdesk.Target{Kind: helpdesk.TargetGroup}.Validate(), helpdesk.ErrInvalidRequest)
	require.ErrorIs(t, helpdesk.Target{Kind: "team", ID: "1"}.Validate(), helpdesk.ErrInvalidRequest)
}

func TestCapabilities(t *testing.T) {
	c := helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapResolve)
	require.True(t, c.Has(helpdesk.CapSendMessage))
	require.False(t, c.Has(helpdesk.CapSendMessage|helpdesk.CapReassignGroup))
	require.Equal(t, "send,resolve", c.String())
}

func TestAPIErrorMatchesSentinels(t *testing.T) {
	for status, sentinel := range map[int]error{401: helpdesk.ErrUnauthorized, 403: helpdesk.ErrUnauthorized, 404: helpdesk.ErrNotFound, 429: helpdesk.ErrRateLimited, 422: helpdesk.ErrInvalidRequest} {
		err := error(&helpdesk.APIError{Vendor: "v", StatusCode: status, Kind: sentinel, RequestID: "r-1"})
		require.ErrorIs(t, err, sentinel)
		require.Contains(t, err.Error(), "r-1")
	}
	fe := &helpdesk.FieldError{Field: "custom_fields.42", Problem: "required to solve", Err: &helpdesk.APIError{StatusCode: 422}}
	require.ErrorIs(t, fe, helpdesk.ErrInvalidRequest)
	var ae *helpdesk.APIError
	require.ErrorAs(t, fe, &ae)
}
