package intercom_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// A raw NUL byte inside a JSON string is refused with ErrInvalidPayload, as
// by every driver (zendesk, cloudchat, hubspot, klaviyo too): JSON allows
// none and no vendor sends one.
func TestRawNULRefused(t *testing.T) {
	e := newEnv(t, nil)
	body := fixture(t, "user_created_html.json")
	i := strings.Index(string(body), `"body": "`) + len(`"body": "`)
	require.Greater(t, i, 10)
	b := append(append(append([]byte{}, body[:i]...), 0), body[i:]...)
	require.True(t, json.Valid(bytes.ReplaceAll(b, []byte{0}, nil)), "the NUL is the body's only defect")
	_, err := deliver(t, e.client, e.signer.Request(b))
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
}
