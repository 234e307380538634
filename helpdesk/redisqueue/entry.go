package redisqueue

import (
	"encoding/json"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// An event is stored as a stream entry with two fields: "event", the
// event's JSON without its vendor payload, and "raw", the vendor payload
// (Event.Raw) as received, when there is one. Kept apart, the payload is
// copied as bytes, never re-encoded nor re-validated: a vendor's payload
// runs to kilobytes, and encoding it inside the event's JSON cost more than
// the rest of the event on the acknowledgement path. Entries with the
// payload inside "event" decode too.

// encodeEvent returns the two fields of ev's entry.
func encodeEvent(ev helpdesk.Event) (event, raw []byte, err error) {
	raw = ev.Raw
	ev.Raw = nil
	event, err = json.Marshal(ev)
	return event, raw, err
}

// entryFields returns an entry's event and raw fields, as stored.
func entryFields(values map[string]any) (event, raw string) {
	event, _ = values["event"].(string)
	raw, _ = values["raw"].(string)
	return event, raw
}

// decodeEvent rebuilds the event from its entry's fields.
func decodeEvent(event, raw string) (helpdesk.Event, error) {
	var ev helpdesk.Event
	if err := json.Unmarshal([]byte(event), &ev); err != nil {
		return ev, err
	}
	if raw != "" {
		ev.Raw = json.RawMessage(raw)
	}
	return ev, nil
}
