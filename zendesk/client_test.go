package zendesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

func newTicketClient(t *testing.T, o zendesktest.Options, mutate ...func(*zendesk.Config, *zendesk.Options)) (*zendesktest.Server, *zendesk.Client) {
	t.Helper()
	if o.ValidateSunshine == nil {
		o.ValidateSunshine = sunshineContract(t)
	}
	srv := zendesktest.NewServer(t, &o)
	cfg := srv.Config()
	// Tests run without the default budget (it paces the bot at its share of
	// 100 ticket updates a minute); TestDefaultBudgetStopsAfter429 turns it on.
	opts := &zendesk.Options{MaxRetryWait: 2 * time.Second, NoBudget: true}
	for _, m := range mutate {
		m(&cfg, opts)
	}
	c, err := zendesk.New(cfg, opts)
	require.NoError(t, err)
	return srv, c
}

func ticketConv(srv *zendesktest.Server) (helpdesk.Conversation, int64) {
	id := srv.CreateTicket("Order missing", "Where is my order?")
	return zendesk.TicketConversation(srv.Options().Subdomain, id), id
}

func TestSendMessagePublicCommentByBot(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	conv, id := ticketConv(srv)
	before := srv.Requests()
	rc, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Checking your order now."})
	require.NoError(t, err)
	require.Equal(t, 1, srv.Requests()-before)
	require.NotEmpty(t, rc.MessageID)
	require.False(t, rc.Resolved)
	tk, _ := srv.Ticket(id)
	last := tk.Comments[len(tk.Comments)-1]
	require.Equal(t, "Checking your order now.", last.Body)
	require.True(t, last.Public)
	require.Equal(t, srv.Options().BotUserID, last.AuthorID, "the comment must be authored by the bot user")
	require.Equal(t, strconv.FormatInt(last.ID, 10), rc.MessageID)
	require.Equal(t, "open", tk.Status)
}

func TestFinalMessageSolvesInOneRequest(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	conv, id := ticketConv(srv)
	before := srv.Support.RequestsTo("PUT /api/v2/tickets/" + strconv.FormatInt(id, 10))
	rc, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Done!", Resolve: true})
	require.NoError(t, err)
	require.True(t, rc.Resolved)
	require.Equal(t, 1, srv.Support.RequestsTo("PUT /api/v2/tickets/"+strconv.FormatInt(id, 10))-before)
	tk, _ := srv.Ticket(id)
	require.Equal(t, "solved", tk.Status)
	require.Equal(t, 1, tk.Updates)
}

func TestIdempotencyKeyPreventsDoublePost(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	conv, id := ticketConv(srv)
	msg := helpdesk.Message{Text: "Only once, please.", IdempotencyKey: "reply-42/1"}
	r1, err := c.SendMessage(context.Background(), conv, msg)
	require.NoError(t, err)
	// The host retries the same message (e.g. after a timeout it could not
	// interpret): Zendesk replays the first answer.
	r2, err := c.SendMessage(context.Background(), conv, msg)
	require.NoError(t, err)
	require.Equal(t, r1.MessageID, r2.MessageID)
	tk, _ := srv.Ticket(id)
	require.Len(t, tk.Comments, 2, "the customer's comment and one bot comment")

	// A 500 may follow processing: the driver reads the comments back,
	// does not find it, and sends again: still one comment.
	srv.Support.FailNext(http.StatusInternalServerError)
	before := srv.Requests()
	_, err = c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "After a hiccup."})
	require.NoError(t, err)
	require.Equal(t, 3, srv.Requests()-before, "the update, the read-back, the update again")
	tk, _ = srv.Ticket(id)
	require.Len(t, tk.Comments, 3)
}

func TestClosedTicketIsConversationClosed(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	conv, id := ticketConv(srv)
	srv.SetStatus(id, "closed")
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hello?"})
	require.ErrorIs(t, err, helpdesk.ErrConversationClosed)
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusUnprocessableEntity, ae.StatusCode)
	require.ErrorIs(t, c.Resolve(context.Background(), conv), helpdesk.ErrConversationClosed)
	require.ErrorIs(t, c.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200"}), helpdesk.ErrConversationClosed)
}

func TestRequiredToSolveIsFieldError(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	srv.RequireOnSolve(zendesktest.RequiredField{Key: "reason_for_contact", Title: "Reason for contact"})
	conv, _ := ticketConv(srv)
	err := c.Resolve(context.Background(), conv)
	var fe *helpdesk.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "reason_for_contact", fe.Field)
	require.Contains(t, fe.Problem, "required when solving")
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae, "the FieldError wraps the APIError")

	_, err = c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "bye", Resolve: true})
	require.ErrorAs(t, err, &fe)
}

func TestReassignGroupClearsAssigneeInOneRequest(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	conv, id := ticketConv(srv)
	before := srv.Requests()
	err := c.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200", Notice: "A specialist will take over."})
	require.NoError(t, err)
	require.Equal(t, 1, srv.Requests()-before)
	tk, _ := srv.Ticket(id)
	require.Equal(t, int64(200), tk.GroupID)
	require.Zero(t, tk.AssigneeID, "the bot must not stay assignee (the fake refuses a non-member)")
	require.Equal(t, "open", tk.Status)
	last := tk.Comments[len(tk.Comments)-1]
	require.True(t, last.Public)
	require.Equal(t, "A specialist will take over.", last.Body)

	// Note only: one private comment, still one request.
	conv2, id2 := ticketConv(srv)
	before = srv.Requests()
	require.NoError(t, c.Reassign(context.Background(), conv2, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200", Note: "billing dispute"}))
	require.Equal(t, 1, srv.Requests()-before)
	tk, _ = srv.Ticket(id2)
	require.False(t, tk.Comments[len(tk.Comments)-1].Public)
}

func TestReassignNoticeAndNoteCostTwoRequests(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	conv, id := ticketConv(srv)
	before := srv.Requests()
	err := c.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200",
		Notice: "Passing you to a specialist.", Note: "Customer disputes invoice 7781."})
	require.NoError(t, err)
	require.Equal(t, 2, srv.Requests()-before, "Zendesk takes one comment per update")
	tk, _ := srv.Ticket(id)
	n := len(tk.Comments)
	require.Equal(t, "Customer disputes invoice 7781.", tk.Comments[n-2].Body, "the note goes first")
	require.False(t, tk.Comments[n-2].Public)
	require.Equal(t, "Passing you to a specialist.", tk.Comments[n-1].Body, "the notice goes with the handover")
	require.True(t, tk.Comments[n-1].Public)
	require.Equal(t, int64(200), tk.GroupID)
}

func TestReassignAgentAndBadTargets(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	conv, id := ticketConv(srv)
	require.NoError(t, c.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "501"}))
	tk, _ := srv.Ticket(id)
	require.Equal(t, int64(501), tk.AssigneeID)
	require.Equal(t, int64(200), tk.GroupID)

	before := srv.Requests()
	for _, to := range []helpdesk.Target{{Kind: helpdesk.TargetGroup, ID: "level-2"}, {Kind: "team", ID: "1"}, {Kind: helpdesk.TargetAgent}} {
		err := c.Reassign(context.Background(), conv, to)
		require.ErrorIs(t, err, helpdesk.ErrInvalidRequest, to)
	}
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "  "})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	_, err = c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "see file", Attachments: []helpdesk.Attachment{{URL: "https://x"}}})
	require.ErrorIs(t, err, helpdesk.ErrUnsupported)
	_, err = c.SendMessage(context.Background(), helpdesk.Conversation{Vendor: "zendesk", ID: "abc"}, helpdesk.Message{Text: "x"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Equal(t, before, srv.Requests(), "refused locally, no request")

	// An assignee outside the group is Zendesk's RecordInvalid, as a FieldError.
	other := srv.AddGroup("Other")
	err = c.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.FormatInt(other, 10)})
	require.NoError(t, err, "the driver clears the assignee, so a group without the agent is fine")
}

func TestGroupsAndTickets(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{}, func(cfg *zendesk.Config, _ *zendesk.Options) { cfg.BotGroupID = 0 })
	for i := 0; i < 150; i++ {
		srv.AddGroup("Team " + strconv.Itoa(i))
	}
	before := srv.Requests()
	groups, err := c.ListGroups(context.Background())
	require.NoError(t, err)
	require.Len(t, groups, 152)
	require.Equal(t, 2, srv.Requests()-before, "cursor pagination, 100 per page")

	id, err := c.EnsureBotGroup(context.Background(), "Team 7")
	require.NoError(t, err)
	require.NotZero(t, id)
	id, err = c.EnsureBotGroup(context.Background(), "AI Agent")
	require.NoError(t, err)
	groups, _ = c.ListGroups(context.Background())
	require.Equal(t, "AI Agent", groups[len(groups)-1].Name)
	require.Equal(t, id, int64(groups[len(groups)-1].ID))

	_, tid := ticketConv(srv)
	tk, err := c.GetTicket(context.Background(), tid)
	require.NoError(t, err)
	require.Equal(t, "open", tk.Status)
	require.Equal(t, zendesk.ID(100), tk.GroupID)
	conv := tk.Conversation("acme")
	require.Equal(t, "100", conv.Get(zendesk.ExtraGroupID))
	_, err = c.GetTicket(context.Background(), 999999)
	require.ErrorIs(t, err, helpdesk.ErrNotFound)
}

func TestCreateGroupNeedsAdmin(t *testing.T) {
	_, c := newTicketClient(t, zendesktest.Options{NotAdmin: true}, func(cfg *zendesk.Config, _ *zendesk.Options) { cfg.BotGroupID = 0 })
	_, err := c.EnsureBotGroup(context.Background(), "AI Agent")
	require.ErrorIs(t, err, zendesk.ErrAdminRequired)
	require.ErrorIs(t, err, helpdesk.ErrUnauthorized)
	require.Contains(t, err.Error(), "admin")
	require.NotContains(t, err.Error(), zendesktest.DefaultAPIToken)
}

func TestOAuthCredentials(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{OAuthClientID: "agentdesk", OAuthClientSecret: "cc-secret-123456"},
		func(cfg *zendesk.Config, _ *zendesk.Options) {
			cfg.APIToken, cfg.Email = "", ""
			cfg.OAuthClientID, cfg.OAuthClientSecret = "agentdesk", "cc-secret-123456"
		})
	conv, _ := ticketConv(srv)
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "via OAuth"})
	require.NoError(t, err)
	_, err = c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "token reused"})
	require.NoError(t, err)
	require.Equal(t, 1, srv.Support.RequestsTo("POST /oauth/tokens"), "the access token is cached")

	srv2, c2 := newTicketClient(t, zendesktest.Options{OAuthToken: "static-oauth-token"}, func(cfg *zendesk.Config, _ *zendesk.Options) {
		cfg.APIToken, cfg.Email, cfg.OAuthToken = "", "", "static-oauth-token"
	})
	conv2, _ := ticketConv(srv2)
	_, err = c2.SendMessage(context.Background(), conv2, helpdesk.Message{Text: "bearer"})
	require.NoError(t, err)

	_, c3 := newTicketClient(t, zendesktest.Options{}, func(cfg *zendesk.Config, _ *zendesk.Options) { cfg.APIToken = "wrong-token-abcdef" })
	err = c3.Resolve(context.Background(), conv2)
	require.ErrorIs(t, err, helpdesk.ErrUnauthorized)
	require.NotContains(t, err.Error(), "wrong-token-abcdef")
}

func TestRateLimitedWithZendeskHeaders(t *testing.T) {
	// The fake's windows follow its clock like Zendesk's; pin it to the
	// start of an hour so the 429's wait is the whole hour whenever the
	// test runs.
	hour := time.Now().Truncate(time.Hour)
	srv, c := newTicketClient(t, zendesktest.Options{Now: func() time.Time { return hour }}, func(_ *zendesk.Config, o *zendesk.Options) { o.NoBudget = true })
	conv, _ := ticketConv(srv)
	srv.RateLimit(2, time.Hour)
	for i := 0; i < 2; i++ {
		_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "ok " + strconv.Itoa(i)})
		require.NoError(t, err)
	}
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "too many"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae)
	require.Greater(t, ae.RetryAfter, time.Minute)
	require.Equal(t, "APIRateLimitExceeded", ae.Code)
}

func TestDefaultBudgetStopsAfter429(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{}, func(_ *zendesk.Config, o *zendesk.Options) { o.NoBudget = false })
	conv, _ := ticketConv(srv)
	srv.Support.FailNext(http.StatusTooManyRequests)
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "first"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	// The budget saw Retry-After (one hour): a caller that will not wait
	// is refused locally without spending a request.
	before := srv.Requests()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.SendMessage(ctx, conv, helpdesk.Message{Text: "second"})
	require.Error(t, err)
	require.True(t, errors.Is(err, helpdesk.ErrRateLimited) || errors.Is(err, context.DeadlineExceeded), err)
	require.Equal(t, before, srv.Requests())
}

func chatClient(t *testing.T) (*zendesktest.Server, *zendesk.Client) {
	srv := zendesktest.NewServer(t, &zendesktest.Options{ValidateSunshine: sunshineContract(t)})
	cfg := srv.ChatConfig()
	cfg.BotAvatarURL = "https://cdn.example/bot.png"
	cfg.BotAISubtype = true
	c, err := zendesk.New(cfg, &zendesk.Options{MaxRetryWait: 2 * time.Second})
	require.NoError(t, err)
	return srv, c
}

func TestSunshineSendAsBusiness(t *testing.T) {
	srv, c := chatClient(t)
	convID, _ := srv.CreateConversation("oi")
	conv := zendesk.SunshineConversation("acme", srv.Options().SunshineAppID, convID)
	require.Equal(t, zendesk.KindSunshine, zendesk.KindOf(conv))
	rc, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "Olá! Como posso ajudar?"})
	require.NoError(t, err)
	require.NotEmpty(t, rc.MessageID)
	sc, _ := srv.Conversation(convID)
	m := sc.Messages[len(sc.Messages)-1]
	require.Equal(t, "business", m.AuthorType)
	require.Equal(t, zendesktest.DefaultBotName, m.DisplayName)
	require.Equal(t, "https://cdn.example/bot.png", m.AvatarURL)
	require.Equal(t, []string{"AI"}, m.Subtypes)

	before := srv.Requests()
	_, err = c.SendMessage(context.Background(), conv, helpdesk.Message{Text: strings.Repeat("é", zendesk.MaxSunshineText+1)})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	_, err = c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "note", Internal: true})
	require.ErrorIs(t, err, helpdesk.ErrUnsupported, "a note needs the ticket")
	err = c.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: "501"})
	require.ErrorIs(t, err, helpdesk.ErrUnsupported)
	require.Equal(t, before, srv.Requests())

	// Without a ticket, Resolve releases control.
	require.NoError(t, c.Resolve(context.Background(), conv))
	sc, _ = srv.Conversation(convID)
	require.Equal(t, 1, sc.Releases)
}

func TestSunshineReassignPassesControlWithHistory(t *testing.T) {
	srv, c := chatClient(t)
	o := srv.Options()
	convID, tid := srv.CreateConversation("oi")
	// The bot saw the conversation's first message through its webhook.
	body := zendesktest.SunshineDelivery(o.SunshineAppID, zendesktest.SunshineMessage{EventID: "ev1", ConversationID: convID,
		MessageID: "first-msg", AuthorType: "user", UserID: "u1", Text: "oi", SourceType: "whatsapp"})
	events, err := deliver(c, zendesktest.NewSunshineRequest(o.SunshineWebhookSecret, body))
	require.NoError(t, err)
	conv := zendesk.WithTicket(events[0].Conversation, tid)
	require.Equal(t, zendesk.KindBoth, zendesk.KindOf(conv))
	require.Equal(t, "first-msg", conv.Get(zendesk.ExtraFirstMessageID))

	before := srv.Requests()
	err = c.Reassign(context.Background(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "200", Notice: "Um especialista vai continuar.", Note: "cliente VIP"})
	require.NoError(t, err)
	require.Equal(t, 3, srv.Requests()-before, "notice message, passControl, ticket update with group and note")
	sc, _ := srv.Conversation(convID)
	require.Equal(t, zendesk.DefaultAgentWorkspace, sc.Control)
	require.Equal(t, "first-msg", sc.PassControls[0]["first_message_id"])
	require.Equal(t, "Um especialista vai continuar.", sc.Messages[len(sc.Messages)-1].Text)
	tk, _ := srv.Ticket(tid)
	require.Equal(t, int64(200), tk.GroupID)
	require.Zero(t, tk.AssigneeID)
	require.Equal(t, "cliente VIP", tk.Comments[len(tk.Comments)-1].Body)
	require.False(t, tk.Comments[len(tk.Comments)-1].Public)
}

func TestSecretsNotLogged(t *testing.T) {
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := newTicketClient(t, zendesktest.Options{}, func(cfg *zendesk.Config, o *zendesk.Options) {
		cfg.APIToken = "wrong-token-SECRET-1"
		o.Logger = logger
		o.MaxRetries = 1
	})
	conv, _ := ticketConv(srv)
	srv.Support.FailNext(http.StatusServiceUnavailable)
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hello"})
	require.ErrorIs(t, err, helpdesk.ErrUnauthorized)
	require.NotEmpty(t, buf.String())
	require.NotContains(t, buf.String(), "SECRET")
	require.NotContains(t, err.Error(), "SECRET")
	require.NotContains(t, fmt.Sprintf("%+v", c.Config()), "SECRET")
}

// Zendesk allows 30 updates per 10 minutes by one user on one ticket; the
// client refuses locally, without spending a request, once a ticket has
// used its allowance, while other tickets go on.
func TestTicketUpdateLimitPacesOneTicket(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{}, func(_ *zendesk.Config, o *zendesk.Options) {
		o.ConversationLimit = 2 // one at once, the next 5 minutes later
	})
	busy := srv.CreateTicket("Busy", "hello")
	other := srv.CreateTicket("Other", "hello")
	conv := func(id int64) helpdesk.Conversation {
		return helpdesk.Conversation{Vendor: zendesk.Vendor, Account: srv.Options().Subdomain, ID: strconv.FormatInt(id, 10), Channel: helpdesk.ChannelEmail}
	}
	_, err := c.SendMessage(context.Background(), conv(busy), helpdesk.Message{Text: "first"})
	require.NoError(t, err)
	before := srv.Requests()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = c.SendMessage(ctx, conv(busy), helpdesk.Message{Text: "second"})
	require.ErrorIs(t, err, helpdesk.ErrRateLimited)
	require.Equal(t, before, srv.Requests(), "the guard refuses locally")
	_, err = c.SendMessage(context.Background(), conv(other), helpdesk.Message{Text: "first"})
	require.NoError(t, err)
}

// Both hosts' error bodies are read by the driver's decoder, and the
// request id comes from Zendesk's header.
func TestErrorBodiesAndRequestIDs(t *testing.T) {
	srv, c := chatClient(t)
	convID, tid := srv.CreateConversation("oi")
	conv := zendesk.WithTicket(zendesk.SunshineConversation("acme", srv.Options().SunshineAppID, convID), tid)

	srv.Sunshine.FailNext(http.StatusNotFound)
	_, err := c.SendMessage(context.Background(), conv, helpdesk.Message{Text: "olá"})
	var ae *helpdesk.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "not_found", ae.Code)
	require.Equal(t, "Not Found", ae.Message)
	require.ErrorIs(t, err, helpdesk.ErrNotFound)

	srv.Support.FailNext(http.StatusForbidden)
	err = c.Resolve(context.Background(), conv)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "Forbidden", ae.Code)
	require.True(t, strings.HasPrefix(ae.RequestID, "fake-"), ae.RequestID)
}

func TestEscapeHatchesAndPrinting(t *testing.T) {
	_, c := newTicketClient(t, zendesktest.Options{})
	var h helpdesk.Helpdesk = c
	var zc *zendesk.Client
	require.True(t, helpdesk.As(h, &zc))
	require.Same(t, c, zc)
	var other *strings.Builder
	require.False(t, helpdesk.As(h, &other))

	_, err := c.SendMessage(context.Background(), helpdesk.Conversation{Vendor: zendesk.Vendor, ID: "abc"}, helpdesk.Message{Text: "x"})
	var fe *helpdesk.FieldError
	require.True(t, helpdesk.ErrorAs(h, err, &fe))
	var oe *helpdesk.OpError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, helpdesk.OpSendMessage, oe.Op)
	require.Equal(t, zendesk.Vendor, oe.Vendor)

	secrets := []string{zendesktest.DefaultAPIToken, zendesktest.DefaultWebhookSecret, zendesktest.DefaultSunshineSecret, zendesktest.DefaultSunshineWebhookSecret}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("client", "c", c, "cfg", c.Config())
	js, err := json.Marshal(c)
	require.NoError(t, err)
	for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), string(js), logged.String()} {
		for _, s := range secrets {
			require.NotContains(t, out, s)
		}
	}
	require.Contains(t, logged.String(), `"subdomain":"acme"`)
}

// The default per-ticket guard lets about half of Zendesk's 30 updates go
// at once (the budget keeps a little of it for critical calls such as a
// handover) and refuses the rest when the caller will not wait; a negative
// ConversationLimit turns it off. Invalid options are configuration
// errors.
func TestConversationLimitDefaultAndOff(t *testing.T) {
	for _, limit := range []int{0, -1} {
		srv, c := newTicketClient(t, zendesktest.Options{}, func(_ *zendesk.Config, o *zendesk.Options) { o.ConversationLimit = limit })
		conv, _ := ticketConv(srv)
		sent := 0
		for sent < zendesk.DefaultConversationLimit+5 {
			before := srv.Requests()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := c.SendMessage(ctx, conv, helpdesk.Message{Text: "part " + strconv.Itoa(sent)})
			cancel()
			if err != nil {
				require.ErrorIs(t, err, helpdesk.ErrRateLimited)
				require.Equal(t, before, srv.Requests(), "refused locally")
				break
			}
			sent++
		}
		if limit < 0 {
			require.Equal(t, zendesk.DefaultConversationLimit+5, sent, "no guard")
			continue
		}
		require.GreaterOrEqual(t, sent, zendesk.DefaultConversationLimit/3)
		require.LessOrEqual(t, sent, zendesk.DefaultConversationLimit/2)
	}

	srv := zendesktest.NewServer(t, nil)
	for _, o := range []*zendesk.Options{{Tolerance: -time.Second}, {MaxRetryWait: -time.Second}} {
		_, err := zendesk.New(srv.Config(), o)
		require.ErrorIs(t, err, zendesk.ErrInvalidConfig)
	}
}
