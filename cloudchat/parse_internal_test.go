package cloudchat

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// BenchmarkParseVsUnmarshalSameStruct compares ParseWebhook (signature
// check, mapping to events, pubsub_token redaction) with a plain
// json.Unmarshal of the same bytes into the same payload struct the driver
// decodes, alternating the two in one loop so machine load hits both alike.
func BenchmarkParseVsUnmarshalSameStruct(b *testing.B) {
	body, err := os.ReadFile("testdata/message_created_incoming.json")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 7, 14, 9, 13, 0, 0, time.UTC)
	const secret = "bench-secret-0123456789ab"
	c, err := New(Config{BaseURL: "https://chat.example.test", AccountID: 1, APIToken: "bot-token-xyz", BotID: 7,
		WebhookSecrets: []string{secret}, ServerVersion: "4.15.1"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderDelivery, "d1")
	u, _ := url.Parse("https://bot.example.test/webhooks/cloudchat")
	req := &helpdesk.WebhookRequest{Method: "POST", URL: u, Header: h, Body: body, ReceivedAt: now}
	h.Set(HeaderSignature, Scheme().Sign(secret, req, ts))

	var tParse, tUnmarshal time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := c.ParseWebhook(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		var p payload
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
		tParse += t1.Sub(t0)
		tUnmarshal += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tParse.Nanoseconds())/n, "ns/parse")
	b.ReportMetric(float64(tUnmarshal.Nanoseconds())/n, "ns/unmarshal")
	b.ReportMetric(float64(tParse)/float64(tUnmarshal), "parse/unmarshal")
}
