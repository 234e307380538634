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
	bearerRe = regexp.MustCompile(`(?i)\b(bearer|basic|[a-z0-9]+(?:-[a-z0-9]+)*-api-key)\s+[A-Za-z0-9._~+/\-]+=*`)
	// Parameters in a query, a fragment, a path (";token=") or a form
	// body, and "name=value" in text: the value is redacted when the
	// name looks secret (secretParam).
	paramRe = regexp.MustCompile(`(^|[?&;#\s])([A-Za-z0-9_.\-]+)=([^&;#?\s"'\[\]<>]*)`)
	// Header lines and dumps ("X-Api-Key: v", "X-Api-Key:[v]"), whose
	// name looks secret.
	headerRe = regexp.MustCompile(`(?i)(^|[\s,;{(\[])((?:x-)?[a-z0-9_\-]*(?:token|secret|password|passwd|api[_-]?key|apikey|signature|cookie|credential|session)[a-z0-9_\-]*)\s*:\s*\[?([^\s,;"'\[\]{}]+)`)
	// User info in a URL: "https://user:pass@host" or "https://token@host".
	userinfoRe = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#]+@`)
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
	s = userinfoRe.ReplaceAllString(s, "${1}"+Redacted+"@")
	s = headerRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := headerRe.FindStringSubmatchIndex(m)
		if m[sub[6]:sub[7]] == Redacted[1:len(Redacted)-1] {
			return m
		}
		return m[:sub[6]] + Redacted + m[sub[7]:]
	})
	s = paramRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := paramRe.FindStringSubmatch(m)
		if sub[3] == "" || !secretParam(sub[2]) {
			return m
		}
		return sub[1] + sub[2] + "=" + Redacted
	})
	return s
}

// RedactURL returns u as a string with user info and secret-looking
// query, path-parameter and fragment values removed.
func (r *Redactor) RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		c.User = url.User(Redacted)
	}
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			if secretParam(k) {
				q[k] = []string{Redacted}
			}
		}
		c.RawQuery = q.Encode()
	}
	return r.Redact(c.String())
}

// secretParam reports whether a parameter or header name looks like it
// carries a credential: it contains token, key, secret, password,
// signature, credential or session, or is one of the short names
// credentials travel under (sig, auth, code, jwt, pass, pwd).
func secretParam(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"token", "key", "secret", "password", "passwd", "signature", "credential", "session", "jwt"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	// Short names, alone or as the last word ("x-amz-sig", "oauth_code").
	if i := strings.LastIndexAny(k, "_-."); i >= 0 {
		k = k[i+1:]
	}
	switch k {
	case "sig", "auth", "code", "pass", "pwd", "hmac":
		return true
	}
	return false
}

// SafeURL returns the URL in s for printing: user info and secret-looking
// parameter values replaced by Redacted (a base URL pasted as
// https://user:token@host must not print its token). A string that does
// not parse as a URL is redacted as text.
func SafeURL(s string) string {
	if s == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return (*Redactor)(nil).Redact(s)
	}
	return (*Redactor)(nil).RedactURL(u)
}
