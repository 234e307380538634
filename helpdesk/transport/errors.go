package transport

import (
	"bytes"
	"encoding/json"
	"strings"
)

// DecodeErrorBody is the default Options.DecodeError. It knows no vendor:
// it reads only keys that many APIs share, and a driver whose vendor says
// more (a code in another key, a description, a request id in the body)
// passes its own DecodeError, which may fall back to this one.
//
//   - Message: "message", else "error" (a string, or an object's
//     "message"), else the first element of "errors" (its "detail",
//     "message" or "title", or the element itself when it is a string);
//   - Code: "error"."code" when "error" is an object, else
//     errors[0]."code" (a string or a number);
//   - RequestID: "request_id".
//
// A body that is not a JSON object yields its first line (at most 200
// bytes) as Message.
func DecodeErrorBody(status int, body []byte) ErrorInfo {
	var info ErrorInfo
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return info
	}
	var m struct {
		Message   json.RawMessage `json:"message"`
		Error     json.RawMessage `json:"error"`
		Errors    json.RawMessage `json:"errors"`
		RequestID json.RawMessage `json:"request_id"`
	}
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &m) != nil {
		line, _, _ := strings.Cut(string(trimmed), "\n")
		if len(line) > 200 {
			line = line[:200]
		}
		info.Message = strings.TrimSpace(line)
		return info
	}
	info.RequestID = scalar(m.RequestID)
	info.Message = scalar(m.Message)
	if s := scalar(m.Error); s != "" {
		info.Message = firstNonEmpty(info.Message, s)
	} else if obj, ok := object(m.Error); ok {
		info.Message = firstNonEmpty(info.Message, scalar(obj.Message))
		info.Code = scalar(obj.Code)
	}
	var list []json.RawMessage
	if len(m.Errors) > 0 && json.Unmarshal(m.Errors, &list) == nil && len(list) > 0 {
		if obj, ok := object(list[0]); ok {
			info.Message = firstNonEmpty(info.Message, scalar(obj.Detail), scalar(obj.Message), scalar(obj.Title))
			info.Code = firstNonEmpty(info.Code, scalar(obj.Code))
		} else {
			info.Message = firstNonEmpty(info.Message, scalar(list[0]))
		}
	}
	return info
}

// errorObject is the keys read from an error object.
type errorObject struct {
	Message json.RawMessage `json:"message"`
	Detail  json.RawMessage `json:"detail"`
	Title   json.RawMessage `json:"title"`
	Code    json.RawMessage `json:"code"`
}

func object(raw json.RawMessage) (errorObject, bool) {
	var o errorObject
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &o) != nil {
		return o, false
	}
	return o, true
}

// scalar returns a JSON string's text or a JSON number's digits; "" for
// anything else.
func scalar(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if raw[0] != '"' && json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
