// The doc comments' Go samples live here as functions the compiler
// checks; TestDocCommentSamplesCompile checks that each of their lines is
// in a _test.go file (here, or an Example next to the package).
package agentdesk_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/openapi"
	"github.com/agentdesk/agentdesk/helpdesk/lifecycle"
	"github.com/agentdesk/agentdesk/helpdesk/split"
)

// helpdesk.Splitter.
func docSplitterForChannel(conv helpdesk.Conversation) (helpdesk.Splitter, error) {
	limit, _ := split.Preset(string(conv.Channel))
	s, err := split.New(limit)
	return s, err
}

// package split.
func docSplitParts(answer string) ([]string, error) {
	s, err := split.New(split.Limit{Max: 1600, Measure: split.Runes}, split.PartMarker(" (%d/%d)"))
	if err != nil {
		return nil, err
	}
	parts, err := s.Split(answer)
	return parts, err
}

// cloudchat.SplitLimit.
func docCloudChatSplit(ctx context.Context, client helpdesk.Helpdesk, conv helpdesk.Conversation, answer string) {
	s, _ := split.New(cloudchat.SplitLimit(conv.Channel))
	helpdesk.Reply(ctx, client, conv, answer, helpdesk.ReplyOptions{Splitter: s})
}

// package openapi.
func docOpenAPIMiddleware(t *testing.T, handler http.Handler) http.Handler {
	spec := openapi.LoadFile(t, "testdata/acme-openapi.yaml")
	handler = spec.Middleware(t, handler)
	return handler
}

// package lifecycle.
func docLifecycle(ctx context.Context, client helpdesk.Helpdesk, myEventFunc helpdesk.EventFunc) error {
	s, err := lifecycle.New(client, lifecycle.Config{
		Reengage:  &lifecycle.Reengage{After: 5 * time.Minute, Message: "Are you still there?"},
		AutoClose: &lifecycle.AutoClose{After: 35 * time.Minute, Message: "I'm closing this chat; write again any time."},
	})
	if err != nil {
		return err
	}
	bot := s.Helpdesk()                  // answer through it: answers start the timers
	handler := s.Middleware(myEventFunc) // customer messages reset them, handovers cancel them
	go s.Run(ctx)
	_, _ = bot, handler
	return nil
}

var _ = []any{docSplitterForChannel, docSplitParts, docCloudChatSplit, docOpenAPIMiddleware, docLifecycle}
