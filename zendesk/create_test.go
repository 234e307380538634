package zendesk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/zendesk"
	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// createdTickets answers POST /api/v2/tickets on srv as Zendesk does:
// ticket.comment.body is required, the requester is a requester object
// or requester_id, and an Idempotency-Key seen before returns the same
// ticket. It records every body it accepted.
type createdTickets struct {
	mu     sync.Mutex
	bodies []map[string]any
	keys   map[string]int64
}

func handleCreate(t *testing.T, srv *zendesktest.Server) *createdTickets {
	ct := &createdTickets{keys: map[string]int64{}}
	srv.Support.Handle("POST /api/v2/tickets", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var in struct {
			Ticket map[string]any `json:"ticket"`
		}
		if json.Unmarshal(b, &in) != nil || in.Ticket == nil {
			http.Error(w, `{"error":"RecordInvalid"}`, http.StatusUnprocessableEntity)
			return
		}
		comment, _ := in.Ticket["comment"].(map[string]any)
		body, _ := comment["body"].(string)
		_, hasReq := in.Ticket["requester"]
		_, hasReqID := in.Ticket["requester_id"]
		if body == "" || !hasReq && !hasReqID {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = io.WriteString(w, `{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"comment body and requester are required"}]}}`)
			return
		}
		ct.mu.Lock()
		defer ct.mu.Unlock()
		key := r.Header.Get("Idempotency-Key")
		id, again := ct.keys[key]
		if !again || key == "" {
			subject, _ := in.Ticket["subject"].(string)
			id = srv.CreateTicket(subject, body)
			if key != "" {
				ct.keys[key] = id
			}
			ct.bodies = append(ct.bodies, in.Ticket)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"ticket":{"id":%d,"status":"new"}}`, id)
	})
	return ct
}

func TestCreateConversation(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	created := handleCreate(t, srv)
	ctx := context.Background()
	require.True(t, c.Capabilities().Has(helpdesk.CapCreateConversation))

	req := helpdesk.NewConversation{
		Requester:      helpdesk.Author{Phone: "+5511987654321", Name: "Ana"},
		Text:           "Meu pedido não chegou.\nPode verificar?",
		Channel:        helpdesk.ChannelSMS,
		Tags:           []string{"sms", "klaviyo"},
		IdempotencyKey: "sms:01E000001",
	}
	conv, err := helpdesk.CreateConversation(ctx, c, req)
	require.NoError(t, err)
	require.Equal(t, zendesk.Vendor, conv.Vendor)
	require.Equal(t, helpdesk.ChannelSMS, conv.Channel)
	id, err := strconv.ParseInt(conv.ID, 10, 64)
	require.NoError(t, err)
	tk, ok := srv.Ticket(id)
	require.True(t, ok)
	require.Equal(t, "SMS: Meu pedido não chegou.", tk.Subject)
	require.Equal(t, req.Text, tk.Comments[0].Body)

	body := created.bodies[0]
	require.Equal(t, []any{"sms", "klaviyo"}, body["tags"])
	require.Equal(t, map[string]any{"name": "Ana"}, body["requester"])
	require.Equal(t, map[string]any{"body": req.Text, "public": true}, body["comment"])

	// The same idempotency key returns the same ticket.
	again, err := helpdesk.CreateConversation(ctx, c, req)
	require.NoError(t, err)
	require.Equal(t, conv.ID, again.ID)
	require.Len(t, created.bodies, 1)

	// A known Zendesk user is the requester and the submitter.
	_, err = helpdesk.CreateConversation(ctx, c, helpdesk.NewConversation{Requester: helpdesk.Author{ID: "9001"}, Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, float64(9001), created.bodies[1]["requester_id"])
	require.Equal(t, float64(9001), created.bodies[1]["submitter_id"])

	// The bot answers on the new ticket with the conversation it got.
	_, err = c.SendMessage(ctx, conv, helpdesk.Message{Text: "Vou verificar."})
	require.NoError(t, err)
}

func TestCreateConversationRefusedLocally(t *testing.T) {
	srv, c := newTicketClient(t, zendesktest.Options{})
	handleCreate(t, srv)
	before := srv.Requests()
	_, err := helpdesk.CreateConversation(context.Background(), c, helpdesk.NewConversation{Text: "hi"})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	_, err = helpdesk.CreateConversation(context.Background(), c, helpdesk.NewConversation{Requester: helpdesk.Author{Email: "a@example.com"}, Text: " "})
	require.ErrorIs(t, err, helpdesk.ErrInvalidRequest)
	require.Equal(t, before, srv.Requests())
}
