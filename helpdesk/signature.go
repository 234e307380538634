package helpdesk

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"time"
)

// SignatureEncoding is how a vendor writes an HMAC digest in its header.
type SignatureEncoding int

const (
	// Hex is lowercase hexadecimal (Chatwoot, Intercom, Klaviyo).
	Hex SignatureEncoding = iota
	// Base64 is standard base64 (Zendesk, HubSpot v3).
	Base64
)

// SignHMAC returns the encoded HMAC of the concatenated parts under secret.
// Fakes and test signers use it to build deliveries.
func SignHMAC(h func() hash.Hash, enc SignatureEncoding, secret string, parts ...[]byte) string {
	mac := hmac.New(h, []byte(secret))
	for _, p := range parts {
		mac.Write(p)
	}
	sum := mac.Sum(nil)
	if enc == Base64 {
		return base64.StdEncoding.EncodeToString(sum)
	}
	return hex.EncodeToString(sum)
}

// VerifyHMAC checks signature against the HMAC of the concatenated parts
// under each of secrets (several secrets allow rotation), comparing in
// constant time. It returns an error matching ErrInvalidSignature when the
// signature is empty, undecodable or matches no secret.
func VerifyHMAC(h func() hash.Hash, enc SignatureEncoding, secrets []string, signature string, parts ...[]byte) error {
	signature = strings.TrimSpace(signature)
	if signature == "" {
		return InvalidSignature("missing signature")
	}
	var got []byte
	var err error
	if enc == Base64 {
		got, err = base64.StdEncoding.DecodeString(signature)
	} else {
		got, err = hex.DecodeString(strings.ToLower(signature))
	}
	if err != nil {
		return InvalidSignature("signature is not valid %s", map[SignatureEncoding]string{Hex: "hex", Base64: "base64"}[enc])
	}
	if len(secrets) == 0 {
		return InvalidSignature("no signing secret configured")
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		mac := hmac.New(h, []byte(s))
		for _, p := range parts {
			mac.Write(p)
		}
		if hmac.Equal(mac.Sum(nil), got) {
			return nil
		}
	}
	return InvalidSignature("signature does not match")
}

// EqualSecret reports whether got equals one of secrets, in constant time,
// for vendors that send a shared secret instead of a signature (Sunshine
// Conversations' X-API-Key).
func EqualSecret(got string, secrets []string) bool {
	ok := 0
	for _, s := range secrets {
		if s == "" {
			continue
		}
		ok |= subtle.ConstantTimeCompare([]byte(got), []byte(s))
	}
	return ok == 1 && got != ""
}

// DefaultTolerance is how old (or how far in the future) a signed timestamp
// may be before a delivery is refused as a replay.
const DefaultTolerance = 5 * time.Minute

// CheckTimestamp returns an error matching ErrInvalidSignature when ts is
// further than tolerance from now, in either direction.
func CheckTimestamp(ts, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	d := now.Sub(ts)
	if d > tolerance {
		return InvalidSignature("timestamp is %s old, beyond the %s tolerance", d.Round(time.Second), tolerance)
	}
	if -d > tolerance {
		return InvalidSignature("timestamp is %s in the future, beyond the %s tolerance", (-d).Round(time.Second), tolerance)
	}
	return nil
}
