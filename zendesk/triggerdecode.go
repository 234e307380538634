package zendesk

import (
	"unicode/utf16"
	"unicode/utf8"
)

// fastDecodeTrigger decodes the usual shape of a trigger body (an object
// whose known fields hold strings, the author/sender objects and the
// attachments array) in one pass without reflection. It reports false for
// anything else — other value types, escapes it does not handle, invalid
// UTF-8, keys that differ from the field names only in case, duplicate
// keys — and the caller then uses json.Unmarshal, so the result is always
// what json.Unmarshal would give (FuzzParseTrigger checks this).
func fastDecodeTrigger(b []byte, p *TriggerPayload) bool {
	d := fastDec{b: b}
	if !d.objectStart() {
		return false
	}
	var seen uint32
	first := true
	for {
		d.ws()
		if d.eat('}') {
			break
		}
		if !first && !d.eat(',') {
			return false
		}
		first = false
		d.ws()
		key, ok := d.str()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') {
			return false
		}
		d.ws()
		var dst *string
		var bit uint32
		switch key {
		case "ticketId":
			dst, bit = &p.TicketID, 1<<0
		case "assigneeId":
			dst, bit = &p.AssigneeID, 1<<1
		case "groupId":
			dst, bit = &p.GroupID, 1<<2
		case "status":
			dst, bit = &p.Status, 1<<3
		case "updatedAt":
			dst, bit = &p.UpdatedAt, 1<<4
		case "title":
			dst, bit = &p.Title, 1<<5
		case "text":
			dst, bit = &p.Text, 1<<6
		case "commentId":
			dst, bit = &p.CommentID, 1<<7
		case "isPublic":
			dst, bit = &p.IsPublic, 1<<8
		case "type":
			dst, bit = &p.Type, 1<<9
		case "comments":
			dst, bit = &p.Comments, 1<<10
		case "author":
			bit = 1 << 11
		case "sender":
			bit = 1 << 12
		case "attachments":
			bit = 1 << 13
		default:
			if foldsToField(key) {
				return false
			}
			// An unknown key: only a string value is skipped here.
			if _, ok := d.str(); !ok {
				return false
			}
			continue
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		switch {
		case dst != nil:
			s, ok := d.str()
			if !ok {
				return false
			}
			*dst = s
		case bit == 1<<11:
			if !d.user(&p.Author) {
				return false
			}
		case bit == 1<<12:
			if !d.user(&p.Sender) {
				return false
			}
		default:
			if !d.attachments(&p.Attachments) {
				return false
			}
		}
	}
	d.ws()
	return d.i == len(d.b)
}

var triggerKeys = []string{"ticketId", "assigneeId", "groupId", "status", "updatedAt", "title", "text", "commentId",
	"isPublic", "type", "comments", "author", "sender", "attachments", "id", "name", "email", "role", "filename", "url"}

// foldsToField reports whether json.Unmarshal's case-insensitive matching
// would map key to one of the payload's fields.
func foldsToField(key string) bool {
	for _, k := range triggerKeys {
		if len(k) == len(key) && equalFoldASCII(k, key) {
			return true
		}
	}
	return !isASCII(key) // Unicode folding (e.g. the Kelvin sign): leave it to encoding/json
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

type fastDec struct {
	b []byte
	i int
}

func (d *fastDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDec) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDec) objectStart() bool {
	d.ws()
	return d.eat('{')
}

// str reads a JSON string. It handles the standard escapes and \u
// sequences, including surrogate pairs; it gives up on lone surrogates,
// control characters and invalid UTF-8 (json.Unmarshal replaces those).
func (d *fastDec) str() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\':
			return d.strEscaped(start)
		case c < 0x20:
			return "", false
		}
		d.i++
	}
	return "", false
}

func (d *fastDec) strEscaped(start int) (string, bool) {
	out := make([]byte, 0, d.i-start+16)
	out = append(out, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return "", false
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if d.i+1 >= len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
					return "", false
				}
				d.i += 2
				r2, ok := d.hex4()
				if !ok {
					return "", false
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", false
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

func (d *fastDec) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// fields reads an object of string values into the named destinations.
func (d *fastDec) fields(set func(key, val string) bool) bool {
	if !d.eat('{') {
		return false
	}
	first := true
	for {
		d.ws()
		if d.eat('}') {
			return true
		}
		if !first && !d.eat(',') {
			return false
		}
		first = false
		d.ws()
		key, ok := d.str()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') {
			return false
		}
		d.ws()
		val, ok := d.str()
		if !ok || !set(key, val) {
			return false
		}
	}
}

func (d *fastDec) user(u *TriggerUser) bool {
	var seen uint8
	return d.fields(func(key, val string) bool {
		var dst *string
		var bit uint8
		switch key {
		case "id":
			dst, bit = &u.ID, 1
		case "name":
			dst, bit = &u.Name, 2
		case "email":
			dst, bit = &u.Email, 4
		case "role":
			dst, bit = &u.Role, 8
		default:
			return !foldsToField(key)
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		*dst = val
		return true
	})
}

func (d *fastDec) attachments(out *[]TriggerAttachment) bool {
	if !d.eat('[') {
		return false
	}
	list := []TriggerAttachment{}
	first := true
	for {
		d.ws()
		if d.eat(']') {
			*out = list
			return true
		}
		if !first && !d.eat(',') {
			return false
		}
		first = false
		d.ws()
		var a TriggerAttachment
		var seen uint8
		ok := d.fields(func(key, val string) bool {
			var dst *string
			var bit uint8
			switch key {
			case "filename":
				dst, bit = &a.Filename, 1
			case "url":
				dst, bit = &a.URL, 2
			default:
				return !foldsToField(key)
			}
			if seen&bit != 0 {
				return false
			}
			seen |= bit
			*dst = val
			return true
		})
		if !ok {
			return false
		}
		list = append(list, a)
	}
}

// Tolerant decoding. A webhook body is decoded with json.Unmarshal, which
// skips a value of the wrong JSON type (leaving that field empty) and
// decodes the rest; the driver then accepts the body unless one of the
// fields it needs was the one skipped. So a field the driver does not need
// (a numeric externalId, a string where an object was documented) never
// decides whether a customer message is seen, and a field it needs that is
// malformed gives helpdesk.ErrInvalidPayload (a 400 the vendor shows in its
// delivery log), never a silent EventOther.
