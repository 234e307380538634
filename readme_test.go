// The README's Go samples live here as functions that the compiler checks,
// and TestREADMESamplesCompile checks that every ```go block of README.md
// appears, line for line, in this file: a sample that stops compiling, or
// a README edit that is not mirrored here, fails the build or the test.
package agentdesk_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/split"
	"github.com/agentdesk/agentdesk/zendesk"
)

// model stands for the host's own answer generator in the samples.
type model struct{}

func (model) Answer(helpdesk.Event) (string, float64) { return "Here is how.", 0.9 }

var myModel model

func readmeBot(cfg zendesk.Config, policyConfig escalation.Config) error {
	hd, err := zendesk.New(cfg, nil) // or cloudchat.New, intercom.New, helpdesktest.NewFake()
	if err != nil {
		return err // every problem in cfg at once, as a *helpdesk.ConfigError
	}
	policy, _ := escalation.New(policyConfig) // when to hand over, to whom
	sp, _ := split.New(split.Limit{Max: 1600, Measure: split.Runes})

	handler, _ := helpdesk.NewWebhookHandler(hd, func(ctx context.Context, e helpdesk.Event) error {
		text, confidence := myModel.Answer(e) // your model
		d := policy.Decide(ctx, escalation.State{Event: e}, escalation.Answer{Text: text, Confidence: confidence})
		switch d.Action {
		case escalation.ActionEscalate:
			return hd.Reassign(ctx, e.Conversation, d.Target) // notice + internal note, one request where possible
		case escalation.ActionReply, escalation.ActionResolve:
			_, err := helpdesk.Reply(ctx, hd, e.Conversation, d.Text, helpdesk.ReplyOptions{
				Splitter: sp, Resolve: d.Action == escalation.ActionResolve,
			})
			return err
		}
		return nil // own echo, internal note, spam, not assigned to the bot
	}, &helpdesk.WebhookOptions{QueueSize: 10000}) // ack fast, handle in order per conversation
	http.Handle("POST /webhooks/zendesk", handler)
	return nil
}

func readmeBudget(ctx context.Context, cfg zendesk.Config, redisClient redis.UniversalClient) error {
	// Several replicas, one budget shared through Redis:
	b, err := redisbudget.New(ctx, redisClient, cfg.BudgetKey(), cfg.Limits(),
		budget.WithHeaders(zendesk.Headers),
		budget.WithReplicas(4)) // while Redis is unreachable, each replica uses 1/4
	if err != nil {
		return err
	}
	hd, err := zendesk.New(cfg, &zendesk.Options{Budget: b})
	_ = hd
	return err
}

func readmeVendorExtras(hd helpdesk.Helpdesk, err error) {
	var zc *zendesk.Client
	if helpdesk.As(hd, &zc) { // the vendor client behind a helpdesk.Helpdesk, for its extras
		_, _ = zc.ListGroups(context.Background())
	}
	var apiErr *helpdesk.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.RequestID) // kept for the vendor's support
	}
}

func readmeTesting(handler http.Handler, rec *httptest.ResponseRecorder) {
	fake := helpdesktest.NewFake()
	conv := fake.Open("42", helpdesk.ChannelWhatsApp)
	fake.FailNextWithStatus(helpdesktest.OpSendMessage, http.StatusTooManyRequests)
	handler.ServeHTTP(rec, fake.Delivery(fake.CustomerWrites(conv, "I want a human")))
	for _, c := range fake.Calls() {
		fmt.Println(c) // SendMessage(...), Reassign(42, group:n2)
	}
}

var _ = []any{readmeBot, readmeBudget, readmeVendorExtras, readmeTesting}

func TestREADMESamplesCompile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	code := normalise(string(self))
	blocks := goBlocks(string(readme))
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go block")
	}
	for i, b := range blocks {
		if !strings.Contains(code, normalise(b)) {
			t.Errorf("README.md's go block %d is not in readme_test.go, where the compiler checks it:\n%s", i+1, b)
		}
	}
}

// goBlocks returns the bodies of README's ```go blocks.
func goBlocks(md string) []string {
	var blocks []string
	var cur []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(md))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "```go":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// normalise drops indentation and blank lines, so a sample can be indented
// differently in the README and inside a function here.
func normalise(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(out, "\n") + "\n"
}
