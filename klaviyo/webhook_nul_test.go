package klaviyo_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// A raw NUL byte inside a JSON string is refused with ErrInvalidPayload, as
// by every driver (zendesk, cloudchat, intercom, hubspot too): JSON allows
// none and no vendor sends one.
func TestRawNULRefused(t *testing.T) {
	c, srv := newClient(t, nil)
	id := srv.NewProfile("+5511987654321", "")
	body := srv.SentSMS(id, "Cadê meu pedido?")
	body = bytes.Replace(body, []byte("meu"), []byte("m\x00u"), 1)
	require.True(t, json.Valid(bytes.ReplaceAll(body, []byte{0}, nil)), "the NUL is the body's only defect")
	_, err := parse(t, c, body, time.Time{})
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
}
