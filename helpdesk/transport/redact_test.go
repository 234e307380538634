package transport_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// TestRedactorShapes lists the shapes in which a secret the redactor was
// not given reaches an error or a log line: each must lose its secret,
// keep the text around it, and leave ordinary text alone.
func TestRedactorShapes(t *testing.T) {
	const s = "Zq9xSecretValue77"
	cases := []struct {
		name, in string
		keep     string // text that must survive
	}{
		{"json token", `{"access_token":"` + s + `","id":1}`, `"id":1`},
		{"json password", `{"password":"` + s + `"}`, `"password"`},
		{"json api key", `{"api_key":"` + s + `"}`, `"api_key"`},
		{"json secret", `{"client_secret":"` + s + `"}`, `"client_secret"`},
		{"json signature", `{"signature":"` + s + `"}`, `"signature"`},
		{"json credential", `{"credentials":"` + s + `"}`, `"credentials"`},
		{"json authorization", `{"Authorization":"` + s + `"}`, `"Authorization"`},
		{"bearer", "Authorization: Bearer " + s, "Authorization"},
		{"basic", "Authorization: Basic " + s, "Authorization"},
		{"vendor api-key scheme", "Authorization: Klaviyo-API-Key " + s, "Authorization"},
		{"query token", "GET /x?token=" + s + "&page=2", "page=2"},
		{"query access_token", "GET /x?access_token=" + s, "GET /x"},
		{"query api_key", "GET /x?a=1&api_key=" + s, "a=1"},
		{"query apikey", "GET /x?apikey=" + s, "GET /x"},
		{"query key", "GET /x?key=" + s, "GET /x"},
		{"query secret", "GET /x?client_secret=" + s, "GET /x"},
		{"query password", "GET /x?password=" + s, "GET /x"},
		{"query signature", "GET /x?signature=" + s, "GET /x"},
		{"query sig", "GET /x?sig=" + s + "&se=2030", "se=2030"},
		{"query auth", "GET /x?auth=" + s, "GET /x"},
		{"query code", "GET /callback?code=" + s + "&state=ok", "state=ok"},
		{"query jwt", "GET /x?jwt=" + s, "GET /x"},
		{"query session", "GET /x?session_id=" + s, "GET /x"},
		{"path parameter", "GET /x;token=" + s + "?a=1", "a=1"},
		{"fragment", "https://app.example.com/cb#access_token=" + s + "&expires_in=3600", "expires_in=3600"},
		{"fragment id_token", "https://app.example.com/cb#id_token=" + s, "app.example.com"},
		{"userinfo", "Post https://user:" + s + "@acme.example.com/api: refused", "acme.example.com/api"},
		{"userinfo token only", "dial https://" + s + "@acme.example.com/api", "acme.example.com/api"},
		{"header api_access_token", "api_access_token: " + s, "api_access_token"},
		{"header X-Api-Key", "X-Api-Key: " + s, "X-Api-Key"},
		{"header X-Auth-Token", "X-Auth-Token: " + s, "X-Auth-Token"},
		{"header cookie", "Cookie: session=" + s, "Cookie"},
		{"header in a dump", "header map[Content-Type:[application/json] X-Api-Key:[" + s + "]]", "Content-Type"},
		{"form body", "grant_type=refresh&refresh_token=" + s, "grant_type=refresh"},
		{"key=value text", "invalid config token=" + s + " for acme", "for acme"},
	}
	r := transport.NewRedactor()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := r.Redact(tc.in)
			require.NotContains(t, out, s, "in: %s\nout: %s", tc.in, out)
			require.Contains(t, out, transport.Redacted)
			require.Contains(t, out, tc.keep, "in: %s\nout: %s", tc.in, out)
		})
	}

	for _, plain := range []string{
		"the api-key is missing",
		"ticket 42 closed by author Jane",
		"GET /api/v2/tickets/42.json?include=users&page=2",
		"signature mismatch",
		"postcode 1234AB",
	} {
		require.Equal(t, plain, r.Redact(plain))
	}
}

func TestRedactURLShapes(t *testing.T) {
	const s = "Zq9xSecretValue77"
	r := transport.NewRedactor()
	for _, raw := range []string{
		"https://acme.example.com/x?sig=" + s + "&se=2030",
		"https://acme.example.com/x?code=" + s,
		"https://acme.example.com/x?jwt=" + s,
		"https://acme.example.com/x?auth=" + s,
		"https://acme.example.com/x#access_token=" + s,
		"https://bot:" + s + "@acme.example.com/x",
		"https://acme.example.com/x;token=" + s,
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		out := r.RedactURL(u)
		require.NotContains(t, out, s, raw)
		require.Contains(t, out, "acme.example.com/x", raw)
	}
}

// A vendor (or a proxy in front of it) echoing a credential in its
// request-id header must not put it into APIError.RequestID.
func TestRequestIDRedacted(t *testing.T) {
	for _, id := range []string{secretToken, "req-1;token=other-secret-value"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", id)
			w.WriteHeader(http.StatusBadRequest)
		}))
		c := newClient(t, srv.URL)
		_, err := c.Do(context.Background(), &transport.Request{Path: "/x"}, nil)
		srv.Close()
		var ae *helpdesk.APIError
		require.ErrorAs(t, err, &ae)
		for _, s := range []string{ae.RequestID, err.Error()} {
			require.NotContains(t, s, secretToken)
			require.NotContains(t, s, "other-secret-value")
		}
	}
}

func TestSafeURL(t *testing.T) {
	const s = "Zq9xSecretValue77"
	for in, want := range map[string]string{
		"":                                   "",
		"https://acme.zendesk.com":           "https://acme.zendesk.com",
		"https://bot:" + s + "@chat.example": "https://[REDACTED]@chat.example",
		"https://chat.example/?token=" + s:   "https://chat.example/?token=[REDACTED]",
		"://bad url token=" + s:              "://bad url token=" + transport.Redacted,
	} {
		require.Equal(t, want, transport.SafeURL(in), in)
	}
}
