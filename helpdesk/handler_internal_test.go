package helpdesk

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The handler's replies read as encoding/json writes them.
func TestWebhookReplyJSON(t *testing.T) {
	for _, r := range []webhookReply{
		{Status: "queued", Events: 1},
		{Status: "ok", Events: 3, Duplicates: 2},
		{Status: "ok", Duplicates: 1},
		{Status: "shutting down"},
		{Status: "rejected", Error: `helpdesk: invalid signature: X-Fake-Signature matches no "configured" secret`},
		{Status: "rejected", Error: "body <of> 5 & \\ bytes\n\tcafé \u2028 \x00 \xff"},
		{Status: "error", Events: -1, Error: "event handling failed"},
	} {
		var want bytes.Buffer
		require.NoError(t, json.NewEncoder(&want).Encode(r))
		require.Equal(t, want.String(), string(r.appendJSON(nil)))
	}
}
