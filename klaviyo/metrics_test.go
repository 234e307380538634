package klaviyo_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/klaviyo"
	"github.com/agentdesk/agentdesk/klaviyo/klaviyotest"
)

// inProcess calls the fake's handler directly, so that a client can run
// inside a synctest bubble (no sockets).
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = r
	return res, nil
}

func newMetrics(t *testing.T, srv *klaviyotest.Server, hc *http.Client, o *klaviyo.MetricsOptions) (*klaviyo.Client, *klaviyo.Metrics) {
	t.Helper()
	if hc == nil {
		hc = srv.Client()
	}
	c, err := klaviyo.New(srv.Config(), &klaviyo.Options{HTTPClient: hc})
	require.NoError(t, err)
	m, err := klaviyo.NewMetrics(c, o)
	require.NoError(t, err)
	return c, m
}

func conv(id string) helpdesk.Conversation {
	return helpdesk.Conversation{Vendor: "zendesk", ID: id, Channel: helpdesk.ChannelEmail}
}

// TestMetricsBulk: 3,000 events go in three bulk jobs of 1,000; a job
// Klaviyo recorded but answered with a 500 is sent again with the same
// unique ids, so nothing is counted twice. BenchmarkMetrics measures the
// same with 10,000 events.
func TestMetricsBulk(t *testing.T) {
	srv := klaviyotest.NewServer(t, klaviyotest.Options{Validate: sampledValidator(t)})
	_, m := newMetrics(t, srv, nil, &klaviyo.MetricsOptions{FlushInterval: time.Hour})
	srv.FailAfterNext(http.StatusInternalServerError)
	for i := range 3000 {
		err := m.Record(klaviyo.MetricEvent{
			Metric:       klaviyo.MetricResolvedTicket,
			Profile:      klaviyo.Profile{Email: fmt.Sprintf("customer%d@example.com", i%500)},
			Conversation: conv(fmt.Sprint(10000 + i)),
		})
		require.NoError(t, err)
	}
	require.NoError(t, m.Close(context.Background()))
	st := m.Stats()
	require.Equal(t, 3000, st.Sent)
	require.Zero(t, st.Pending)
	require.Equal(t, 4, srv.RequestsTo("POST /api/event-bulk-create-jobs"), "three jobs and the one resent")
	require.Equal(t, 4, srv.Requests())
	require.Equal(t, 1000, srv.Duplicates(), "the resent job's events were dropped by their unique ids")
	evs := srv.Events()
	require.Len(t, evs, 3000)
	seen := map[string]bool{}
	for _, e := range evs {
		require.False(t, seen[e.UniqueID], "event %s counted twice", e.UniqueID)
		seen[e.UniqueID] = true
		require.Equal(t, "zendesk", e.Properties["vendor"])
		require.Equal(t, "email", e.Properties["channel"])
	}
}

// TestMetricsKeptAfterFailure: a job that failed for good in this flush
// (retries off) stays buffered with its unique ids; the next flush sends
// it again and Klaviyo keeps one of each.
func TestMetricsKeptAfterFailure(t *testing.T) {
	srv := newServer(t)
	c, err := klaviyo.New(srv.Config(), &klaviyo.Options{HTTPClient: srv.Client(), MaxRetries: -1})
	require.NoError(t, err)
	m, err := klaviyo.NewMetrics(c, &klaviyo.MetricsOptions{FlushInterval: time.Hour})
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, m.Record(klaviyo.MetricEvent{Metric: klaviyo.MetricOpenedTicket, Profile: klaviyo.Profile{Phone: "+5511987654321"},
			Conversation: conv(fmt.Sprint(i)), Time: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)}))
	}
	srv.FailAfterNext(http.StatusBadGateway)
	require.Error(t, m.Flush(context.Background()))
	require.Equal(t, 5, m.Stats().Pending, "a failed job stays buffered")
	require.NoError(t, m.Flush(context.Background()))
	require.Len(t, srv.Events(), 5, "five events in the same second for one profile are all kept: each has its own unique_id")
	require.Equal(t, 5, srv.Duplicates())
	require.NoError(t, m.Close(context.Background()))
}

func TestMetricsFlushByTime(t *testing.T) {
	srv := newServer(t)
	hc := &http.Client{Transport: inProcess{srv.VendorServer.Server.Config.Handler}}
	synctest.Test(t, func(t *testing.T) {
		_, m := newMetrics(t, srv, hc, &klaviyo.MetricsOptions{FlushInterval: 5 * time.Second})
		for i := range 3 {
			require.NoError(t, m.Record(klaviyo.MetricEvent{Metric: klaviyo.MetricBotReplied, Profile: klaviyo.Profile{Email: "a@example.com"}, Conversation: conv(fmt.Sprint(i))}))
		}
		time.Sleep(4 * time.Second)
		synctest.Wait()
		require.Zero(t, srv.BulkJobs(), "nothing is sent before the interval")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		require.Equal(t, 1, srv.BulkJobs())
		require.Len(t, srv.Events(), 3)
		require.NoError(t, m.Close(context.Background()))
	})
}

func TestMetricsFlushBySize(t *testing.T) {
	srv := newServer(t)
	hc := &http.Client{Transport: inProcess{srv.VendorServer.Server.Config.Handler}}
	synctest.Test(t, func(t *testing.T) {
		_, m := newMetrics(t, srv, hc, &klaviyo.MetricsOptions{BatchSize: 10, FlushInterval: time.Hour})
		for i := range 25 {
			require.NoError(t, m.Record(klaviyo.MetricEvent{Metric: klaviyo.MetricBotReplied, Profile: klaviyo.Profile{Email: "a@example.com"}, Conversation: conv(fmt.Sprint(i))}))
			synctest.Wait()
		}
		time.Sleep(time.Second) // the tier M budget spaces the jobs
		synctest.Wait()
		require.Equal(t, 2, srv.BulkJobs(), "two full batches go without waiting for the interval")
		require.Equal(t, 5, m.Stats().Pending)
		require.NoError(t, m.Close(context.Background()))
		require.Equal(t, 3, srv.BulkJobs(), "Close flushes the rest")
		require.ErrorIs(t, m.Record(klaviyo.MetricEvent{Metric: "x", Profile: klaviyo.Profile{Email: "a@example.com"}}), klaviyo.ErrMetricsClosed)
	})
}

func TestMetricsRefusedLocally(t *testing.T) {
	srv := newServer(t)
	_, m := newMetrics(t, srv, nil, &klaviyo.MetricsOptions{BatchSize: 2, MaxBuffer: 2, FlushInterval: time.Hour})
	tests := []struct {
		name  string
		e     klaviyo.MetricEvent
		field string
	}{
		{"no metric", klaviyo.MetricEvent{Profile: klaviyo.Profile{Email: "a@example.com"}}, "metric"},
		{"no profile", klaviyo.MetricEvent{Metric: klaviyo.MetricOpenedTicket, Conversation: conv("1")}, "profile"},
		{"malformed phone", klaviyo.MetricEvent{Metric: klaviyo.MetricOpenedTicket, Profile: klaviyo.Profile{Phone: "11 98765-4321"}}, "profile.phone_number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Record(tc.e)
			var fe *helpdesk.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field)
			require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
		})
	}
	require.NoError(t, m.Close(context.Background()))
	require.Zero(t, srv.Requests(), "refused events cost no request")
	require.Equal(t, 3, m.Stats().Dropped)
}

func TestMetricsWrapAndTap(t *testing.T) {
	srv := newServer(t)
	_, m := newMetrics(t, srv, nil, &klaviyo.MetricsOptions{FlushInterval: time.Hour, Tags: []string{"agentdesk"}})
	fake := helpdesktest.NewFake()
	hd := m.Wrap(fake)
	ctx := context.Background()
	cv := fake.Open("501", helpdesk.ChannelEmail)

	// The tap learns the customer from their message, and records a
	// ticket opened by anyone.
	tap := m.Tap(nil)
	ana := helpdesk.Author{Role: helpdesk.RoleCustomer, Email: "ana@example.com", Phone: "+5511987654321"}
	created := helpdesk.Event{Type: helpdesk.EventConversationCreated, DeliveryID: "d1", Conversation: cv,
		Message: &helpdesk.InboundMessage{Author: ana, Text: "oi", Public: true}}
	require.NoError(t, tap(ctx, created))
	require.NoError(t, tap(ctx, helpdesk.Event{Type: helpdesk.EventMessageCreated, DeliveryID: "d2", Conversation: cv,
		Message: &helpdesk.InboundMessage{Author: ana, Text: "tudo bem?", Public: true}}))
	_, err := hd.SendMessage(ctx, cv, helpdesk.Message{Text: "Olá!"})
	require.NoError(t, err)
	_, err = hd.SendMessage(ctx, cv, helpdesk.Message{Text: "checked", Internal: true})
	require.NoError(t, err)
	require.NoError(t, hd.Reassign(ctx, cv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "7", Note: "refund over the bot's limit"}))
	require.NoError(t, hd.Resolve(ctx, cv))
	// The webhook's echo of the bot's resolve is not counted again; a
	// later resolve by an agent is.
	resolved := helpdesk.Event{Type: helpdesk.EventStatusChanged, DeliveryID: "d3", Conversation: cv, Status: &helpdesk.StatusChange{To: helpdesk.StatusResolved}}
	require.NoError(t, tap(ctx, resolved))
	resolved.DeliveryID = "d4"
	require.NoError(t, tap(ctx, resolved))
	// A second delivery of the conversation-created event keeps one
	// Opened Ticket.
	created.DeliveryID = "d1-again"
	require.NoError(t, tap(ctx, created))

	var got *helpdesktest.Fake
	require.True(t, helpdesk.As(hd, &got), "As still reaches the wrapped helpdesk")
	require.NoError(t, m.Close(ctx))

	var metrics []string
	for _, e := range srv.Events() {
		metrics = append(metrics, e.Metric)
		require.Equal(t, []any{"agentdesk"}, e.Properties["tags"])
		require.Equal(t, "501", e.Properties["conversation_id"])
		if e.Metric == klaviyo.MetricHandedOver {
			require.Equal(t, "refund over the bot's limit", e.Properties["reason"])
			require.Equal(t, "group", e.Properties["target_kind"])
			require.Equal(t, "7", e.Properties["target_id"])
		}
	}
	require.Equal(t, []string{klaviyo.MetricOpenedTicket, klaviyo.MetricBotReplied, klaviyo.MetricHandedOver,
		klaviyo.MetricResolvedTicket, klaviyo.MetricResolvedTicket}, metrics)
	require.Equal(t, 1, srv.Duplicates(), "the redelivered Opened Ticket is dropped by its unique id")
	p, ok := srv.Profile(srv.Events()[0].ProfileID)
	require.True(t, ok)
	require.Equal(t, "ana@example.com", p.Email)
}
