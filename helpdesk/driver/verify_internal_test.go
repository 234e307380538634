package driver

import (
	"crypto/sha256"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// The keyed HMAC states a Verifier keeps are reachable only through it:
// once the Verifier is unreachable, one collection reclaims them (a
// sync.Pool would keep them for up to two more).
func TestVerifierKeyedStatesDieWithIt(t *testing.T) {
	s := &Scheme{Header: "X-Sig", Hash: sha256.New, Encoding: Hex}
	r, err := http.NewRequest(http.MethodPost, "https://bot.example.com/", strings.NewReader("{}"))
	require.NoError(t, err)
	s.SignRequest(r, []byte("{}"), "s3cr3t", time.Now())
	req := &helpdesk.WebhookRequest{Method: r.Method, URL: r.URL, Header: r.Header, Body: []byte("{}")}

	v := NewVerifier(0, "s3cr3t")
	_, err = v.Verify(req, s)
	require.NoError(t, err)
	pool := &v.macs[pooledHash(sha256.New)]
	require.Len(t, pool.idle, 1, "the keyed state is kept for the next delivery")
	state := weak.Make(pool.idle[0])
	pool = nil
	_, err = v.Verify(req, s)
	require.NoError(t, err)
	require.NotNil(t, state.Value(), "while the Verifier lives, its state is reused")
	runtime.KeepAlive(v)
	v = nil
	runtime.GC()
	require.Nil(t, state.Value(), "the keyed state outlived its Verifier")
}
