package intercom_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

// watcher sees every request the fake answers (through its spec check):
// the read-backs, and any request carrying a header named exactly
// "Idempotency-Key", which Go's net/http would resend by itself.
type watcher struct {
	mu        sync.Mutex
	readBacks int // GET /conversations/{id}, checked against the spec
	keyed     []string
}

func (w *watcher) wrap(next func(*http.Request, []byte) error) func(*http.Request, []byte) error {
	return func(r *http.Request, body []byte) error {
		w.mu.Lock()
		if _, ok := r.Header["Idempotency-Key"]; ok {
			w.keyed = append(w.keyed, r.Method+" "+r.URL.Path)
		}
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/conversations/") && strings.Count(r.URL.Path, "/") == 2 {
			w.readBacks++
		}
		w.mu.Unlock()
		if next != nil {
			return next(r, body)
		}
		return nil
	}
}

// seen returns the read-backs and the keyed requests seen so far.
func (w *watcher) seen() (int, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.readBacks, append([]string(nil), w.keyed...)
}

// faultEnv is the driver with the transport's default retries, no budget
// and no per-conversation guard, against a fake whose every request is
// watched (and checked against the spec when it is beside the checkout).
func faultEnv(t *testing.T, reconcile bool) (*env, *watcher) {
	w := &watcher{}
	e := newEnv(t, func(_ *intercom.Config, o *intercom.Options, so *intercomtest.Options) {
		so.Validate = w.wrap(so.Validate)
		o.NoBudget, o.ConversationLimit, o.MaxRetries, o.MaxRetryWait = true, -1, 0, 0
	})
	if !reconcile {
		intercom.WithoutReconcile(e.client)
	}
	return e, w
}

// Under 20 % of writes failing (each fault kind, before and after
// Intercom processed them), every multi-part answer arrives once,
// complete and in order; no request carries Idempotency-Key.
func TestFaultsEveryAnswerOnceInOrder(t *testing.T) {
	answers := 200
	if testing.Short() {
		answers = 40
	}
	e, w := faultEnv(t, true)
	h := e.harness(t)
	h.InjectFaults = e.srv.InjectFaults
	r := drivertest.RunFaults(t, h, drivertest.FaultOptions{Answers: answers, Seed: 16, Concurrency: 16})
	readBacks, keyed := w.seen()
	t.Logf("intercom: %s; faults injected: %v; read-backs: %d", r, e.srv.InjectedFaults(), readBacks)
	require.Equal(t, r.Answers, r.Complete, "%s", r)
	require.Zero(t, r.DuplicatedParts)
	require.Zero(t, r.MissingParts)
	require.Zero(t, r.OutOfOrder)
	require.Zero(t, r.Errors)
	require.Positive(t, readBacks, "ambiguous failures were read back")
	require.Empty(t, keyed, "requests carrying Idempotency-Key")
}

// The same scenario against the driver with its writes unreconciled
// duplicates parts: the scenario can tell, so passing it means something.
func TestFaultsCatchUnreconciledWrites(t *testing.T) {
	e, w := faultEnv(t, false)
	h := e.harness(t)
	h.InjectFaults = e.srv.InjectFaults
	r := drivertest.RunFaults(t, h, drivertest.FaultOptions{Answers: 40, Seed: 16, Concurrency: 16})
	t.Logf("intercom, unreconciled: %s; faults injected: %v", r, e.srv.InjectedFaults())
	require.Positive(t, r.DuplicatedParts, "%s", r)
	require.Less(t, r.Complete, r.Answers)
	readBacks, _ := w.seen()
	require.Zero(t, readBacks)
}

// failFirst fails the first write to a path ending in suffix with f.
func failFirst(f drivertest.Fault, suffix string) drivertest.FaultPlan {
	var n atomic.Int32
	return drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{f}, Match: func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, suffix) && n.Add(1) == 1
	}}
}

// Each write that posts a part people read, failing ambiguously once: a
// failure after Intercom stored the part is settled by one read-back and
// not sent again; one before is read back, not found, and sent once more.
// Either way the part is there once.
func TestAmbiguousFailureIsReadBack(t *testing.T) {
	writes := []struct {
		name, suffix string
		do           func(e *env, conv helpdesk.Conversation) error
		want         func(st drivertest.State) []string
		partType     string
	}{
		{"reply", "/reply", func(e *env, conv helpdesk.Conversation) error {
			_, err := e.client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Your refund was issued.\n\nAnything else?"})
			return err
		}, func(st drivertest.State) []string { return st.Public }, "comment"},
		{"note", "/reply", func(e *env, conv helpdesk.Conversation) error {
			_, err := e.client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Your refund was issued.\n\nAnything else?", Internal: true})
			return err
		}, func(st drivertest.State) []string { return st.Notes }, "note"},
		{"reply with attachment", "/reply", func(e *env, conv helpdesk.Conversation) error {
			_, err := e.client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Your refund was issued.\n\nAnything else?",
				Attachments: []helpdesk.Attachment{{URL: "https://img.example/receipt.png"}}})
			return err
		}, func(st drivertest.State) []string { return st.Public }, "comment"},
		{"final message (close with body)", "/parts", func(e *env, conv helpdesk.Conversation) error {
			_, err := e.client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Your refund was issued.\n\nAnything else?", Resolve: true})
			return err
		}, func(st drivertest.State) []string { return st.Public }, "close"},
		{"hand-over notice (assignment body)", "/parts", func(e *env, conv helpdesk.Conversation) error {
			return e.client.Reassign(t.Context(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2, Notice: "Your refund was issued.\n\nAnything else?"})
		}, func(st drivertest.State) []string { return st.Public }, "assignment"},
		{"hand-over note", "/reply", func(e *env, conv helpdesk.Conversation) error {
			return e.client.Reassign(t.Context(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2, Note: "Your refund was issued.\n\nAnything else?"})
		}, func(st drivertest.State) []string { return st.Notes }, "note"},
	}
	for _, f := range []struct {
		fault drivertest.Fault
		posts int
	}{{drivertest.Fault500After, 1}, {drivertest.FaultResetAfter, 1}, {drivertest.Fault500Before, 2}, {drivertest.FaultResetBefore, 2}} {
		for _, w := range writes {
			t.Run(f.fault.String()+"/"+w.name, func(t *testing.T) {
				e := newEnv(t, nil)
				conv := e.newConversation(t)
				e.srv.InjectFaults(failFirst(f.fault, w.suffix))
				require.NoError(t, w.do(e, conv))
				require.Equal(t, map[drivertest.Fault]int{f.fault: 1}, e.srv.InjectedFaults())
				if d := cmp.Diff([]string{"Your refund was issued.\n\nAnything else?"}, w.want(e.state(t, conv))); d != "" {
					t.Fatalf("parts (-want +got):\n%s", d)
				}
				require.Equal(t, f.posts, e.srv.RequestsTo("POST /conversations/"+conv.ID+w.suffix))
				require.Equal(t, 1, e.srv.RequestsTo("GET /conversations/"+conv.ID), "one read-back")
				c, _ := e.srv.Conversation(conv.ID)
				var types []string
				for _, p := range c.Parts {
					if p.Body != "" {
						types = append(types, p.PartType)
					}
				}
				require.Equal(t, []string{w.partType}, types)
			})
		}
	}
}

// The receipt of a write found by reading back names the stored part,
// and two identical answers in a row are two parts: the read-back never
// takes the first (already posted) for the second.
func TestReadBackSkipsPartsAlreadyPosted(t *testing.T) {
	e := newEnv(t, nil)
	conv := e.newConversation(t)
	first, err := e.client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Same answer."})
	require.NoError(t, err)
	e.srv.InjectFaults(failFirst(drivertest.Fault500After, "/reply"))
	second, err := e.client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Same answer."})
	require.NoError(t, err)
	c, _ := e.srv.Conversation(conv.ID)
	require.Len(t, c.Parts, 2)
	require.Equal(t, []string{c.Parts[0].ID, c.Parts[1].ID}, []string{first.MessageID, second.MessageID})
	require.Equal(t, 2, e.srv.RequestsTo("POST /conversations/"+conv.ID+"/reply"))
}

// A part with the same text by someone else (a teammate, a customer) or
// of the bot's other part type (a note for a comment) is not taken for the
// bot's: the write is sent again.
func TestReadBackMatchesAuthorAndPartType(t *testing.T) {
	e := newEnv(t, nil)
	now := time.Now().Unix()
	same := func(typ string, a intercomtest.Author) intercomtest.Part {
		return intercomtest.Part{PartType: typ, Body: "<p>Same answer.</p>", Author: a, CreatedAt: now}
	}
	id := e.srv.AddConversation(intercomtest.Conversation{Parts: []intercomtest.Part{
		same("comment", intercomtest.Author{Type: "admin", ID: e.agent, Name: "Ana Souza"}),
		same("comment", intercomtest.Author{Type: "user", ID: "6762f16e1bb69f9f2193bb01"}),
		same("note", intercomtest.Author{Type: "admin", ID: intercomtest.DefaultBotAdminID}),
	}})
	conv := helpdesk.Conversation{Vendor: intercom.Vendor, Account: intercomtest.DefaultAppID, ID: id}
	e.srv.InjectFaults(failFirst(drivertest.Fault500Before, "/reply"))
	rc, err := e.client.SendMessage(t.Context(), conv, helpdesk.Message{Text: "Same answer."})
	require.NoError(t, err)
	c, _ := e.srv.Conversation(id)
	require.Len(t, c.Parts, 4)
	last := c.Parts[3]
	require.Equal(t, []string{rc.MessageID, "comment", intercomtest.DefaultBotAdminID}, []string{last.ID, last.PartType, last.Author.ID})
	require.Equal(t, 2, e.srv.RequestsTo("POST /conversations/"+id+"/reply"))
	require.Equal(t, 1, e.srv.RequestsTo("GET /conversations/"+id))
}

// A close or an assignment without a body is a state change: after a
// failure before Intercom processed it, the transport sends it again
// without reading the conversation back.
func TestStateWritesAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		do    func(e *env, conv helpdesk.Conversation) error
		check func(t *testing.T, c intercomtest.Conversation, e *env)
	}{
		{"close", func(e *env, conv helpdesk.Conversation) error { return e.client.Resolve(t.Context(), conv) },
			func(t *testing.T, c intercomtest.Conversation, _ *env) { require.Equal(t, "closed", c.State) }},
		{"assignment", func(e *env, conv helpdesk.Conversation) error {
			return e.client.Reassign(t.Context(), conv, helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2})
		}, func(t *testing.T, c intercomtest.Conversation, e *env) { require.Equal(t, e.n2, c.TeamAssigneeID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			conv := e.newConversation(t)
			e.srv.InjectFaults(failFirst(drivertest.Fault500Before, "/parts"))
			require.NoError(t, tc.do(e, conv))
			c, _ := e.srv.Conversation(conv.ID)
			tc.check(t, c, e)
			require.Equal(t, 2, e.srv.RequestsTo("POST /conversations/"+conv.ID+"/parts"))
			require.Zero(t, e.srv.RequestsTo("GET /conversations/"+conv.ID))
		})
	}
}

// A handover whose assignment keeps failing after the note was posted is
// retried by the host as a whole: the retry assigns without posting the
// note again (driver.Handovers).
func TestRetriedHandoverPostsTheNoteOnce(t *testing.T) {
	e := newEnv(t, func(_ *intercom.Config, o *intercom.Options, _ *intercomtest.Options) { o.MaxRetries = 0 })
	conv := e.newConversation(t)
	to := helpdesk.Target{Kind: helpdesk.TargetGroup, ID: e.n2, Note: "Refund over the limit: over to you.", Notice: "A colleague will take over."}
	e.srv.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.Fault429}, Match: func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/parts")
	}})
	require.Error(t, e.client.Reassign(t.Context(), conv, to), "the assignment is refused")
	e.srv.InjectFaults(drivertest.FaultPlan{})
	require.NoError(t, e.client.Reassign(t.Context(), conv, to), "the host's retry")
	st := e.state(t, conv)
	require.Equal(t, []string{"Refund over the limit: over to you."}, st.Notes, "the note was posted once")
	require.Equal(t, []string{"A colleague will take over."}, st.Public)
	require.Equal(t, 1, e.srv.RequestsTo("POST /conversations/"+conv.ID+"/reply"))

	// The same handover made again once this one completed is a new one.
	require.NoError(t, e.client.Reassign(t.Context(), conv, to))
	require.Len(t, e.state(t, conv).Notes, 2)
}
