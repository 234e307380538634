package driver_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

// stub is a Driver that records what reached it.
type stub struct {
	mu       sync.Mutex
	caps     helpdesk.Capabilities
	calls    []string
	sendErr  error
	resolErr error
	verified int
}

func (s *stub) Vendor() string                      { return "stub" }
func (s *stub) Capabilities() helpdesk.Capabilities { return s.caps }
func (s *stub) rec(c string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}
func (s *stub) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *stub) SendMessage(_ context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	s.rec("send:" + conv.ID + ":" + msg.Text + ":resolve=" + strconv.FormatBool(msg.Resolve))
	if s.sendErr != nil {
		return nil, s.sendErr
	}
	return &helpdesk.Receipt{MessageID: "m1", Resolved: msg.Resolve}, nil
}
func (s *stub) Resolve(_ context.Context, conv helpdesk.Conversation) error {
	s.rec("resolve:" + conv.ID)
	return s.resolErr
}
func (s *stub) Reassign(_ context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	s.rec("reassign:" + conv.ID + ":" + to.String())
	return nil
}
func (s *stub) VerifyWebhook(req *helpdesk.WebhookRequest) error {
	s.mu.Lock()
	s.verified++
	s.mu.Unlock()
	if req.Header.Get("X-Ok") != "yes" {
		return driver.InvalidSignature(helpdesk.ErrSignatureMismatch, "bad")
	}
	return nil
}
func (s *stub) ParseWebhook(context.Context, *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	s.rec("parse")
	return []helpdesk.Event{{Type: helpdesk.EventOther}}, nil
}
func (s *stub) As(i any) bool {
	if p, ok := i.(**stub); ok {
		*p = s
		return true
	}
	return false
}
func (s *stub) ErrorAs(err error, i any) bool { return driver.ErrorAs(err, i) }

// numericTargets checks ids the way drivers with numeric ids do.
type numericTargets struct{ *stub }

func (n numericTargets) CheckTarget(to helpdesk.Target) error {
	if _, err := strconv.Atoi(to.ID); err != nil {
		return &helpdesk.FieldError{Field: "id", Problem: "not a number"}
	}
	return nil
}

func newPortable(t *testing.T, d driver.Driver, o *driver.Options) *driver.Portable {
	t.Helper()
	p, err := driver.New(d, o)
	require.NoError(t, err)
	return p
}

var conv = helpdesk.Conversation{Vendor: "stub", ID: "7"}

// allCaps is every capability but opening conversations, which the plain
// stub does not implement.
const allCaps = helpdesk.AllCapabilities &^ helpdesk.Capabilities(helpdesk.CapCreateConversation)

func TestPortableGatesUndeclaredCapabilities(t *testing.T) {
	ctx := context.Background()
	s := &stub{caps: helpdesk.Capabilities(helpdesk.CapSendMessage)}
	p := newPortable(t, s, nil)
	cases := []struct {
		name string
		call func() error
	}{
		{"note", func() error {
			_, err := p.SendMessage(ctx, conv, helpdesk.Message{Text: "n", Internal: true})
			return err
		}},
		{"attachments", func() error {
			_, err := p.SendMessage(ctx, conv, helpdesk.Message{Text: "a", Attachments: []helpdesk.Attachment{{URL: "https://x/y.png"}}})
			return err
		}},
		{"resolve with message", func() error {
			_, err := p.SendMessage(ctx, conv, helpdesk.Message{Text: "bye", Resolve: true})
			return err
		}},
		{"resolve", func() error { return p.Resolve(ctx, conv) }},
		{"reassign group", func() error { return p.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "1"}) }},
		{"reassign agent", func() error { return p.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "1"}) }},
		{"webhooks", func() error {
			_, err := p.ParseWebhook(ctx, &helpdesk.WebhookRequest{Body: []byte("{}"), Header: http.Header{"X-Ok": {"yes"}}})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.ErrorIs(t, err, helpdesk.ErrUnsupported)
			var oe *helpdesk.OpError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, "stub", oe.Vendor)
		})
	}
	require.Empty(t, s.got(), "an undeclared call must never reach the driver")
	require.Zero(t, s.verified)
}

func TestPortableInputChecks(t *testing.T) {
	ctx := context.Background()
	s := &stub{caps: allCaps}
	p := newPortable(t, numericTargets{s}, nil)
	_, err := p.SendMessage(ctx, conv, helpdesk.Message{Text: " \n\t"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	_, err = p.SendMessage(ctx, helpdesk.Conversation{Vendor: "stub"}, helpdesk.Message{Text: "hi"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	_, err = p.SendMessage(ctx, helpdesk.Conversation{Vendor: "zendesk", ID: "1"}, helpdesk.Message{Text: "hi"})
	var fe *helpdesk.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "conversation.vendor", fe.Field)
	_, err = p.SendMessage(ctx, conv, helpdesk.Message{Text: "x", Attachments: []helpdesk.Attachment{{Name: "no url"}}})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.ErrorIs(t, p.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup}), helpdesk.ErrInvalidRequest)
	require.ErrorIs(t, p.Reassign(ctx, conv, helpdesk.Target{Kind: "team", ID: "1"}), helpdesk.ErrInvalidRequest)
	err = p.Reassign(ctx, conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "n2"})
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "id", fe.Field, "the driver's target check runs")
	require.Empty(t, s.got(), "invalid input must never reach the driver")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = p.SendMessage(cctx, conv, helpdesk.Message{Text: "late"})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, p.Resolve(cctx, conv), context.Canceled)
	require.ErrorIs(t, p.Reassign(cctx, conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "1"}), context.Canceled)
	require.Empty(t, s.got())

	// Attachments alone are a message when the driver takes them.
	_, err = p.SendMessage(ctx, conv, helpdesk.Message{Attachments: []helpdesk.Attachment{{URL: "https://x/y.pdf"}}})
	require.NoError(t, err)
}

func TestPortableResolveFallback(t *testing.T) {
	ctx := context.Background()
	t.Run("one request where the driver can", func(t *testing.T) {
		s := &stub{caps: allCaps}
		rc, err := newPortable(t, s, nil).SendMessage(ctx, conv, helpdesk.Message{Text: "bye", Resolve: true})
		require.NoError(t, err)
		require.True(t, rc.Resolved)
		require.Equal(t, []string{"send:7:bye:resolve=true"}, s.got())
	})
	t.Run("message then resolve otherwise", func(t *testing.T) {
		s := &stub{caps: allCaps &^ helpdesk.Capabilities(helpdesk.CapResolveWithMessage)}
		rc, err := newPortable(t, s, nil).SendMessage(ctx, conv, helpdesk.Message{Text: "bye", Resolve: true})
		require.NoError(t, err)
		require.True(t, rc.Resolved)
		require.Equal(t, []string{"send:7:bye:resolve=false", "resolve:7"}, s.got(), "the driver never sees Resolve it did not declare")
	})
	t.Run("a failed resolve keeps the receipt", func(t *testing.T) {
		s := &stub{caps: allCaps &^ helpdesk.Capabilities(helpdesk.CapResolveWithMessage), resolErr: helpdesk.ErrConversationClosed}
		rc, err := newPortable(t, s, nil).SendMessage(ctx, conv, helpdesk.Message{Text: "bye", Resolve: true})
		var ra *helpdesk.ResolveAfterReplyError
		require.ErrorAs(t, err, &ra)
		require.ErrorIs(t, err, helpdesk.ErrConversationClosed)
		require.NotNil(t, rc)
		require.Equal(t, "m1", rc.MessageID)
		require.False(t, rc.Resolved)
	})
	t.Run("a failed message is not resolved", func(t *testing.T) {
		s := &stub{caps: allCaps &^ helpdesk.Capabilities(helpdesk.CapResolveWithMessage), sendErr: helpdesk.ErrNotFound}
		_, err := newPortable(t, s, nil).SendMessage(ctx, conv, helpdesk.Message{Text: "bye", Resolve: true})
		require.ErrorIs(t, err, helpdesk.ErrNotFound)
		require.Equal(t, []string{"send:7:bye:resolve=false"}, s.got())
	})
}

func TestPortableWrapsErrorsOnce(t *testing.T) {
	api := &helpdesk.APIError{Vendor: "stub", StatusCode: 404, Kind: helpdesk.ErrNotFound, RequestID: "r-1"}
	s := &stub{caps: allCaps, sendErr: &helpdesk.OpError{Op: helpdesk.OpSendMessage, Vendor: "stub", Err: api}}
	p := newPortable(t, s, nil)
	_, err := p.SendMessage(context.Background(), conv, helpdesk.Message{Text: "x"})
	var oe *helpdesk.OpError
	require.ErrorAs(t, err, &oe)
	require.Same(t, s.sendErr, err, "an error already wrapped is not wrapped again")

	s.sendErr = api
	_, err = p.SendMessage(context.Background(), conv, helpdesk.Message{Text: "x"})
	require.ErrorAs(t, err, &oe)
	require.Equal(t, helpdesk.OpSendMessage, oe.Op)
	require.Equal(t, "7", oe.Conversation)
	var got *helpdesk.APIError
	require.ErrorAs(t, err, &got)
	require.Equal(t, "r-1", got.RequestID)
	require.ErrorIs(t, err, helpdesk.ErrNotFound)
	require.Equal(t, "stub: send message (conversation 7): "+api.Error(), err.Error())
}

func TestPortableVerifiesBeforeParsing(t *testing.T) {
	s := &stub{caps: allCaps}
	p := newPortable(t, s, nil)
	_, err := p.ParseWebhook(context.Background(), &helpdesk.WebhookRequest{Body: []byte("{}"), Header: http.Header{}})
	require.ErrorIs(t, err, helpdesk.ErrSignatureMismatch)
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
	require.Equal(t, http.StatusUnauthorized, helpdesk.WebhookStatus(err))
	require.Empty(t, s.got(), "an unverified delivery is never parsed")
	_, err = p.ParseWebhook(context.Background(), nil)
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
	_, err = p.ParseWebhook(context.Background(), &helpdesk.WebhookRequest{Header: http.Header{"X-Ok": {"yes"}}})
	require.ErrorIs(t, err, helpdesk.ErrInvalidPayload)
	ev, err := p.ParseWebhook(context.Background(), &helpdesk.WebhookRequest{Body: []byte("{}"), Header: http.Header{"X-Ok": {"yes"}}})
	require.NoError(t, err)
	require.Len(t, ev, 1)
	require.Equal(t, []string{"parse"}, s.got())
}

type oddVerifier struct{ *stub }

func (oddVerifier) VerifyWebhook(*helpdesk.WebhookRequest) error { return errors.New("boom") }

func TestPortableVerifierFailureIsNeverAccepted(t *testing.T) {
	s := &stub{caps: allCaps}
	p := newPortable(t, oddVerifier{s}, nil)
	_, err := p.ParseWebhook(context.Background(), &helpdesk.WebhookRequest{Body: []byte("{}"), Header: http.Header{"X-Ok": {"yes"}}})
	require.ErrorIs(t, err, helpdesk.ErrInvalidSignature)
	require.Equal(t, http.StatusUnauthorized, helpdesk.WebhookStatus(err))
	require.Empty(t, s.got())
}

func TestPortableConversationGuard(t *testing.T) {
	s := &stub{caps: allCaps}
	p := newPortable(t, s, &driver.Options{ConversationLimit: budget.Limit{Count: 2, Window: 10 * time.Minute, Burst: 1}})
	ctx := context.Background()
	_, err := p.SendMessage(ctx, conv, helpdesk.Message{Text: "first"})
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = p.SendMessage(short, conv, helpdesk.Message{Text: "second"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	other := helpdesk.Conversation{Vendor: "stub", ID: "8"}
	_, err = p.SendMessage(ctx, other, helpdesk.Message{Text: "first"})
	require.NoError(t, err, "another conversation has its own allowance")
	require.Equal(t, []string{"send:7:first:resolve=false", "send:8:first:resolve=false"}, s.got())

	_, err = driver.New(s, &driver.Options{ConversationLimit: budget.Limit{Count: 2}})
	require.Error(t, err)
}

func TestAsReachesTheDriver(t *testing.T) {
	s := &stub{caps: allCaps}
	var hd helpdesk.Helpdesk = newPortable(t, s, nil)
	var got *stub
	require.True(t, helpdesk.As(hd, &got))
	require.Same(t, s, got)
	var wrong *int
	require.False(t, helpdesk.As(hd, &wrong))

	api := &helpdesk.APIError{StatusCode: 500}
	var ae *helpdesk.APIError
	require.True(t, helpdesk.ErrorAs(hd, &helpdesk.OpError{Err: api}, &ae))
	require.Same(t, api, ae)
	var notErr string
	require.False(t, helpdesk.ErrorAs(hd, api, &notErr), "a target errors.As would panic on is refused")
	require.False(t, helpdesk.ErrorAs(hd, nil, &ae))
}

type creator struct{ *stub }

func (c creator) CreateConversation(_ context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error) {
	c.rec("create:" + req.Text)
	if req.Text == "no id" {
		return helpdesk.Conversation{}, nil
	}
	return helpdesk.Conversation{ID: "99"}, nil
}

func TestPortableCreateConversation(t *testing.T) {
	ctx := context.Background()
	req := helpdesk.NewConversation{Requester: helpdesk.Author{Email: "ana@example.com"}, Text: "hello"}

	_, err := driver.New(&stub{caps: helpdesk.AllCapabilities}, nil)
	require.Error(t, err, "declaring create-conversation without implementing it is refused at construction")

	s := &stub{caps: helpdesk.AllCapabilities}
	p := newPortable(t, creator{s}, nil)
	conv, err := p.CreateConversation(ctx, req)
	require.NoError(t, err)
	require.Equal(t, helpdesk.Conversation{Vendor: "stub", ID: "99"}, conv)

	_, err = p.CreateConversation(ctx, helpdesk.NewConversation{Text: "hello"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	_, err = p.CreateConversation(ctx, helpdesk.NewConversation{Requester: helpdesk.Author{ID: "1"}, Text: "  "})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	_, err = p.CreateConversation(ctx, helpdesk.NewConversation{Requester: helpdesk.Author{ID: "1"}, Text: "no id"})
	require.Error(t, err, "a driver answer without an id is an error")
	require.Equal(t, []string{"create:hello", "create:no id"}, s.got())

	s2 := &stub{caps: helpdesk.AllCapabilities &^ helpdesk.Capabilities(helpdesk.CapCreateConversation)}
	p2 := newPortable(t, creator{s2}, nil)
	_, err = p2.CreateConversation(ctx, req)
	require.ErrorIs(t, err, helpdesk.ErrUnsupported)
	require.Empty(t, s2.got())
}
