package cloudchat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/split"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Limit names passed to the budget in transport.Call.Limits. A budget
// configured with a PerEndpoint limit of that name paces the calls; see
// DefaultLimits.
const (
	// LimitMessages is drawn on by every message create (SendMessage,
	// Reassign's notice and note, SendTemplate).
	LimitMessages = "messages-per-conversation"
	// LimitContactSearch is drawn on by GET /contacts/search (100/min per
	// account).
	LimitContactSearch = "contact-search"
)

// DefaultConversationLimit is Chatwoot's flood guard
// (CONVERSATION_MESSAGE_PER_MINUTE_LIMIT): messages a minute in one
// conversation before it answers 422 "Too many messages".
const DefaultConversationLimit = 200

// conversationLimit is the per-conversation guard for Options.ConversationLimit
// n: n writes a minute, a quarter of them at once.
func conversationLimit(n int) budget.Limit {
	if n < 0 {
		return budget.Limit{}
	}
	if n == 0 {
		n = DefaultConversationLimit
	}
	return budget.Limit{Count: n, Window: time.Minute, Burst: max(1, n/4)}
}

// DefaultLimits are Chatwoot's default Rack::Attack throttles the driver's
// requests draw on: 3000 requests a minute per client IP (every account and
// replica calling from one address shares it) and 100 contact searches a
// minute per account (LimitContactSearch). The 200-messages-a-minute flood
// guard is per conversation: Options.ConversationLimit paces it in process,
// and a 422 "Too many messages" still comes back as
// helpdesk.ErrRateLimited. Operators can change all three, so pass your
// instance's values if they differ.
func DefaultLimits() []budget.Limit {
	return []budget.Limit{
		{Count: 3000, Window: time.Minute},
		{Name: LimitContactSearch, PerEndpoint: true, Count: 100, Window: time.Minute},
	}
}

// Limits returns the limits the driver's budget paces to: DefaultLimits.
// Every driver's Config has Limits, BudgetKey and a Headers reader, the
// three pieces of a budget of your own (a shared one on Redis, say).
func (c Config) Limits() []budget.Limit { return DefaultLimits() }

// BudgetKey labels the budget of an instance: Chatwoot counts requests per
// client IP, not per account, so the key is the instance's host and every
// account the service reaches on it shares one budget.
func (c Config) BudgetKey() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Host == "" {
		return Vendor + ":" + c.BaseURL
	}
	return Vendor + ":" + u.Host
}

// Headers is the budget's reading of Chatwoot responses (pass it
// with budget.WithHeaders to a budget you build yourself). Chatwoot sends
// no rate-limit headers and answers 429 without Retry-After from a fixed
// one-minute window, so a 429 pauses the budget for RetryAfter's wait:
// until the next minute boundary.
func Headers(status int, h http.Header, now time.Time) budget.Feedback {
	d, ok := RetryAfter(&http.Response{StatusCode: status, Header: h}, now)
	if !ok {
		return budget.Feedback{}
	}
	return budget.Feedback{RetryAfter: d}
}

// RetryAfter reads how long a Chatwoot 429 asks to wait. A Retry-After (or
// RateLimit-Reset) added by a proxy in front of the instance wins, read by
// transport.ParseRetryAfter. Otherwise, since Rack::Attack throttles per
// fixed clock minute and answers "Retry later" as text/plain with no
// Retry-After, the wait is up to the next minute boundary, measured on the
// server's Date header when present (the window is keyed on the server's
// clock) and on now otherwise. It is the transport's RetryAfter hook and
// Headers' rule, so one 429 gives one wait.
func RetryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if d, ok := transport.ParseRetryAfter(resp, now); ok {
		return d, true
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	return untilNextMinute(resp.Header, now), true
}

// untilNextMinute returns the time from the server's clock (Date header, or
// now) to the next whole minute: always in (0, 60 s].
func untilNextMinute(h http.Header, now time.Time) time.Duration {
	t := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		t = d
	}
	sec := t.Unix() % 60
	if sec < 0 {
		sec += 60
	}
	d := time.Duration(60-sec)*time.Second - time.Duration(t.Nanosecond())
	if d <= 0 {
		d = time.Minute
	}
	return d
}

// requestIDHeaders is where Chatwoot (Rails) puts its request id.
var requestIDHeaders = []string{"X-Request-Id"}

// DecodeError reads a Chatwoot error body (the transport's DecodeError
// hook): {"error":"…"} for most failures, {"message":"…","attributes":[…]}
// for validation errors (RecordInvalid), {"errors":["…"]} from the sign-in
// layer, or plain text (Rack::Attack's "Retry later", a proxy's HTML page),
// of which the first line is kept.
func DecodeError(_ int, body []byte) transport.ErrorInfo {
	var info transport.ErrorInfo
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return info
	}
	var m struct {
		Error   json.RawMessage `json:"error"`
		Message json.RawMessage `json:"message"`
		Errors  json.RawMessage `json:"errors"`
	}
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &m) != nil {
		line, _, _ := strings.Cut(string(trimmed), "\n")
		if len(line) > 200 {
			line = line[:200]
		}
		info.Message = strings.TrimSpace(line)
		return info
	}
	info.Message = firstNonEmpty(jsonText(m.Error), jsonText(m.Message))
	if info.Message == "" && len(m.Errors) > 0 && m.Errors[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(m.Errors, &list) == nil && len(list) > 0 {
			info.Message = jsonText(list[0])
		}
	}
	return info
}

// jsonText returns a JSON string's text; other values give "".
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// classify adjusts Chatwoot errors (the transport's Classify hook): the
// flood guard's 422 "Too many messages" is a rate limit, not an invalid
// request.
func classify(e *helpdesk.APIError) {
	if e.StatusCode == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(e.Message), "too many messages") {
		e.Kind = helpdesk.ErrRateLimited
		if e.RetryAfter == 0 {
			e.RetryAfter = time.Minute
		}
	}
}

// Unit is how a channel counts message length (a helpdesk/split measure).
type Unit = split.Measure

// Units the channel limits use.
const (
	// Runes counts Unicode code points.
	Runes = split.Runes
	// Bytes counts UTF-8 bytes (Instagram: "1000 bytes or less").
	Bytes = split.Bytes
	// UTF16 counts UTF-16 code units (Telegram; emoji count two).
	UTF16 = split.UTF16
)

// Backend cap on message content (Chatwoot Message validation); it also
// bounds internal notes, which reach no channel.
const maxContent = 150000

// MessageLimit returns the longest text a public message on ch may carry and
// how it is counted: the channel's row for Chatwoot in helpdesk/split's
// table (split.PresetFor(Vendor, ch)). Chatwoot's server only caps content
// at 150,000 characters and does not split; the driver enforces its
// dashboard's per-channel caps: WhatsApp 4096, Twilio WhatsApp 1600, SMS
// 320, Messenger 2000, Instagram 1000 bytes, Telegram 4096 UTF-16 units,
// LINE 2000, e-mail 25,000, web chat / API / others 10,000.
func MessageLimit(ch helpdesk.Channel) (int, Unit) {
	l := SplitLimit(ch)
	return l.Max, l.Measure
}

// SplitLimit returns MessageLimit(ch) as a helpdesk/split limit, so that
// every part split.New(SplitLimit(ch)) produces passes SendMessage's check:
//
//	s, _ := split.New(cloudchat.SplitLimit(conv.Channel))
//	helpdesk.Reply(ctx, client, conv, answer, helpdesk.ReplyOptions{Splitter: s})
func SplitLimit(ch helpdesk.Channel) split.Limit {
	l, ok := split.PresetFor(Vendor, string(ch))
	if !ok { // the table has a row for every Chatwoot channel
		l = split.Limit{Max: maxContent, Measure: split.Runes}
	}
	return l
}

// TooLongError is returned by SendMessage, before any request, for a text
// longer than its channel allows. It matches helpdesk.ErrInvalidRequest.
type TooLongError struct {
	Channel helpdesk.Channel
	Limit   int
	Unit    Unit
	Length  int
}

func (e *TooLongError) Error() string {
	ch := string(e.Channel)
	if ch == "" {
		ch = "unknown channel"
	}
	return fmt.Sprintf("cloudchat: message of %d %s exceeds the %s limit of %d; split it (helpdesk.Reply with a helpdesk/split splitter)", e.Length, e.Unit, ch, e.Limit)
}

// Unwrap matches helpdesk.ErrInvalidRequest.
func (e *TooLongError) Unwrap() error { return helpdesk.ErrInvalidRequest }

func checkLength(ch helpdesk.Channel, text string, internal bool) error {
	l := SplitLimit(ch)
	if internal {
		l = split.Limit{Max: maxContent, Measure: split.Runes}
	}
	if l.Unlimited() {
		return nil
	}
	switch l.Measure {
	case split.Runes, split.UTF16, split.Graphemes:
		if len(text) <= l.Max { // never more of these than UTF-8 bytes
			return nil
		}
	}
	if n := l.Len(text); n > l.Max {
		return &TooLongError{Channel: ch, Limit: l.Max, Unit: l.Measure, Length: n}
	}
	return nil
}
