package minidriver

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// FuzzParseWebhook checks that no body makes the parser panic, and that
// whatever it refuses is refused as an invalid payload.
func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	c, err := New(Config{BaseURL: "http://127.0.0.1:1", APIToken: "t", BotAgentID: "1", WebhookSecrets: []string{"s"}}, &Options{NoBudget: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &helpdesk.WebhookRequest{Method: http.MethodPost, Header: http.Header{}, Body: body, ReceivedAt: time.Now()}
		events, err := c.parseWebhook(req)
		if err != nil {
			if !errors.Is(err, helpdesk.ErrInvalidPayload) {
				t.Fatalf("error %v does not match ErrInvalidPayload", err)
			}
			return
		}
		for _, e := range events {
			if e.DeliveryID == "" || e.Conversation.ID == "" || e.Message == nil {
				t.Fatalf("incomplete event %+v", e)
			}
		}
	})
}
