package driver

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// DefaultTolerance is how far a signed time may be from the receive time,
// in either direction, before a delivery is refused (ErrSignatureStale or
// ErrSignatureFuture). Every driver's Options.Tolerance defaults to it.
const DefaultTolerance = 5 * time.Minute

// Encoding is how a vendor writes a digest in its header.
type Encoding int

const (
	// Hex is hexadecimal, either case (Chatwoot, Intercom, Klaviyo,
	// HubSpot v1/v2).
	Hex Encoding = iota
	// Base64 is standard base64 (Zendesk, HubSpot v3).
	Base64
)

func (e Encoding) String() string {
	if e == Base64 {
		return "base64"
	}
	return "hex"
}

// TimeFormat is how a vendor writes the signed time.
type TimeFormat int

const (
	// UnixSeconds: "1735689600" (Chatwoot).
	UnixSeconds TimeFormat = iota
	// UnixMillis: "1735689600000" (HubSpot v3).
	UnixMillis
	// RFC3339: "2026-12-01T10:00:00Z" (Zendesk).
	RFC3339
	// HTTPDate: "Tue, 01 Dec 2026 10:00:00 GMT" (Klaviyo).
	HTTPDate
)

// Parse reads s in format f.
func (f TimeFormat) Parse(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	switch f {
	case UnixSeconds, UnixMillis:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, false
		}
		if f == UnixMillis {
			return time.UnixMilli(n), true
		}
		return time.Unix(n, 0), true
	case RFC3339:
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	case HTTPDate:
		t, err := http.ParseTime(s)
		return t, err == nil
	}
	return time.Time{}, false
}

// Format writes t in format f (for signers in fake servers and tests).
func (f TimeFormat) Format(t time.Time) string {
	switch f {
	case UnixMillis:
		return strconv.FormatInt(t.UnixMilli(), 10)
	case RFC3339:
		return t.UTC().Format(time.RFC3339)
	case HTTPDate:
		return t.UTC().Format(http.TimeFormat)
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// Scheme says how one vendor signs its webhook deliveries. The zero
// Message signs the raw body alone; Digest defaults to HMAC with Hash.
type Scheme struct {
	// Header carries the signature, e.g. "X-Chatwoot-Signature".
	Header string
	// Prefix is written before the digest, e.g. "sha256=" (optional on
	// verification: a value without it is accepted).
	Prefix string
	// Hash is the digest function (sha256.New, sha1.New).
	Hash func() hash.Hash
	// Encoding of the digest.
	Encoding Encoding
	// TimestampHeader carries the signed time; "" when the vendor signs
	// none (Intercom): such deliveries have no replay window, and the
	// driver's dedupe on signed content is the only replay guard.
	TimestampHeader string
	// TimeFormat of TimestampHeader.
	TimeFormat TimeFormat
	// Message returns the signed bytes, in order, given the request and
	// the timestamp header's raw value (default: the body alone).
	Message func(req *helpdesk.WebhookRequest, timestamp string) [][]byte
	// Digest computes the raw digest of msg under secret (default: HMAC
	// with Hash). HubSpot's v1 and v2 signatures are plain SHA-256 over
	// secret + message and set it.
	Digest func(secret string, msg [][]byte) []byte
}

func (s *Scheme) message(req *helpdesk.WebhookRequest, ts string) [][]byte {
	if s.Message != nil {
		return s.Message(req, ts)
	}
	return [][]byte{req.Body}
}

func (s *Scheme) digest(secret string, msg [][]byte) []byte {
	if s.Digest != nil {
		return s.Digest(secret, msg)
	}
	mac := hmac.New(s.Hash, []byte(secret))
	for _, p := range msg {
		mac.Write(p)
	}
	return mac.Sum(nil)
}

// Sign returns the header value (prefix included) that signs req with
// secret at timestamp ts (the raw header value, "" when the scheme signs
// no time). Fake servers and test signers use it.
func (s *Scheme) Sign(secret string, req *helpdesk.WebhookRequest, ts string) string {
	sum := s.digest(secret, s.message(req, ts))
	if s.Encoding == Base64 {
		return s.Prefix + base64.StdEncoding.EncodeToString(sum)
	}
	return s.Prefix + hex.EncodeToString(sum)
}

// SignRequest sets the signature (and timestamp) headers of r for a body
// signed with secret at time at. It is the one signer every vendor's test
// signer builds on.
func (s *Scheme) SignRequest(r *http.Request, body []byte, secret string, at time.Time) {
	req := &helpdesk.WebhookRequest{Method: r.Method, URL: r.URL, Header: r.Header, Body: body}
	ts := ""
	if s.TimestampHeader != "" {
		ts = s.TimeFormat.Format(at)
		r.Header.Set(s.TimestampHeader, ts)
	}
	r.Header.Set(s.Header, s.Sign(secret, req, ts))
}

// Verifier authenticates webhook deliveries for a driver: several secrets
// (so one can be rotated without downtime), one tolerance, one clock (the
// request's ReceivedAt) and one order:
//
//  1. a secret is configured, the signature header (and, for schemes that
//     sign a time, the timestamp header) is present: else
//     helpdesk.ErrSignatureMissing;
//  2. the signature decodes and matches one secret, compared in constant
//     time: else helpdesk.ErrSignatureMismatch;
//  3. only then the signed time is checked against ReceivedAt:
//     helpdesk.ErrSignatureStale or helpdesk.ErrSignatureFuture beyond the
//     tolerance.
//
// The time is checked after the signature so that nothing about a forged
// delivery's timing is answered. Errors never contain a secret, a
// signature or the body. A Verifier is safe for concurrent use.
type Verifier struct {
	secrets   []string
	tolerance time.Duration
	now       func() time.Time
	// macs holds keyed HMAC states, len(pooledHashes) per secret: see
	// macPool.
	macs []macPool
}

// pooledHashes are the hash functions whose keyed HMAC states a Verifier
// keeps between deliveries, told apart by code pointer. Only named
// functions are listed: a closure's code pointer is shared by all its
// instances, whatever they capture, so a Scheme.Hash not listed here gets
// a new HMAC per delivery, as before.
var pooledHashes = [...]uintptr{
	reflect.ValueOf(sha256.New).Pointer(),
	reflect.ValueOf(sha1.New).Pointer(),
	reflect.ValueOf(sha512.New).Pointer(),
}

// pooledHash returns f's index in pooledHashes, or -1.
func pooledHash(f func() hash.Hash) int {
	if f == nil {
		return -1
	}
	pc := reflect.ValueOf(f).Pointer()
	for i, p := range pooledHashes {
		if p == pc {
			return i
		}
	}
	return -1
}

// maxIdleMACs bounds the keyed states a macPool keeps idle: verifying
// never blocks, so only a few deliveries per core hold one at once.
const maxIdleMACs = 32

// macPool keeps keyed HMAC states for one secret and one hash function, so
// that a delivery does not pay hmac.New's allocations and key schedule
// (two hash states, the padded key, and hashing it) under every secret: a
// state is Reset between uses, which restores the keyed start. It is a
// free list the Verifier owns, not a sync.Pool, which the runtime keeps
// reachable for up to two collections after its last use: the keyed
// states, which are as secret as the key, become unreachable with the
// Verifier.
type macPool struct {
	mu   sync.Mutex
	idle []*keyedMAC
}

type keyedMAC struct {
	h   hash.Hash
	sum []byte
}

func (p *macPool) get(newHash func() hash.Hash, secret string) *keyedMAC {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		m := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return m
	}
	p.mu.Unlock()
	h := hmac.New(newHash, []byte(secret))
	return &keyedMAC{h: h, sum: make([]byte, 0, h.Size())}
}

// put returns m, Reset, for the next delivery.
func (p *macPool) put(m *keyedMAC) {
	m.h.Reset()
	p.mu.Lock()
	if len(p.idle) < maxIdleMACs {
		p.idle = append(p.idle, m)
	}
	p.mu.Unlock()
}

// NewVerifier returns a Verifier for secrets (empty strings are dropped)
// and tolerance (zero means DefaultTolerance; negative is refused by the
// drivers' option validation and treated as zero here).
func NewVerifier(tolerance time.Duration, secrets ...string) *Verifier {
	v := &Verifier{tolerance: tolerance, now: time.Now}
	if v.tolerance <= 0 {
		v.tolerance = DefaultTolerance
	}
	for _, s := range secrets {
		if strings.TrimSpace(s) != "" {
			v.secrets = append(v.secrets, s)
		}
	}
	v.macs = make([]macPool, len(v.secrets)*len(pooledHashes))
	return v
}

// Tolerance returns the verifier's tolerance.
func (v *Verifier) Tolerance() time.Duration { return v.tolerance }

// HasSecrets reports whether any secret is configured.
func (v *Verifier) HasSecrets() bool { return len(v.secrets) > 0 }

// Verify authenticates req under scheme s and returns the signed time
// (zero when s signs none).
func (v *Verifier) Verify(req *helpdesk.WebhookRequest, s *Scheme) (time.Time, error) {
	if len(v.secrets) == 0 {
		return time.Time{}, InvalidSignature(helpdesk.ErrSignatureMissing, "no webhook secret is configured")
	}
	sig := strings.TrimSpace(req.Header.Get(s.Header))
	if sig == "" {
		return time.Time{}, InvalidSignature(helpdesk.ErrSignatureMissing, "no %s header", s.Header)
	}
	ts := ""
	if s.TimestampHeader != "" {
		ts = strings.TrimSpace(req.Header.Get(s.TimestampHeader))
		if ts == "" {
			return time.Time{}, InvalidSignature(helpdesk.ErrSignatureMissing, "no %s header", s.TimestampHeader)
		}
	}
	if s.Prefix != "" && len(sig) >= len(s.Prefix) && strings.EqualFold(sig[:len(s.Prefix)], s.Prefix) {
		sig = sig[len(s.Prefix):]
	}
	var buf [maxStackDigest]byte
	got, err := decodeSignature(buf[:], sig, s.Encoding)
	if err != nil || len(got) == 0 {
		return time.Time{}, InvalidSignature(helpdesk.ErrSignatureMismatch, "%s is not valid %s", s.Header, s.Encoding)
	}
	ok := v.match(req, ts, s, got)
	if ok != 1 {
		return time.Time{}, InvalidSignature(helpdesk.ErrSignatureMismatch, "%s matches no configured secret", s.Header)
	}
	if s.TimestampHeader == "" {
		return time.Time{}, nil
	}
	at, okTime := s.TimeFormat.Parse(ts)
	if !okTime {
		return time.Time{}, InvalidSignature(helpdesk.ErrSignatureMismatch, "%s is not a valid time", s.TimestampHeader)
	}
	return at, v.CheckTime(req, at)
}

// match returns 1 if got is the digest of req's signed message under one
// of the secrets, 0 if not. Every secret's digest is computed and compared
// in constant time, whichever matches.
func (v *Verifier) match(req *helpdesk.WebhookRequest, ts string, s *Scheme, got []byte) int {
	k := -1
	if s.Digest == nil {
		k = pooledHash(s.Hash)
	}
	if k < 0 || len(v.macs) != len(v.secrets)*len(pooledHashes) {
		msg := s.message(req, ts)
		ok := 0
		for _, secret := range v.secrets {
			ok |= subtle.ConstantTimeCompare(s.digest(secret, msg), got)
		}
		return ok
	}
	var body [1][]byte
	msg := body[:]
	if s.Message != nil {
		msg = s.Message(req, ts)
	} else {
		body[0] = req.Body
	}
	ok := 0
	for i, secret := range v.secrets {
		p := &v.macs[i*len(pooledHashes)+k]
		m := p.get(s.Hash, secret)
		for _, part := range msg {
			m.h.Write(part)
		}
		m.sum = m.h.Sum(m.sum[:0])
		ok |= subtle.ConstantTimeCompare(m.sum, got)
		p.put(m)
	}
	return ok
}

// maxStackDigest is the largest digest decoded without an allocation:
// SHA-512's 64 bytes, with room for a longer base64 value to be refused.
const maxStackDigest = 96

// decodeSignature decodes sig as e into buf when it fits (else into a new
// slice), with the errors of hex.DecodeString and base64's DecodeString:
// hex of either case, standard base64 with padding.
func decodeSignature(buf []byte, sig string, e Encoding) ([]byte, error) {
	var src [2 * maxStackDigest]byte
	if e == Base64 {
		if len(sig) > len(src) || base64.StdEncoding.DecodedLen(len(sig)) > len(buf) {
			return base64.StdEncoding.DecodeString(sig)
		}
		n, err := base64.StdEncoding.Decode(buf, src[:copy(src[:], sig)])
		return buf[:n], err
	}
	// hex.Decode reads either case: lowering sig first, as an earlier
	// version did, maps no other byte or rune to a hex digit.
	if len(sig) > len(src) || len(sig)/2 > len(buf) {
		return hex.DecodeString(sig)
	}
	n, err := hex.Decode(buf, src[:copy(src[:], sig)])
	return buf[:n], err
}

// CheckTime checks a signed time against the request's receive time (for
// vendors that sign a time inside the body). ReceivedAt zero means now.
func (v *Verifier) CheckTime(req *helpdesk.WebhookRequest, at time.Time) error {
	now := req.ReceivedAt
	if now.IsZero() {
		now = v.now()
	}
	d := now.Sub(at)
	if d > v.tolerance {
		return InvalidSignature(helpdesk.ErrSignatureStale, "signed %s before it was received, beyond the %s tolerance", d.Round(time.Second), v.tolerance)
	}
	if -d > v.tolerance {
		return InvalidSignature(helpdesk.ErrSignatureFuture, "signed %s after it was received, beyond the %s tolerance", (-d).Round(time.Second), v.tolerance)
	}
	return nil
}

// VerifyToken authenticates a delivery that carries a shared secret
// instead of a signature (Sunshine Conversations' X-API-Key, a token in
// the webhook URL): got must equal one configured secret, compared in
// constant time. what names where it was looked for, for the error.
func (v *Verifier) VerifyToken(got, what string) error {
	if len(v.secrets) == 0 {
		return InvalidSignature(helpdesk.ErrSignatureMissing, "no webhook secret is configured")
	}
	if got == "" {
		return InvalidSignature(helpdesk.ErrSignatureMissing, "no %s", what)
	}
	ok := 0
	for _, s := range v.secrets {
		ok |= subtle.ConstantTimeCompare([]byte(got), []byte(s))
	}
	if ok != 1 {
		return InvalidSignature(helpdesk.ErrSignatureMismatch, "%s matches no configured secret", what)
	}
	return nil
}
