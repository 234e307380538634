package zendesk

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// clientCredentials obtains OAuth access tokens with the client-credentials
// grant (POST /oauth/tokens on the account) and reuses each until a minute
// before it expires. Tokens without expires_in are kept until the process
// restarts.
type clientCredentials struct {
	tc     *transport.Client
	cfg    Config
	now    func() time.Time
	mu     sync.Mutex
	token  string
	expiry time.Time
}

func newClientCredentials(cfg Config, o Options) (*clientCredentials, error) {
	to := transportOptions(o, cfg.supportBaseURL())
	to.Secrets = []string{cfg.OAuthClientSecret}
	tc, err := transport.New(to)
	if err != nil {
		return nil, err
	}
	return &clientCredentials{tc: tc, cfg: cfg, now: time.Now}, nil
}

// Token implements transport.TokenSource.
func (s *clientCredentials) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && (s.expiry.IsZero() || s.now().Before(s.expiry)) {
		return s.token, nil
	}
	var res struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	_, err := s.tc.Do(ctx, &transport.Request{Method: http.MethodPost, Path: "/oauth/tokens", Body: map[string]string{
		"grant_type":    "client_credentials",
		"client_id":     s.cfg.OAuthClientID,
		"client_secret": s.cfg.OAuthClientSecret,
		"scope":         s.cfg.OAuthScope,
	}}, &res)
	if err != nil {
		return "", err
	}
	if res.AccessToken == "" {
		return "", errors.New("zendesk: /oauth/tokens returned no access token")
	}
	s.tc.Redactor().Add(res.AccessToken)
	s.token = res.AccessToken
	s.expiry = time.Time{}
	if res.ExpiresIn > 0 {
		d := time.Duration(res.ExpiresIn) * time.Second
		if d > 2*time.Minute {
			d -= time.Minute
		}
		s.expiry = s.now().Add(d)
	}
	return s.token, nil
}
