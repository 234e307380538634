package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// batch100 is a delivery of 100 events that need no GET: assignments,
// status changes and creations.
func batch100() []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range MaxBatch {
		if i > 0 {
			b.WriteByte(',')
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, `{"eventId":%d,"subscriptionId":56,"portalId":62515,"appId":4242,"occurredAt":%d,"subscriptionType":"conversation.propertyChange","attemptNumber":0,"objectId":%d,"propertyName":"assignedTo","propertyValue":"A-71260700","changeSource":"USER"}`, 1000+i, 1767225600000+i, 7788990000+i)
		case 1:
			fmt.Fprintf(&b, `{"eventId":%d,"subscriptionId":56,"portalId":62515,"appId":4242,"occurredAt":%d,"subscriptionType":"conversation.propertyChange","attemptNumber":0,"objectId":%d,"propertyName":"status","propertyValue":"CLOSED","changeSource":"USER"}`, 1000+i, 1767225600000+i, 7788990000+i)
		default:
			fmt.Fprintf(&b, `{"eventId":%d,"subscriptionId":57,"portalId":62515,"appId":4242,"occurredAt":%d,"subscriptionType":"conversation.creation","attemptNumber":0,"objectId":%d,"changeFlag":"CREATED"}`, 1000+i, 1767225600000+i, 7788990000+i)
		}
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// plainEvent is the documented event shape, for the baseline.
type plainEvent struct {
	EventID          int64  `json:"eventId"`
	SubscriptionID   int64  `json:"subscriptionId"`
	PortalID         int64  `json:"portalId"`
	AppID            int64  `json:"appId"`
	OccurredAt       int64  `json:"occurredAt"`
	SubscriptionType string `json:"subscriptionType"`
	AttemptNumber    int    `json:"attemptNumber"`
	ObjectID         int64  `json:"objectId"`
	PropertyName     string `json:"propertyName"`
	PropertyValue    string `json:"propertyValue"`
	ChangeSource     string `json:"changeSource"`
	ChangeFlag       string `json:"changeFlag"`
	MessageID        string `json:"messageId"`
	MessageType      string `json:"messageType"`
}

// BenchmarkParseBatch100 parses a batch of 100 events (no GETs) and
// reports the time against a plain json.Unmarshal of the same bytes into
// the documented event struct (target: at most 1.5).
func BenchmarkParseBatch100(b *testing.B) {
	c, err := New(Config{BotUserID: "71260648", AccessToken: "pat-na1-bench", ClientSecrets: []string{"secret-for-bench"}}, &Options{NoBudget: true})
	if err != nil {
		b.Fatal(err)
	}
	body := batch100()
	u, _ := url.Parse("https://bot.example.com/webhooks/hubspot")
	req := &helpdesk.WebhookRequest{Method: http.MethodPost, URL: u, Header: http.Header{"Content-Type": {"application/json"}}, Body: body, ReceivedAt: time.Now()}
	ctx := context.Background()
	var parse, plain time.Duration
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		events, err := c.parseWebhook(ctx, req)
		t1 := time.Now()
		var evs []plainEvent
		err2 := json.Unmarshal(body, &evs)
		t2 := time.Now()
		if err != nil || err2 != nil || len(events) != MaxBatch || len(evs) != MaxBatch {
			b.Fatalf("parse: %d events, %v; unmarshal: %v", len(events), err, err2)
		}
		parse += t1.Sub(t0)
		plain += t2.Sub(t1)
	}
	b.ReportMetric(float64(parse)/float64(plain), "x_unmarshal")
	b.ReportMetric(float64(parse.Nanoseconds())/float64(b.N), "parse-ns/batch")
}
