package driver

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// DecodeError says why a webhook body did not decode, without quoting it
// (bodies carry customers' words and tokens). Field names the needed field
// that had an unexpected JSON type, when that was the cause.
type DecodeError struct {
	Field  string
	reason string
	err    error
}

func (e *DecodeError) Error() string { return e.reason }

// Unwrap returns the encoding/json error, when there was one.
func (e *DecodeError) Unwrap() error { return e.err }

// DecodeTolerant unmarshals a webhook body into v the way drivers must:
// a field the driver does not need never decides whether a customer's
// message is seen, and a field it needs that is malformed is an error
// (which the driver turns into helpdesk.ErrInvalidPayload, a 400), never
// a silent empty value.
//
// json.Unmarshal skips a value of the wrong JSON type, leaving that field
// empty, and decodes the rest; DecodeTolerant then drops that type error
// unless the skipped value is one of needed. Each needed entry is a
// dot-separated path ("message.author.type", "*" for every element of an
// array) matched case-insensitively as json.Unmarshal matches fields, with
// a trailing "?" for a boolean, "#" for a string or a number, and a string
// otherwise. Absent and null values are not malformed: the caller checks
// presence. Every other failure (not JSON, not an object) is a
// *DecodeError too.
func DecodeTolerant(body []byte, v any, needed []string) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &DecodeError{reason: "syntax error at offset " + strconv.FormatInt(se.Offset, 10), err: err}
		}
		return &DecodeError{reason: "invalid JSON", err: err}
	}
	var root any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&root) != nil {
		return &DecodeError{reason: "invalid JSON", err: err}
	}
	if _, ok := root.(map[string]any); !ok {
		return &DecodeError{reason: "not a JSON object", err: err}
	}
	for _, p := range needed {
		kind := p[len(p)-1]
		if kind == '?' || kind == '#' {
			p = p[:len(p)-1]
		} else {
			kind = 's'
		}
		if !wellTyped(root, strings.Split(p, "."), kind) {
			return &DecodeError{Field: p, reason: "field " + p + " has an unexpected JSON type", err: err}
		}
	}
	return nil
}

// wellTyped reports whether the value at parts is absent, null or of the
// kind wanted: '?' a boolean, '#' a string or number, 's' a string.
func wellTyped(v any, parts []string, kind byte) bool {
	if v == nil {
		return true
	}
	if len(parts) == 0 {
		switch v.(type) {
		case bool:
			return kind == '?'
		case json.Number:
			return kind == '#'
		case string:
			return kind != '?'
		}
		return false
	}
	if parts[0] == "*" {
		list, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range list {
			if !wellTyped(e, parts[1:], kind) {
				return false
			}
		}
		return true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, child := range m {
		if strings.EqualFold(k, parts[0]) && !wellTyped(child, parts[1:], kind) {
			return false
		}
	}
	return true
}
