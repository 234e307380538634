package klaviyo_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/split"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
)

// BenchmarkMetrics sends 10,000 helpdesk events (Opened, Resolved, Bot
// Replied and Handed Over for 2,500 tickets) through the recorder to the
// fake, with one bulk job recorded by Klaviyo but answered with a 500 and
// sent again. It reports the requests per 10,000 events and the events
// Klaviyo counted twice (the target is ≤ 12 and 0). The budget is off: the
// figure is about batching, not pacing.
func BenchmarkMetrics(b *testing.B) {
	metrics := []string{klaviyo.MetricOpenedTicket, klaviyo.MetricBotReplied, klaviyo.MetricHandedOver, klaviyo.MetricResolvedTicket}
	var requests, twice, counted int
	for b.Loop() {
		b.StopTimer()
		srv := klaviyotest.NewServer(b, klaviyotest.Options{NoRateLimits: true})
		c, err := klaviyo.New(srv.Config(), &klaviyo.Options{HTTPClient: srv.Client(), NoBudget: true})
		if err != nil {
			b.Fatal(err)
		}
		m, err := klaviyo.NewMetrics(c, &klaviyo.MetricsOptions{FlushInterval: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		srv.FailAfterNext(http.StatusInternalServerError)
		b.StartTimer()
		for i := range 10_000 {
			cv := helpdesk.Conversation{Vendor: "zendesk", ID: fmt.Sprint(20_000 + i/4), Channel: helpdesk.ChannelSMS}
			err := m.Record(klaviyo.MetricEvent{Metric: metrics[i%4], Conversation: cv,
				Profile: klaviyo.Profile{Phone: fmt.Sprintf("+55119%08d", i/4)}})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := m.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		requests = srv.Requests()
		evs := srv.Events()
		counted = len(evs)
		seen := map[string]bool{}
		twice = 0
		for _, e := range evs {
			if seen[e.ProfileID+e.Metric+e.UniqueID] {
				twice++
			}
			seen[e.ProfileID+e.Metric+e.UniqueID] = true
		}
		b.StartTimer()
	}
	if counted != 10_000 || twice != 0 || requests > 12 {
		b.Fatalf("%d events counted, %d twice, %d requests", counted, twice, requests)
	}
	b.ReportMetric(float64(requests), "requests/10k-events")
	b.ReportMetric(float64(twice), "double-counted")
}

// BenchmarkSMSParts reports how a 480-character Portuguese answer with one
// emoji is sent: one conversation message of the minimum number of UCS-2
// segments, against the one-segment-per-part preset.
func BenchmarkSMSParts(b *testing.B) {
	c, err := klaviyo.New(klaviyo.Config{APIKey: "pk_bench_0123456789"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	text := portugueseAnswer
	var parts []string
	for b.Loop() {
		parts, err = c.Parts(text)
		if err != nil {
			b.Fatal(err)
		}
	}
	segs := 0
	for _, p := range parts {
		segs += split.SMSInfo(p).Segments
	}
	pre, _ := split.Preset("sms")
	one, _ := split.Split(text, pre)
	b.ReportMetric(float64(len(parts)), "messages")
	b.ReportMetric(float64(segs), "segments")
	b.ReportMetric(float64(len(one)), "segments-one-per-message")
}
