package openapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestChatwootMessageCreate(t *testing.T) {
	s := Load(t, "chatwoot/swagger.json")
	good := `{"content":"hello","message_type":"outgoing","private":false}`
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/api/v1/accounts/1/conversations/42/messages", strings.NewReader(good))
	r.Header.Set("Content-Type", "application/json")
	require.NoError(t, s.Validate(r, []byte(good)))

	bad := `{"content":"hello","message_type":"sideways"}`
	require.Error(t, s.Validate(r, []byte(bad)), "an unknown message_type must violate the spec")

	r = httptest.NewRequest(http.MethodPost, "http://127.0.0.1/api/v1/accounts/1/conversations/42/not-an-endpoint", nil)
	require.ErrorIs(t, s.Validate(r, nil), ErrNoOperation)
}

func TestSunshineMessagePost(t *testing.T) {
	s := Load(t, "sunshine/openapi.yaml", "/sc")
	good := `{"author":{"type":"business","displayName":"Bot"},"content":{"type":"text","text":"hi"}}`
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/sc/v2/apps/app1/conversations/c1/messages", strings.NewReader(good))
	r.Header.Set("Content-Type", "application/json")
	require.NoError(t, s.Validate(r, []byte(good)))
	bad := `{"content":{"type":"text","text":"hi"}}`
	require.Error(t, s.Validate(r, []byte(bad)), "a message without author must violate the spec")
}
