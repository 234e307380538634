package openapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadFileAndMiddleware(t *testing.T) {
	s := LoadFile(t, "testdata/acme-openapi.yaml")
	post := func(path, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	tests := []struct {
		name, path, body string
		wantErr          bool
	}{
		{"valid", "/api/conversations/42/messages", `{"body":"hello","private":false}`, false},
		{"missing required field", "/api/conversations/42/messages", `{"private":true}`, true},
		{"wrong path parameter type", "/api/conversations/abc/messages", `{"body":"hello"}`, true},
		{"undocumented endpoint", "/api/conversations/42/close", `{}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Validate(post(tc.path, tc.body), []byte(tc.body))
			if tc.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
		})
	}

	// The middleware passes the body on intact after checking it.
	var got string
	h := s.Middleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(strings.Builder)
		_, _ = io.Copy(b, r.Body)
		got = b.String()
		w.WriteHeader(http.StatusCreated)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post("/api/conversations/42/messages", `{"body":"hi"}`))
	require.Equal(t, http.StatusCreated, rec.Code)
	require.Equal(t, `{"body":"hi"}`, got)
}
