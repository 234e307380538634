package driver_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// Schemes as the vendors document them (../shared/reference): Chatwoot
// signs "<ts>.<body>" in hex with a sha256= prefix; Zendesk base64 over
// timestamp + body; Intercom sha1 over the body alone; HubSpot v3 base64
// over method + URI + body + ms timestamp; Klaviyo hex over body + HTTP
// date.
var schemes = map[string]*driver.Scheme{
	"chatwoot": {
		Header: "X-Chatwoot-Signature", Prefix: "sha256=", Hash: sha256.New, Encoding: driver.Hex,
		TimestampHeader: "X-Chatwoot-Timestamp", TimeFormat: driver.UnixSeconds,
		Message: func(r *helpdesk.WebhookRequest, ts string) [][]byte {
			return [][]byte{[]byte(ts), []byte("."), r.Body}
		},
	},
	"zendesk": {
		Header: "X-Zendesk-Webhook-Signature", Hash: sha256.New, Encoding: driver.Base64,
		TimestampHeader: "X-Zendesk-Webhook-Signature-Timestamp", TimeFormat: driver.RFC3339,
		Message: func(r *helpdesk.WebhookRequest, ts string) [][]byte { return [][]byte{[]byte(ts), r.Body} },
	},
	"intercom": {Header: "X-Hub-Signature", Prefix: "sha1=", Hash: sha1.New, Encoding: driver.Hex},
	"hubspot-v3": {
		Header: "X-HubSpot-Signature-v3", Hash: sha256.New, Encoding: driver.Base64,
		TimestampHeader: "X-HubSpot-Request-Timestamp", TimeFormat: driver.UnixMillis,
		Message: func(r *helpdesk.WebhookRequest, ts string) [][]byte {
			return [][]byte{[]byte(r.Method), []byte(r.URL.String()), r.Body, []byte(ts)}
		},
	},
	"klaviyo": {
		Header: "Klaviyo-Signature", Hash: sha256.New, Encoding: driver.Hex,
		TimestampHeader: "Klaviyo-Timestamp", TimeFormat: driver.HTTPDate,
		Message: func(r *helpdesk.WebhookRequest, ts string) [][]byte { return [][]byte{r.Body, []byte(ts)} },
	},
	"hubspot-v1": {
		Header: "X-HubSpot-Signature", Encoding: driver.Hex,
		Digest: func(secret string, msg [][]byte) []byte {
			h := sha256.New()
			h.Write([]byte(secret))
			for _, p := range msg {
				h.Write(p)
			}
			return h.Sum(nil)
		},
	},
}

var received = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func signed(t testing.TB, s *driver.Scheme, secret string, at time.Time, body string) *helpdesk.WebhookRequest {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "https://bot.example.com/webhooks?x=1", strings.NewReader(body))
	require.NoError(t, err)
	s.SignRequest(r, []byte(body), secret, at)
	req, err := helpdesk.ReadWebhookRequest(nil, r, 0)
	require.NoError(t, err)
	req.ReceivedAt = received
	return req
}

func TestVerifierAcceptsEverySchemeAndRotation(t *testing.T) {
	v := driver.NewVerifier(0, "new-secret", "", "old-secret")
	for name, s := range schemes {
		t.Run(name, func(t *testing.T) {
			for _, secret := range []string{"new-secret", "old-secret"} {
				_, err := v.Verify(signed(t, s, secret, received.Add(-time.Minute), `{"a":1}`), s)
				require.NoError(t, err, "secret %s", secret)
			}
			_, err := v.Verify(signed(t, s, "wrong", received, `{"a":1}`), s)
			require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch)
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			for _, secret := range []string{"new-secret", "old-secret", "wrong"} {
				require.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func TestVerifierOrderAndClock(t *testing.T) {
	s := schemes["chatwoot"]
	v := driver.NewVerifier(5*time.Minute, "s3cr3t")
	cases := []struct {
		name string
		req  func() *helpdesk.WebhookRequest
		want error
	}{
		{"stale", func() *helpdesk.WebhookRequest { return signed(t, s, "s3cr3t", received.Add(-6*time.Minute), "{}") }, helpdesk.ErrSignatureStale},
		{"future", func() *helpdesk.WebhookRequest { return signed(t, s, "s3cr3t", received.Add(6*time.Minute), "{}") }, helpdesk.ErrSignatureFuture},
		{"inside the tolerance", func() *helpdesk.WebhookRequest { return signed(t, s, "s3cr3t", received.Add(-4*time.Minute), "{}") }, nil},
		{"stale and forged says forged", func() *helpdesk.WebhookRequest {
			return signed(t, s, "other", received.Add(-time.Hour), "{}")
		}, helpdesk.ErrSignatureMismatch},
		{"no signature", func() *helpdesk.WebhookRequest {
			r := signed(t, s, "s3cr3t", received, "{}")
			r.Header.Del(s.Header)
			return r
		}, helpdesk.ErrSignatureMissing},
		{"no timestamp", func() *helpdesk.WebhookRequest {
			r := signed(t, s, "s3cr3t", received, "{}")
			r.Header.Del(s.TimestampHeader)
			return r
		}, helpdesk.ErrSignatureMissing},
		{"timestamp moved", func() *helpdesk.WebhookRequest {
			r := signed(t, s, "s3cr3t", received, "{}")
			r.Header.Set(s.TimestampHeader, driver.UnixSeconds.Format(received.Add(time.Second)))
			return r
		}, helpdesk.ErrSignatureMismatch},
		{"body changed", func() *helpdesk.WebhookRequest {
			r := signed(t, s, "s3cr3t", received, `{"a":1}`)
			r.Body = []byte(`{"a":2}`)
			return r
		}, helpdesk.ErrSignatureMismatch},
		{"not hex", func() *helpdesk.WebhookRequest {
			r := signed(t, s, "s3cr3t", received, "{}")
			r.Header.Set(s.Header, "sha256=zz")
			return r
		}, helpdesk.ErrSignatureMismatch},
		{"uppercase hex and prefix", func() *helpdesk.WebhookRequest {
			r := signed(t, s, "s3cr3t", received, "{}")
			r.Header.Set(s.Header, "SHA256="+strings.ToUpper(strings.TrimPrefix(r.Header.Get(s.Header), "sha256=")))
			return r
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.req(), s)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
			require.Equal(t, http.StatusUnauthorized, helpdesk.WebhookStatus(err))
		})
	}
	_, err := driver.NewVerifier(0).Verify(signed(t, s, "s3cr3t", received, "{}"), s)
	require.ErrorIs(t, err, helpdesk.ErrSignatureMissing, "no secret configured never verifies")
}

func TestVerifierReturnsTheSignedTime(t *testing.T) {
	s := schemes["zendesk"]
	at := received.Add(-30 * time.Second)
	got, err := driver.NewVerifier(0, "k").Verify(signed(t, s, "k", at, "{}"), s)
	require.NoError(t, err)
	require.True(t, got.Equal(at), "%s != %s", got, at)
}

func TestVerifyToken(t *testing.T) {
	v := driver.NewVerifier(0, "token-a", "token-b")
	require.NoError(t, v.VerifyToken("token-b", "X-API-Key"))
	require.ErrorIs(t, v.VerifyToken("", "X-API-Key"), helpdesk.ErrSignatureMissing)
	err := v.VerifyToken("token-c", "X-API-Key")
	require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch)
	require.NotContains(t, err.Error(), "token-")
	require.ErrorIs(t, driver.NewVerifier(0, "").VerifyToken("", "X-API-Key"), helpdesk.ErrSignatureMissing)
}

func TestSchemeSignMatchesTheVendorsFormula(t *testing.T) {
	// Chatwoot: sha256= hex(HMAC-SHA256(secret, "<ts>.<body>")).
	req := &helpdesk.WebhookRequest{Body: []byte(`{"event":"message_created"}`)}
	got := schemes["chatwoot"].Sign("abc", req, "1700000000")
	const want = "sha256=" // prefix, then 64 hex characters
	require.True(t, strings.HasPrefix(got, want))
	_, err := hex.DecodeString(strings.TrimPrefix(got, want))
	require.NoError(t, err)
	require.Len(t, strings.TrimPrefix(got, want), 64)
}

func TestTimeFormats(t *testing.T) {
	at := time.Date(2026, 4, 14, 3, 50, 12, 0, time.UTC)
	for _, f := range []driver.TimeFormat{driver.UnixSeconds, driver.UnixMillis, driver.RFC3339, driver.HTTPDate} {
		got, ok := f.Parse(f.Format(at))
		require.True(t, ok)
		require.True(t, got.Equal(at))
	}
	_, ok := driver.UnixSeconds.Parse("-5")
	require.False(t, ok)
	_, ok = driver.RFC3339.Parse("yesterday")
	require.False(t, ok)
	got, ok := driver.HTTPDate.Parse("Tue, 14 Apr 2026 03:50:12 GMT")
	require.True(t, ok)
	require.True(t, got.Equal(at))
}

// The keyed states a Verifier reuses between deliveries give the answer a
// new HMAC would, whatever ran before on them: deliveries verified
// concurrently, under schemes of different hashes sharing the secrets,
// signed with either secret of a rotation, with a wrong one, or forged.
func TestVerifierReusedStatesUnderConcurrency(t *testing.T) {
	v := driver.NewVerifier(0, "new-secret", "old-secret")
	type delivery struct {
		scheme string
		req    *helpdesk.WebhookRequest
		want   error
	}
	var ds []delivery
	for _, name := range []string{"chatwoot", "zendesk", "intercom", "hubspot-v3", "klaviyo"} {
		s := schemes[name]
		for i, secret := range []string{"new-secret", "old-secret", "wrong"} {
			var want error
			if secret == "wrong" {
				want = helpdesk.ErrSignatureMismatch
			}
			ds = append(ds, delivery{name, signed(t, s, secret, received, fmt.Sprintf(`{"n":%d}`, i)), want})
		}
		forged := signed(t, s, "new-secret", received, `{"n":1}`)
		forged.Body = []byte(`{"n":2}`)
		ds = append(ds, delivery{name, forged, helpdesk.ErrSignatureMismatch})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				d := ds[(g*7+i)%len(ds)]
				_, err := v.Verify(d.req, schemes[d.scheme])
				if d.want == nil && err != nil || d.want != nil && !errors.Is(err, d.want) {
					errs <- fmt.Errorf("%s: got %v, want %v", d.scheme, err, d.want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// A Hash that is not a named standard constructor (here closures, whose
// instances share code whatever they capture) still verifies, each with
// its own function: none is mistaken for another.
func TestVerifierHashClosures(t *testing.T) {
	closure := func(f func() hash.Hash) func() hash.Hash { return func() hash.Hash { return f() } }
	s256 := &driver.Scheme{Header: "X-Sig", Hash: closure(sha256.New), Encoding: driver.Hex}
	s512 := &driver.Scheme{Header: "X-Sig", Hash: closure(sha512.New), Encoding: driver.Hex}
	v := driver.NewVerifier(0, "k1", "k2")
	for range 3 {
		for _, s := range []*driver.Scheme{s256, s512} {
			_, err := v.Verify(signed(t, s, "k2", received, "{}"), s)
			require.NoError(t, err)
		}
		_, err := v.Verify(signed(t, s256, "k2", received, "{}"), s512)
		require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch)
	}
}

// Signatures of every length a hash gives are decoded, in hex of either
// case and base64; values too long for any digest are refused as
// mismatches, not panics.
func TestVerifierSignatureLengths(t *testing.T) {
	v := driver.NewVerifier(0, "k")
	for _, enc := range []driver.Encoding{driver.Hex, driver.Base64} {
		for name, h := range map[string]func() hash.Hash{"sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New, "sha384": sha512.New384} {
			t.Run(enc.String()+"/"+name, func(t *testing.T) {
				s := &driver.Scheme{Header: "X-Sig", Hash: h, Encoding: enc}
				req := signed(t, s, "k", received, `{"a":1}`)
				_, err := v.Verify(req, s)
				require.NoError(t, err)
				if enc == driver.Hex {
					req.Header.Set("X-Sig", strings.ToUpper(req.Header.Get("X-Sig")))
					_, err = v.Verify(req, s)
					require.NoError(t, err, "upper-case hex")
				}
			})
		}
		t.Run(enc.String()+"/too long", func(t *testing.T) {
			s := &driver.Scheme{Header: "X-Sig", Hash: sha256.New, Encoding: enc}
			req := signed(t, s, "k", received, `{"a":1}`)
			for _, n := range []int{16, 48, 97, 200, 1000} {
				long := strings.Repeat("ab", n)
				if enc == driver.Base64 {
					long = base64.StdEncoding.EncodeToString([]byte(long))
				}
				req.Header.Set("X-Sig", long)
				_, err := v.Verify(req, s)
				require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch, "%d bytes", len(long))
			}
			for _, bad := range []string{"abc", "zz", strings.Repeat("g", 300), "====", strings.Repeat("A", 301)} {
				req.Header.Set("X-Sig", bad)
				_, err := v.Verify(req, s)
				require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch, bad)
				require.Contains(t, err.Error(), "X-Sig")
			}
		})
	}
}

// BenchmarkVerify measures one delivery's verification under each scheme,
// with one secret and during a rotation (the delivery signed with the
// second of two secrets, so every secret's digest is computed).
func BenchmarkVerify(b *testing.B) {
	body := `{"type":"message_created","conversation":{"id":1234,"inbox_id":5},"content":"Hello, I cannot log in to my account since this morning","sender":{"id":99,"type":"contact"}}`
	for _, name := range []string{"chatwoot", "zendesk", "intercom", "hubspot-v1"} {
		s := schemes[name]
		for _, rotation := range []bool{false, true} {
			secrets, signer := []string{"s3cr3t"}, "s3cr3t"
			label := name + "/one-secret"
			if rotation {
				secrets, signer = []string{"new-secret", "s3cr3t"}, "s3cr3t"
				label = name + "/rotation"
			}
			b.Run(label, func(b *testing.B) {
				v := driver.NewVerifier(0, secrets...)
				req := signed(b, s, signer, received, body)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := v.Verify(req, s); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
