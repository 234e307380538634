package helpdesktest

import (
	"encoding/json"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// decodeDelivery decodes a Fake delivery body ({"events":[...]}) into its
// events, each with Raw set to its bytes as received. It is what
// encoding/json would give, faster: the Fake is the driver of webhook
// handler benchmarks, where a reflective decode would be most of what is
// measured. Bodies as the Fake writes them (ASCII strings without escapes,
// the fields of helpdesk.Event but Extra, Raw, Conversation.Extra and
// attachments) take the fast path; anything else, malformed JSON
// included, is decoded by encoding/json, so both give one result
// (FuzzDecodeDelivery checks it).
func decodeDelivery(body []byte) ([]helpdesk.Event, error) {
	if evs, ok := decodeFast(body); ok {
		return evs, nil
	}
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

// scanner reads JSON from s (body as one string: every decoded string is
// a substring of it, so decoding allocates once for all of them).
type scanner struct {
	body []byte
	s    string
	i    int
}

func (p *scanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next consumes c after white space.
func (p *scanner) next(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (p *scanner) str() (string, bool) {
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false
	}
	for j := p.i + 1; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			v := p.s[p.i+1 : j]
			p.i = j + 1
			return v, true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

func (p *scanner) boolean() (bool, bool) {
	p.ws()
	switch {
	case len(p.s)-p.i >= 4 && p.s[p.i:p.i+4] == "true":
		p.i += 4
		return true, true
	case len(p.s)-p.i >= 5 && p.s[p.i:p.i+5] == "false":
		p.i += 5
		return false, true
	}
	return false, false
}

// object reads an object, passing each key to field, which reads the
// value. A repeated key, which encoding/json merges, is left to it.
func (p *scanner) object(field func(key string) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	var seen []string
	var buf [8]string
	seen = buf[:0]
	for {
		k, ok := p.str()
		if !ok || !p.next(':') {
			return false
		}
		for _, s := range seen {
			if s == k {
				return false
			}
		}
		seen = append(seen, k)
		if !field(k) {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next('}')
	}
}

// into reads a string value into *dst.
func (p *scanner) into(dst *string) bool {
	v, ok := p.str()
	*dst = v
	return ok
}

func decodeFast(body []byte) ([]helpdesk.Event, bool) {
	p := &scanner{body: body, s: string(body)}
	var evs []helpdesk.Event
	ok := p.object(func(k string) bool {
		if k != "events" || !p.next('[') {
			return false
		}
		evs = make([]helpdesk.Event, 0, 1)
		if p.next(']') {
			return true
		}
		for {
			var e helpdesk.Event
			if !p.event(&e) {
				return false
			}
			evs = append(evs, e)
			if p.next(',') {
				continue
			}
			return p.next(']')
		}
	})
	p.ws()
	if !ok || p.i != len(p.s) || evs == nil {
		return nil, false
	}
	return evs, true
}

func (p *scanner) event(e *helpdesk.Event) bool {
	p.ws()
	start := p.i
	ok := p.object(func(k string) bool {
		switch k {
		case "type":
			v, ok := p.str()
			e.Type = helpdesk.EventType(v)
			return ok
		case "vendor_type":
			return p.into(&e.VendorType)
		case "delivery_id":
			return p.into(&e.DeliveryID)
		case "occurred_at":
			p.ws()
			from := p.i
			if _, ok := p.str(); !ok {
				return false
			}
			// time.Time's own decoding, as encoding/json's.
			return e.OccurredAt.UnmarshalJSON(p.body[from:p.i]) == nil
		case "conversation":
			return p.conversation(&e.Conversation)
		case "message":
			e.Message = new(helpdesk.InboundMessage)
			return p.message(e.Message)
		case "assignment":
			a := new(helpdesk.Assignment)
			e.Assignment = a
			return p.object(func(k string) bool {
				switch k {
				case "agent_id":
					return p.into(&a.AgentID)
				case "group_id":
					return p.into(&a.GroupID)
				case "to_bot":
					v, ok := p.boolean()
					a.ToBot = v
					return ok
				}
				return false
			})
		case "status":
			st := new(helpdesk.StatusChange)
			e.Status = st
			return p.object(func(k string) bool {
				var v string
				ok := p.into(&v)
				switch k {
				case "from":
					st.From = helpdesk.Status(v)
				case "to":
					st.To = helpdesk.Status(v)
				case "vendor_from":
					st.VendorFrom = v
				case "vendor_to":
					st.VendorTo = v
				default:
					return false
				}
				return ok
			})
		}
		return false
	})
	if ok {
		e.Raw = p.body[start:p.i:p.i]
	}
	return ok
}

func (p *scanner) conversation(c *helpdesk.Conversation) bool {
	return p.object(func(k string) bool {
		switch k {
		case "vendor":
			return p.into(&c.Vendor)
		case "account":
			return p.into(&c.Account)
		case "id":
			return p.into(&c.ID)
		case "channel":
			v, ok := p.str()
			c.Channel = helpdesk.Channel(v)
			return ok
		}
		return false
	})
}

func (p *scanner) message(m *helpdesk.InboundMessage) bool {
	return p.object(func(k string) bool {
		switch k {
		case "id":
			return p.into(&m.ID)
		case "text":
			return p.into(&m.Text)
		case "html":
			return p.into(&m.HTML)
		case "subject":
			return p.into(&m.Subject)
		case "public":
			v, ok := p.boolean()
			m.Public = v
			return ok
		case "author":
			a := &m.Author
			return p.object(func(k string) bool {
				switch k {
				case "role":
					v, ok := p.str()
					a.Role = helpdesk.Role(v)
					return ok
				case "id":
					return p.into(&a.ID)
				case "name":
					return p.into(&a.Name)
				case "email":
					return p.into(&a.Email)
				case "phone":
					return p.into(&a.Phone)
				case "self":
					v, ok := p.boolean()
					a.Self = v
					return ok
				}
				return false
			})
		}
		return false
	})
}
