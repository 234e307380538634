package hubspot_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// A raw NUL byte inside a JSON string is refused with ErrInvalidPayload, as
// by every driver (zendesk, cloudchat, intercom, klaviyo too): JSON allows
// none and no vendor sends one.
func TestRawNULRefused(t *testing.T) {
	c, _ := newTestClient(t, nil, nil)
	body := []byte("[{\"eventId\":1,\"subscriptionType\":\"conversation.newMessage\",\"objectId\":12,\"messageId\":\"m\x00\",\"portalId\":1,\"appId\":1,\"occurredAt\":1784020351000}]")
	require.True(t, json.Valid(bytes.ReplaceAll(body, []byte{0}, nil)), "the NUL is the body's only defect")
	_, err := deliverBody(t, c, body)
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
}
