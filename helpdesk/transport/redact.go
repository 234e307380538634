package transport

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Redacted replaces every secret in errors and log lines.
const Redacted = "[REDACTED]"

// Redactor removes secrets from text: the exact secret strings it was
// given (credentials), values of secret-looking JSON keys and query
// parameters, and bearer tokens. It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// NewRedactor returns a Redactor that also removes the given secrets.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		r.Add(s)
	}
	return r
}

// Add registers one more secret. Strings shorter than 4 bytes are ignored:
// replacing them would shred ordinary text without protecting anything.
func (r *Redactor) Add(s string) {
	if len(s) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.secrets {
		if have == s {
			return
		}
	}
	r.secrets = append(r.secrets, s)
	// Longest first so a secret containing another is removed whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

var (
	secretKey  = `(?i)"([a-z_\-]*(?:token|password|passwd|secret|api[_-]?key|apikey|authorization|signature|credential)[a-z_\-]*)"\s*:\s*"(?:[^"\\]|\\.)*"`
	secretJSON = regexp.MustCompile(secretKey)
	// Authorization schemes: Bearer, Basic, and any "<name>-api-key"
	// scheme a vendor defines.
	bearerRe    = regexp.MustCompile(`(?i)\b(bearer|basic|[a-z0-9]+(?:-[a-z0-9]+)*-api-key)\s+[A-Za-z0-9._~+/\-]+=*`)
	secretQuery = regexp.MustCompile(`(?i)([?&](?:[a-z_\-]*(?:token|key|secret|password|signature)[a-z_\-]*)=)[^&\s"']*`)
)

// Redact returns s with secrets replaced by Redacted.
func (r *Redactor) Redact(s string) string {
	if s == "" {
		return s
	}
	if r != nil {
		r.mu.RLock()
		for _, sec := range r.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, Redacted)
			}
		}
		r.mu.RUnlock()
	}
	s = secretJSON.ReplaceAllString(s, `"$1":"`+Redacted+`"`)
	s = bearerRe.ReplaceAllString(s, "$1 "+Redacted)
	s = secretQuery.ReplaceAllString(s, "${1}"+Redacted)
	return s
}

// RedactURL returns u as a string with secret-looking query values and
// user info removed.
func (r *Redactor) RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			if secretQueryKey(k) {
				q[k] = []string{Redacted}
			}
		}
		c.RawQuery = q.Encode()
	}
	return r.Redact(c.String())
}

func secretQueryKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"token", "key", "secret", "password", "signature"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}
