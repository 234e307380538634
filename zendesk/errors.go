package zendesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// ErrAdminRequired is matched when an operation needs an admin token (or a
// custom role with the right permission) and the configured user lacks it,
// e.g. creating the bot group.
var ErrAdminRequired = errors.New("zendesk: an admin token is required")

// fieldProblem is one entry of a Zendesk RecordInvalid "details" object.
type fieldProblem struct {
	Field       string
	Description string
}

// supportErrorBody is Zendesk's error shape:
//
//	{"error":"RecordInvalid","description":"Record validation errors",
//	 "details":{"status":[{"description":"Status: closed prevents ticket update"}]}}
//
// and, for some 403/404 answers, {"error":{"title":"…","message":"…"}}.
type supportErrorBody struct {
	Error       json.RawMessage                           `json:"error"`
	Description string                                    `json:"description"`
	Details     map[string][]struct{ Description string } `json:"details"`
}

func parseSupportError(body []byte) (code, desc string, fields []fieldProblem, ok bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return "", "", nil, false
	}
	var b supportErrorBody
	if json.Unmarshal(body, &b) != nil {
		return "", "", nil, false
	}
	if len(b.Error) > 0 {
		var s string
		if json.Unmarshal(b.Error, &s) == nil {
			code = s
		} else {
			var obj struct{ Title, Message string }
			if json.Unmarshal(b.Error, &obj) == nil {
				code, desc = obj.Title, obj.Message
			}
		}
	}
	if b.Description != "" {
		desc = b.Description
	}
	keys := make([]string, 0, len(b.Details))
	for k := range b.Details {
		keys = append(keys, k)
	}
	// "base" problems are not about one field: list them last.
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == "base") != (keys[j] == "base") {
			return keys[j] == "base"
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		for _, d := range b.Details[k] {
			fields = append(fields, fieldProblem{Field: k, Description: d.Description})
		}
	}
	return code, desc, fields, true
}

// decodeSupportError feeds transport's APIError with Zendesk's error code,
// description and field details (the details carry the interesting part,
// e.g. "Status: closed prevents ticket update").
func decodeSupportError(status int, body []byte) transport.ErrorInfo {
	code, desc, fields, ok := parseSupportError(body)
	if !ok {
		return transport.DecodeErrorBody(status, body)
	}
	msg := desc
	if len(fields) > 0 {
		parts := make([]string, 0, len(fields))
		for _, f := range fields {
			parts = append(parts, f.Field+": "+f.Description)
		}
		if msg != "" {
			msg += " "
		}
		msg += "(" + strings.Join(parts, "; ") + ")"
	}
	return transport.ErrorInfo{Code: code, Message: msg}
}

// classifySupport marks Zendesk's refusal to update a closed ticket (422
// RecordInvalid "closed prevents ticket update", under details.status or
// details.base) as helpdesk.ErrConversationClosed.
func classifySupport(e *helpdesk.APIError) {
	if e.StatusCode == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(e.Message), "closed prevents ticket update") {
		e.Kind = helpdesk.ErrConversationClosed
	}
}

// classifySunshine marks 423 Locked (a conversation holding the maximum of
// 30,000 messages) as closed: it accepts no more messages.
func classifySunshine(e *helpdesk.APIError) {
	if e.StatusCode == http.StatusLocked {
		e.Kind = helpdesk.ErrConversationClosed
	}
}

// fieldError turns a 422 validation failure (other than a closed ticket)
// into a *helpdesk.FieldError naming the first field Zendesk complained
// about, e.g. a ticket field required to solve. Other errors pass through.
func fieldError(err error) error {
	var ae *helpdesk.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnprocessableEntity || ae.Kind == helpdesk.ErrConversationClosed {
		return err
	}
	_, desc, fields, ok := parseSupportError([]byte(ae.Body))
	if !ok || len(fields) == 0 {
		// The excerpt may be cut; fall back on the decoded message.
		if i := strings.Index(ae.Message, "("); i >= 0 {
			inner := strings.TrimSuffix(ae.Message[i+1:], ")")
			if f, d, found := strings.Cut(strings.Split(inner, "; ")[0], ": "); found {
				return &helpdesk.FieldError{Field: f, Problem: d, Err: ae}
			}
		}
		if desc == "" {
			desc = ae.Message
		}
		if desc == "" {
			return err
		}
		return &helpdesk.FieldError{Field: "ticket", Problem: desc, Err: ae}
	}
	return &helpdesk.FieldError{Field: fields[0].Field, Problem: fields[0].Description, Err: ae}
}
