package secretscan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/zendesk"
)

// secret returns a distinct secret for one field, shaped like the
// vendor's (prefix) so that format checks in Validate pass.
func secret(prefix, field string) string {
	return prefix + "S3CR3T" + strings.ToUpper(strings.NewReplacer(".", "", "_", "").Replace(field)) + "x9q7"
}

// echoServer answers every request 401 with a body that echoes the
// request line and headers (a worst-case vendor or proxy), and records
// them.
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.String())
		for k, vs := range r.Header {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(vs, ","))
		}
		w.Header().Set("X-Request-Id", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": "unauthorized", "message": b.String(), "request": string(body)})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// logBuf collects a driver's log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// driverCase is one driver configured with a secret in every secret field.
type driverCase struct {
	name    string
	secrets []string
	// config is the Config value; pointer its address; urlConfig has a
	// secret in its base URL's user info (https://bot:token@host).
	config, pointer, urlConfig any
	// invalid are configs with a secret pasted where it does not belong
	// (e-mail, ids, user info in a URL): Validate's and New's errors.
	invalid []func() error
	// client builds the Client against base with logs going to log.
	client func(base string, log *slog.Logger) (any, helpdesk.Helpdesk, error)
	conv   helpdesk.Conversation
	target helpdesk.Target
}

func cases(t *testing.T) []driverCase {
	zd := func(base string) zendesk.Config {
		return zendesk.Config{
			Subdomain: "acme", Email: "bot@acme.example", BotUserID: 1, N2GroupID: 2, BaseURL: base,
			APIToken: secret("", "zd.APIToken"), OAuthClientID: "client-1", OAuthClientSecret: secret("", "zd.OAuthClientSecret"),
			WebhookSecrets: []string{secret("", "zd.WebhookSecrets0"), secret("", "zd.WebhookSecrets1")},
			SunshineAppID:  "app1", SunshineKeyID: "app_key1", SunshineSecret: secret("", "zd.SunshineSecret"),
			SunshineWebhookSecrets: []string{secret("", "zd.SunshineWebhookSecrets")},
		}
	}
	// zd holds every secret for the print paths; Zendesk takes one
	// credential at a time, so clients get one of these.
	zdToken := func(base string) zendesk.Config {
		c := zd(base)
		c.OAuthClientID, c.OAuthClientSecret = "", ""
		return c
	}
	zdOAuth := func(base string) zendesk.Config {
		c := zdToken(base)
		c.APIToken, c.Email, c.OAuthToken = "", "", secret("", "zd.OAuthToken")
		return c
	}
	zdClientCreds := func(base string) zendesk.Config {
		c := zd(base)
		c.APIToken, c.Email = "", ""
		return c
	}
	cc := func(base string) cloudchat.Config {
		return cloudchat.Config{
			BaseURL: base, AccountID: 1, BotID: 2, N2TeamID: 3,
			APIToken: secret("", "cc.APIToken"), UserToken: secret("", "cc.UserToken"),
			WebhookSecrets: []string{secret("", "cc.WebhookSecrets0"), secret("", "cc.WebhookSecrets1")},
			UnsignedToken:  secret("", "cc.UnsignedToken"), ServerVersion: "4.15.1",
		}
	}
	ic := func(base string) intercom.Config {
		return intercom.Config{
			BaseURL: base, BotAdminID: "1", N2TeamID: "2", AppID: "app1",
			AccessToken:   secret("", "ic.AccessToken"),
			ClientSecrets: []string{secret("", "ic.ClientSecrets0"), secret("", "ic.ClientSecrets1")},
			ActionTokens:  []string{secret("", "ic.ActionTokens")},
		}
	}
	hs := func(base string) hubspot.Config {
		return hubspot.Config{
			BaseURL: base, BotUserID: "1", Handover: helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "2"},
			AccessToken:   secret("pat-", "hs.AccessToken"),
			ClientSecrets: []string{secret("", "hs.ClientSecrets0"), secret("", "hs.ClientSecrets1")},
			MFASecret:     "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
		}
	}
	kl := func(base string) klaviyo.Config {
		return klaviyo.Config{
			BaseURL: base, APIKey: secret("pk_", "kl.APIKey"),
			WebhookSecrets: []string{secret("", "kl.WebhookSecrets0"), secret("", "kl.WebhookSecrets1")},
		}
	}
	withUserinfo := func(base, s string) string {
		u, _ := url.Parse(base)
		u.User = url.UserPassword("bot", s)
		return u.String()
	}
	all := func(secrets ...[]string) []string {
		var out []string
		for _, list := range secrets {
			for _, s := range list {
				if s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	z, zo, zc, c, i, h, k := zd(""), zdOAuth(""), zdClientCreds(""), cc(""), ic(""), hs(""), kl("")
	return []driverCase{
		{
			name: "zendesk", config: z, pointer: &z, urlConfig: zd(withUserinfo("https://acme.zendesk.com", z.APIToken)),
			secrets: all([]string{z.APIToken, z.OAuthClientSecret, z.SunshineSecret, zo.OAuthToken}, z.WebhookSecrets, z.SunshineWebhookSecrets),
			invalid: []func() error{
				func() error { c := zdToken("https://acme.zendesk.com"); c.Email = c.APIToken; return c.Validate() },
				func() error { return zd("https://acme.zendesk.com").Validate() },
				func() error { c := zdToken(withUserinfo("https://acme.zendesk.com", z.APIToken)); return c.Validate() },
				func() error {
					_, err := zendesk.New(zdToken(withUserinfo("https://acme.zendesk.com", z.APIToken)), nil)
					return err
				},
			},
			client: func(base string, log *slog.Logger) (any, helpdesk.Helpdesk, error) {
				c, err := zendesk.New(zdToken(base), &zendesk.Options{Logger: log, MaxRetries: -1})
				if err != nil {
					return nil, nil, err
				}
				return c, c, nil
			},
			conv:   helpdesk.Conversation{Vendor: zendesk.Vendor, Account: "acme", ID: "123", Channel: helpdesk.ChannelEmail},
			target: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "2"},
		},
		{
			name: "zendesk-oauth", config: zo, pointer: &zo,
			secrets: all([]string{zo.OAuthToken, zo.OAuthClientSecret, zo.SunshineSecret}, zo.WebhookSecrets),
			client: func(base string, log *slog.Logger) (any, helpdesk.Helpdesk, error) {
				c, err := zendesk.New(zdOAuth(base), &zendesk.Options{Logger: log, MaxRetries: -1})
				if err != nil {
					return nil, nil, err
				}
				return c, c, nil
			},
			conv:   helpdesk.Conversation{Vendor: zendesk.Vendor, Account: "acme", ID: "123", Channel: helpdesk.ChannelEmail},
			target: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "2"},
		},
		{
			name: "zendesk-client-credentials", config: zc, pointer: &zc,
			secrets: all([]string{zc.OAuthClientSecret, zc.SunshineSecret}, zc.WebhookSecrets),
			client: func(base string, log *slog.Logger) (any, helpdesk.Helpdesk, error) {
				c, err := zendesk.New(zdClientCreds(base), &zendesk.Options{Logger: log, MaxRetries: -1})
				if err != nil {
					return nil, nil, err
				}
				return c, c, nil
			},
			conv:   helpdesk.Conversation{Vendor: zendesk.Vendor, Account: "acme", ID: "123", Channel: helpdesk.ChannelEmail},
			target: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "2"},
		},
		{
			name: "cloudchat", config: c, pointer: &c, urlConfig: cc(withUserinfo("https://chat.example.com", c.APIToken)),
			secrets: all([]string{c.APIToken, c.UserToken, c.UnsignedToken}, c.WebhookSecrets),
			invalid: []func() error{
				func() error { x := cc(withUserinfo("https://chat.example.com", c.APIToken)); return x.Validate() },
				func() error {
					x := cc(withUserinfo("https://chat.example.com", c.APIToken))
					_, err := cloudchat.New(x, nil)
					return err
				},
				func() error { x := cc("https://chat.example.com?token=" + c.UnsignedToken); return x.Validate() },
			},
			client: func(base string, log *slog.Logger) (any, helpdesk.Helpdesk, error) {
				x, err := cloudchat.New(cc(base), &cloudchat.Options{Logger: log, MaxRetries: -1})
				if err != nil {
					return nil, nil, err
				}
				return x, x, nil
			},
			conv:   helpdesk.Conversation{Vendor: cloudchat.Vendor, Account: "1", ID: "7", Channel: helpdesk.ChannelWebChat},
			target: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "3"},
		},
		{
			name: "intercom", config: i, pointer: &i, urlConfig: ic(withUserinfo("https://api.intercom.io", i.AccessToken)),
			secrets: all([]string{i.AccessToken}, i.ClientSecrets, i.ActionTokens),
			invalid: []func() error{
				func() error { x := ic(withUserinfo("https://api.intercom.io", i.AccessToken)); return x.Validate() },
				func() error {
					x := ic(withUserinfo("https://api.intercom.io", i.AccessToken))
					_, err := intercom.New(x, nil)
					return err
				},
				func() error { x := ic("https://api.intercom.io"); x.BotAdminID = i.AccessToken; return x.Validate() },
			},
			client: func(base string, log *slog.Logger) (any, helpdesk.Helpdesk, error) {
				x, err := intercom.New(ic(base), &intercom.Options{Logger: log, MaxRetries: -1})
				if err != nil {
					return nil, nil, err
				}
				return x, x, nil
			},
			conv:   helpdesk.Conversation{Vendor: intercom.Vendor, Account: "app1", ID: "123", Channel: helpdesk.ChannelWebChat},
			target: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "2"},
		},
		{
			name: "hubspot", config: h, pointer: &h, urlConfig: hs(withUserinfo("https://api.hubapi.com", h.AccessToken)),
			secrets: all([]string{h.AccessToken, h.MFASecret}, h.ClientSecrets),
			invalid: []func() error{
				func() error { x := hs(withUserinfo("https://api.hubapi.com", h.AccessToken)); return x.Validate() },
				func() error {
					x := hs(withUserinfo("https://api.hubapi.com", h.AccessToken))
					_, err := hubspot.New(x, nil)
					return err
				},
				func() error { x := hs("https://api.hubapi.com"); x.BotUserID = h.AccessToken; return x.Validate() },
				func() error {
					x := hs("https://api.hubapi.com")
					x.AccessToken = strings.TrimPrefix(x.AccessToken, "pat-")
					return x.Validate()
				},
			},
			client: func(base string, log *slog.Logger) (any, helpdesk.Helpdesk, error) {
				x, err := hubspot.New(hs(base), &hubspot.Options{Logger: log, MaxRetries: -1})
				if err != nil {
					return nil, nil, err
				}
				return x, x, nil
			},
			conv:   helpdesk.Conversation{Vendor: hubspot.Vendor, ID: "123", Channel: helpdesk.ChannelWebChat},
			target: helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "2"},
		},
		{
			name: "klaviyo", config: k, pointer: &k, urlConfig: kl(withUserinfo("https://a.klaviyo.com", k.APIKey)),
			secrets: all([]string{k.APIKey}, k.WebhookSecrets),
			invalid: []func() error{
				func() error { x := kl(withUserinfo("https://a.klaviyo.com", k.APIKey)); return x.Validate() },
				func() error {
					x := kl(withUserinfo("https://a.klaviyo.com", k.APIKey))
					_, err := klaviyo.New(x, nil)
					return err
				},
				func() error { x := kl("https://a.klaviyo.com"); x.SendingNumber = k.APIKey; return x.Validate() },
			},
			client: func(base string, log *slog.Logger) (any, helpdesk.Helpdesk, error) {
				x, err := klaviyo.New(kl(base), &klaviyo.Options{Logger: log, MaxRetries: -1})
				if err != nil {
					return nil, nil, err
				}
				return x, x, nil
			},
			conv:   helpdesk.Conversation{Vendor: klaviyo.Vendor, ID: "+15555550123", Channel: helpdesk.ChannelSMS},
			target: helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "2"},
		},
	}
}

// prints renders v on every print path.
func prints(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	if b, err := json.Marshal(v); err == nil {
		out["json"] = string(b)
	} else {
		out["json error"] = err.Error()
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
	out["slog text"] = text.String()
	out["slog json"] = js.String()
	return out
}

func requireClean(t *testing.T, secrets []string, where, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			i := strings.Index(s, sec)
			t.Errorf("%s prints secret %s: …%s…", where, sec, s[max(0, i-80):min(len(s), i+len(sec)+20)])
		}
	}
}

func TestNoSecretOnAnyPrintPath(t *testing.T) {
	srv := echoServer(t)
	for _, dc := range cases(t) {
		t.Run(dc.name, func(t *testing.T) {
			require.NotEmpty(t, dc.secrets)
			var logs logBuf
			client, hd, err := dc.client(srv.URL, logs.logger())
			require.NoError(t, err)
			wrapped := struct {
				Config any
				Client any
			}{dc.config, client}
			for name, v := range map[string]any{
				"Config": dc.config, "*Config": dc.pointer, "*Client": client, "struct": wrapped,
				"slice": []any{dc.config, client}, "map": map[string]any{"c": dc.config},
				"Config with user info": dc.urlConfig,
			} {
				if v == nil {
					continue
				}
				for path, s := range prints(v) {
					requireClean(t, dc.secrets, name+" "+path, s)
				}
			}
			for n, f := range dc.invalid {
				err := f()
				if err != nil {
					requireClean(t, dc.secrets, fmt.Sprintf("invalid config %d: error", n), err.Error())
					requireClean(t, dc.secrets, fmt.Sprintf("invalid config %d: %%+v", n), fmt.Sprintf("%+v", err))
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var errs []error
			_, err = hd.SendMessage(ctx, dc.conv, helpdesk.Message{Text: "hello"})
			errs = append(errs, err)
			errs = append(errs, hd.Resolve(ctx, dc.conv))
			errs = append(errs, hd.Reassign(ctx, dc.conv, dc.target))
			for _, forged := range []http.Header{
				{},
				{"X-Zendesk-Webhook-Signature": {"AAAA"}, "X-Zendesk-Webhook-Signature-Timestamp": {time.Now().UTC().Format(time.RFC3339)},
					"X-Chatwoot-Signature": {"sha256=00"}, "X-Chatwoot-Timestamp": {fmt.Sprint(time.Now().Unix())},
					"X-Hub-Signature": {"sha1=00"}, "X-Hubspot-Signature-V3": {"AAAA"}, "X-Hubspot-Request-Timestamp": {fmt.Sprint(time.Now().UnixMilli())},
					"X-Api-Key": {"wrong-key-value"}, "Klaviyo-Signature": {"00"}, "Klaviyo-Timestamp": {fmt.Sprint(time.Now().Unix())}},
			} {
				u, _ := url.Parse("https://bot.example.com/webhook?token=wrong-token-value")
				_, err := hd.ParseWebhook(ctx, &helpdesk.WebhookRequest{Method: "POST", URL: u, Header: forged, Body: []byte(`{"type":"x"}`), ReceivedAt: time.Now()})
				require.Error(t, err, "a forged delivery must be refused")
				errs = append(errs, err)
			}
			provoked := 0
			for n, err := range errs {
				if err == nil {
					continue
				}
				provoked++
				requireClean(t, dc.secrets, fmt.Sprintf("call %d: error", n), err.Error())
				requireClean(t, dc.secrets, fmt.Sprintf("call %d: %%+v", n), fmt.Sprintf("%+v", err))
				for path, s := range prints(err) {
					requireClean(t, dc.secrets, fmt.Sprintf("call %d: error %s", n, path), s)
				}
				var ae *helpdesk.APIError
				if errorsAs(err, &ae) {
					requireClean(t, dc.secrets, fmt.Sprintf("call %d: APIError fields", n), ae.Body+ae.Message+ae.RequestID+ae.Code)
				}
			}
			require.GreaterOrEqual(t, provoked, 3, "the test must provoke errors to check them")
			requireClean(t, dc.secrets, "driver logs", logs.String())
		})
	}
}
