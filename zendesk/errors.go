package zendesk

import (
	"errors"
	"net/http"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// ErrAdminRequired is matched when an operation needs an admin token (or a
// custom role with the right permission) and the configured user lacks it,
// e.g. creating the bot group.
var ErrAdminRequired = errors.New("zendesk: an admin token is required")

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
