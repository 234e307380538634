package intercom

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// BenchmarkParseTopic compares ParseWebhook on a topic webhook (after
// verification, which the Portable does first) with a plain json.Unmarshal
// of the same bytes into the same struct: the target is at most 1.5× the
// Unmarshal.
func BenchmarkParseTopic(b *testing.B) {
	for _, fx := range []string{"user_replied_plain.json", "user_created_html.json"} {
		body, err := os.ReadFile("testdata/" + fx)
		if err != nil {
			b.Fatal(err)
		}
		c, err := New(Config{AccessToken: "tok", BaseURL: "http://127.0.0.1:9", BotAdminID: "991267600", ClientSecrets: []string{"s"}}, &Options{NoBudget: true})
		if err != nil {
			b.Fatal(err)
		}
		d := clientDriver{c}
		req := &helpdesk.WebhookRequest{Method: http.MethodPost, Header: http.Header{SignatureHeader: {"sha1=00"}, "Content-Type": {"application/json"}}, Body: body}
		ctx := context.Background()
		b.Run(fx+"/ParseWebhook", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				evs, err := d.ParseWebhook(ctx, req)
				if err != nil || len(evs) != 1 {
					b.Fatal(err)
				}
			}
		})
		b.Run(fx+"/Unmarshal", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var n notification
				if err := json.Unmarshal(body, &n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseTopicRatio alternates the two in one loop, so that load
// from other processes hits both alike, and reports ParseWebhook's time
// over json.Unmarshal's as "parse/unmarshal" (target ≤ 1.5).
func BenchmarkParseTopicRatio(b *testing.B) {
	body, err := os.ReadFile("testdata/user_replied_plain.json")
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(Config{AccessToken: "tok", BaseURL: "http://127.0.0.1:9", BotAdminID: "991267600", ClientSecrets: []string{"s"}}, &Options{NoBudget: true})
	if err != nil {
		b.Fatal(err)
	}
	d := clientDriver{c}
	req := &helpdesk.WebhookRequest{Method: http.MethodPost, Header: http.Header{SignatureHeader: {"sha1=00"}, "Content-Type": {"application/json"}}, Body: body}
	ctx := context.Background()
	var parse, unmarshal time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := d.ParseWebhook(ctx, req); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		var n notification
		if err := json.Unmarshal(body, &n); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		parse += t1.Sub(t0)
		unmarshal += t2.Sub(t1)
	}
	b.ReportMetric(float64(parse)/float64(unmarshal), "parse/unmarshal")
}
