package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// DecodeErrorBody reads the error shapes of every supported vendor:
//
//	Zendesk   {"error":"RecordInvalid","description":"…","details":{…}}
//	Sunshine  {"errors":[{"code":"…","title":"…"}]}
//	Intercom  {"type":"error.list","request_id":"…","errors":[{"code":"…","message":"…"}]}
//	HubSpot   {"status":"error","message":"…","errorType":"…","correlationId":"…"}
//	Chatwoot  {"error":"…"} or {"message":"…"} or {"errors":["…"]} or plain text
//	Klaviyo   {"errors":[{"status":429,"code":"throttled","detail":"…"}]}
//
// Anything else yields the first line of the body as Message.
func DecodeErrorBody(status int, body []byte) ErrorInfo {
	var info ErrorInfo
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return info
	}
	var m map[string]json.RawMessage
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &m) != nil {
		line := string(trimmed)
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if len(line) > 200 {
			line = line[:200]
		}
		info.Message = line
		return info
	}
	str := func(key string) string {
		raw, ok := m[key]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		return ""
	}
	info.RequestID = firstNonEmpty(str("request_id"), str("requestId"), str("correlationId"))
	// Zendesk: "error" is a code string, "description" the text; Chatwoot:
	// "error" is the text.
	if e := str("error"); e != "" {
		if d := str("description"); d != "" {
			info.Code, info.Message = e, d
		} else {
			info.Message = e
		}
	} else if raw, ok := m["error"]; ok {
		var obj struct{ Title, Message string }
		if json.Unmarshal(raw, &obj) == nil {
			info.Code, info.Message = obj.Title, obj.Message
		}
	}
	if info.Message == "" {
		info.Message = str("message")
	}
	if info.Code == "" {
		info.Code = firstNonEmpty(str("errorType"), str("code"), str("category"))
	}
	if raw, ok := m["errors"]; ok {
		var list []struct {
			Code    any    `json:"code"`
			Title   string `json:"title"`
			Message string `json:"message"`
			Detail  string `json:"detail"`
		}
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			if info.Code == "" && list[0].Code != nil {
				info.Code = fmt.Sprint(list[0].Code)
			}
			if info.Message == "" {
				info.Message = firstNonEmpty(list[0].Detail, list[0].Message, list[0].Title)
			}
		} else {
			var strs []string
			if json.Unmarshal(raw, &strs) == nil && len(strs) > 0 && info.Message == "" {
				info.Message = strs[0]
			}
		}
	}
	return info
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
