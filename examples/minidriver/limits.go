package minidriver

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Minidesk's published limits.
const (
	// RequestsPerMinute is the account-wide API limit per token.
	RequestsPerMinute = 300
	// ConversationWrites is how many writes (replies, closes, assignments)
	// Minidesk accepts on one ticket per ConversationWindow; the default
	// of Options.ConversationLimit.
	ConversationWrites = 20
	// ConversationWindow is the window of ConversationWrites.
	ConversationWindow = time.Minute
)

// Limits are the limits the default budget paces requests with. A shared
// budget (helpdesk/budget/redisbudget) for several replicas is built with
// them and HeaderReader.
var Limits = []budget.Limit{{Count: RequestsPerMinute, Window: time.Minute}}

// HeaderReader reads Minidesk's rate-limit headers: it sends only
// Retry-After, in seconds, on its 429s.
var HeaderReader budget.HeaderReader = budget.RetryAfterHeaders

// Error codes Minidesk puts in {"error":{"code":...}}.
const (
	CodeTicketClosed = "ticket_closed"
	CodeNotFound     = "not_found"
	CodeRateLimited  = "rate_limited"
	CodeUnauthorized = "unauthorized"
	CodeInvalid      = "invalid_request"
)

// RequestIDHeader carries Minidesk's request id on every answer.
const RequestIDHeader = "X-Request-Id"

// errorBody is Minidesk's error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// decodeError reads {"error":{"code","message"}}; anything else leaves the
// excerpt in APIError.Body to speak for itself.
func decodeError(_ int, body []byte) transport.ErrorInfo {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return transport.ErrorInfo{}
	}
	return transport.ErrorInfo{Code: eb.Error.Code, Message: eb.Error.Message}
}

// classify maps Minidesk's codes onto the helpdesk sentinels the status
// alone does not say.
func classify(e *helpdesk.APIError) {
	if e.StatusCode == http.StatusConflict && e.Code == CodeTicketClosed {
		e.Kind = helpdesk.ErrConversationClosed
	}
}
