package intercom_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/intercom"
	"github.com/agentdesk/agentdesk/intercom/intercomtest"
)

// fuzzClient is a driver whose API is never called: the bot's admin id is
// configured, so parsing needs no request.
func fuzzClient(f *testing.F) *intercom.Client {
	c, err := intercom.New(intercom.Config{
		AccessToken: "tok", BaseURL: "http://127.0.0.1:9", BotAdminID: intercomtest.DefaultBotAdminID,
		BotTeamID: intercomtest.DefaultBotTeamID, ClientSecrets: []string{testSecret}, ActionTokens: []string{testActionTok},
	}, &intercom.Options{NoBudget: true})
	if err != nil {
		f.Fatal(err)
	}
	return c
}

// checkParsed holds for every delivery, whatever its body: no panic, an
// error only of the payload kind (a 400), and events that can be acted on.
func checkParsed(t *testing.T, evs []helpdesk.Event, err error) {
	if err != nil {
		if !errors.Is(err, helpdesk.ErrInvalidPayload) {
			t.Fatalf("error of the wrong kind: %v", err)
		}
		if len(evs) != 0 {
			t.Fatal("events with an error")
		}
		return
	}
	for _, ev := range evs {
		if ev.DeliveryID == "" || ev.Conversation.ID == "" || ev.Conversation.Vendor != intercom.Vendor {
			t.Fatalf("event without identity: %+v", ev)
		}
		if ev.Type == helpdesk.EventMessageCreated && ev.Message == nil {
			t.Fatal("message event without a message")
		}
		if ev.Message != nil && ev.Message.HTML == "" && strings.Contains(ev.Message.Text, "<script>") && !strings.Contains(string(ev.Raw), "<script>") {
			t.Fatal("markup appeared in the text that was not in the body")
		}
	}
}

func FuzzParseTopic(f *testing.F) {
	matches, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, m := range matches {
		if strings.HasSuffix(m, "action.json") {
			continue
		}
		data, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"notification_event","topic":"conversation.user.replied","data":{"item":{"type":"conversation","id":1,"conversation_parts":{"conversation_parts":[{"id":null,"body":"<p>a<script>b</script>"}]}}}}`))
	c := fuzzClient(f)
	signer := &intercomtest.Signer{Secret: testSecret}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return
		}
		evs, err := drivertest.Deliver(context.Background(), c, signer.Request(body))
		checkParsed(t, evs, err)
	})
}

func FuzzParseAction(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "action.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(intercom.ActionBodyTemplate))
	f.Add([]byte(`{"conversation_id":1,"message":"<p>x</p>"}`))
	f.Add([]byte(`{"conversation_id":"1","message":null}`))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return
		}
		evs, err := drivertest.Deliver(context.Background(), c, intercomtest.RawActionRequest(testActionTok, body))
		checkParsed(t, evs, err)
	})
}
