package transport

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
)

// Auth adds credentials to a request. Secrets returns the secret strings so
// the transport can redact them from every error and log line.
type Auth interface {
	Apply(ctx context.Context, r *http.Request) error
	Secrets() []string
}

type basicAuth struct{ user, pass string }

// Basic authenticates with HTTP Basic (Zendesk "email/token:api_token",
// Sunshine "key_id:secret").
func Basic(user, pass string) Auth { return basicAuth{user, pass} }

func (a basicAuth) Apply(_ context.Context, r *http.Request) error {
	r.SetBasicAuth(a.user, a.pass)
	return nil
}

func (a basicAuth) Secrets() []string {
	return []string{a.pass, base64.StdEncoding.EncodeToString([]byte(a.user + ":" + a.pass))}
}

type headerAuth struct{ name, prefix, value string }

// Bearer authenticates with "Authorization: Bearer <token>".
func Bearer(token string) Auth { return headerAuth{"Authorization", "Bearer ", token} }

// Header authenticates with a custom header, e.g. Chatwoot's
// "api_access_token: <token>" or Klaviyo's
// "Authorization: Klaviyo-API-Key <key>" (prefix "Klaviyo-API-Key ").
func Header(name, prefix, value string) Auth { return headerAuth{name, prefix, value} }

func (a headerAuth) Apply(_ context.Context, r *http.Request) error {
	r.Header.Set(a.name, a.prefix+a.value)
	return nil
}

func (a headerAuth) Secrets() []string { return []string{a.value} }

// TokenSource returns a current access token, refreshing it when needed
// (OAuth client credentials). It must be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenSourceFunc adapts a function to TokenSource.
type TokenSourceFunc func(ctx context.Context) (string, error)

// Token implements TokenSource.
func (f TokenSourceFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

type bearerSource struct {
	src TokenSource
	red *Redactor
}

// BearerFrom authenticates with a bearer token obtained from src before each
// request. Tokens it hands out are redacted like static secrets.
func BearerFrom(src TokenSource) Auth { return &bearerSource{src: src} }

func (a *bearerSource) Apply(ctx context.Context, r *http.Request) error {
	tok, err := a.src.Token(ctx)
	if err != nil {
		return err
	}
	if tok == "" {
		return errors.New("transport: token source returned an empty token")
	}
	if a.red != nil {
		a.red.Add(tok)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

func (a *bearerSource) Secrets() []string { return nil }

type noAuth struct{}

// NoAuth sends no credentials.
func NoAuth() Auth { return noAuth{} }

func (noAuth) Apply(context.Context, *http.Request) error { return nil }
func (noAuth) Secrets() []string                          { return nil }
