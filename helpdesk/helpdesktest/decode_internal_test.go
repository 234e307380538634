package helpdesktest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// slowDecode is decodeDelivery's fallback alone: encoding/json.
func slowDecode(body []byte) ([]helpdesk.Event, error) {
	var dv struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &dv); err != nil {
		return nil, err
	}
	if dv.Events == nil {
		return nil, nil
	}
	evs := make([]helpdesk.Event, len(dv.Events))
	for i, raw := range dv.Events {
		if err := json.Unmarshal(raw, &evs[i]); err != nil {
			return nil, err
		}
		evs[i].Raw = raw
	}
	return evs, nil
}

func deliveryBodies(t testing.TB) [][]byte {
	f := NewFake()
	conv := f.Open("7", helpdesk.ChannelEmail)
	acc := conv
	acc.Account = "acme"
	bodies := [][]byte{
		[]byte(`{"events":[]}`),
		[]byte(` { "events" : [ { "type" : "other" , "conversation" : { "id" : "1" } } ] } `),
		[]byte(`{"events":[{"type":"message.created","conversation":{"id":"1"},"message":{"text":"caf\u00e9","author":{"role":"customer"}}}]}`),
		[]byte(`{"events":[{"type":"other","conversation":{"id":"1","extra":{"k":"v"}}}]}`),
		[]byte(`{"events":[{"type":"other","type":"message.created","conversation":{"id":"1"}}]}`),
		[]byte(`{"Events":[{"Type":"other","conversation":{"id":"1"}}]}`),
		[]byte(`{"events":[{"type":"other","occurred_at":"2026-13-01T00:00:00Z","conversation":{"id":"1"}}]}`),
		[]byte(`{"events":[{"type":"other","message":null,"conversation":{"id":"1"}}]}`),
		[]byte(`{"events":[{"type":"other","conversation":{"id":"1"}}]}x`),
		[]byte(`{"events":null}`),
	}
	for _, evs := range [][]helpdesk.Event{
		{f.CustomerWrites(conv, "hello")},
		{f.CustomerWrites(conv, "one"), f.BotEcho(conv, "two"), f.AssignedTo(conv, "a1", "g1"), f.StatusChangedTo(conv, helpdesk.StatusResolved)},
		{f.CustomerWrites(acc, "line\nbreak \"quoted\" ünïcode")},
	} {
		b, err := json.Marshal(fakeDelivery{Events: evs})
		require.NoError(t, err)
		bodies = append(bodies, b)
	}
	return bodies
}

// The fast path gives what encoding/json gives, or leaves the body to it.
func FuzzDecodeDelivery(f *testing.F) {
	for _, b := range deliveryBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, werr := slowDecode(body)
		got, gerr := decodeDelivery(body)
		require.Equal(t, werr == nil, gerr == nil, "errors differ: %v, %v", werr, gerr)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("decodeDelivery(%q) differs from encoding/json (-want +got):\n%s", body, diff)
		}
		if evs, ok := decodeFast(body); ok {
			require.Empty(t, cmp.Diff(want, evs))
		}
	})
}

// The Fake's own deliveries take the fast path.
func TestDecodeDeliveryFastPath(t *testing.T) {
	f := NewFake()
	conv := f.Open("7", helpdesk.ChannelWebChat)
	for _, ev := range []helpdesk.Event{f.CustomerWrites(conv, "hello"), f.BotEcho(conv, "hi"), f.AssignedTo(conv, "a", "g"), f.StatusChangedTo(conv, helpdesk.StatusOpen)} {
		body, err := json.Marshal(fakeDelivery{Events: []helpdesk.Event{ev}})
		require.NoError(t, err)
		got, ok := decodeFast(body)
		require.True(t, ok, "%s", body)
		want := ev
		want.Raw = got[0].Raw
		require.Empty(t, cmp.Diff([]helpdesk.Event{want}, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })))
		require.JSONEq(t, string(body), `{"events":[`+string(got[0].Raw)+`]}`)
	}
}
