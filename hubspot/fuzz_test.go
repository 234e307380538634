package hubspot_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

func fixtures(f *testing.F) {
	paths, err := filepath.Glob("testdata/*.json")
	require.NoError(f, err)
	require.NotEmpty(f, paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"objectId":"7788990011","subscriptionType":"conversation.newMessage","messageId":7}]`))
}

// FuzzParseWebhook feeds signed deliveries to the driver (the newMessage
// GETs go to the fake): any body gives events or an error, never a
// panic, and errors are typed.
func FuzzParseWebhook(f *testing.F) {
	fixtures(f)
	srv := hubspottest.NewServer(f)
	c, err := hubspot.New(srv.Config(clientSecrets...), &hubspot.Options{HTTPClient: srv.Client(), NoBudget: true, MaxRetries: -1})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := hubspottest.SignedRequest(context.Background(), body, clientSecrets[0], time.Time{})
		if len(body) > 0 && body[0] == '{' {
			r = drivertest.SignedRequest(context.Background(), hubspottest.TicketWebhookPath, body, nil)
			hubspottest.SignV2(r, body, clientSecrets[0])
		}
		events, err := drivertest.Deliver(context.Background(), c, r)
		if err != nil {
			var api *helpdesk.APIError
			if !errors.Is(err, helpdesk.ErrInvalidPayload) && !errors.As(err, &api) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, e := range events {
			if e.DeliveryID == "" || e.Conversation.ID == "" {
				t.Fatalf("event without delivery or conversation id: %+v", e)
			}
		}
	})
}

var mfaErrors = map[string]bool{
	"empty MFA secret": true,
	"is an otpauth URL but not a valid otpauth://totp/...?secret=... URL":                                        true,
	"is not a base32 key (letters A-Z and digits 2-7, as shown by the authenticator) nor an otpauth://totp/ URL": true,
	"is not a complete base32 key (too short or cut off)":                                                        true,
	"is not a usable TOTP key":                true,
	"the otpauth URL has no secret parameter": true,
}

// FuzzNormalizeMFASecret: any input is normalised to a usable key or
// refused, never a panic, and the error never quotes the input.
func FuzzNormalizeMFASecret(f *testing.F) {
	for _, s := range []string{mfaKey, "jbsw y3dp ehpk 3pxp", "otpauth://totp/HubSpot:x?secret=" + mfaKey + "&issuer=HubSpot", "", "====", "otpauth://totp/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := hubspot.NormalizeMFASecret(s)
		if err != nil {
			// The errors are fixed texts: none depends on (or quotes) the
			// secret.
			if !mfaErrors[err.Error()] {
				t.Fatalf("unexpected error text (does it quote the input?): %v", err)
			}
			return
		}
		cfg := validConfig()
		cfg.MFASecret = key
		if _, err := cfg.TOTP(time.Unix(1767225600, 0)); err != nil {
			t.Fatalf("normalised key %q gives no code: %v", key, err)
		}
	})
}
