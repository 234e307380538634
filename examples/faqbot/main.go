// Command faqbot is a runnable FAQ bot built from agentdesk's packages.
//
// With no flags it runs a scripted demo on the in-memory helpdesk: a few
// customers ask questions, the bot answers from a small built-in FAQ with a
// confidence score, splits a long answer, escalates when confidence is low
// or the customer asks for a human, and resolves when done. It prints the
// transcript and the helpdesk calls it made.
//
// With -vendor it serves webhooks for a real helpdesk, configured from the
// environment (see README.md). With AGENTDESK_REDIS_URL set as well,
// several replicas serve one webhook URL and share the queue, the answers'
// progress and the conversations' state on Redis (redis.go).
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

//go:embed policy.json
var defaultPolicy []byte

// vendorMode builds a helpdesk and the webhook paths it serves from the
// environment. Drivers register theirs in mode_<vendor>.go.
// budgets, when not nil, builds the shared rate budget the mode's driver
// should use (Redis mode); nil keeps each driver's in-process default.
type vendorMode func(getenv func(string) string, logger *slog.Logger, budgets sharedBudgets) (helpdesk.Helpdesk, []string, error)

var vendorModes = map[string]vendorMode{}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "faqbot:", err)
		os.Exit(1)
	}
}

// run is the program: out receives the demo's transcript and the help,
// logs the log lines; ctx ends vendor mode (SIGINT, SIGTERM).
func run(ctx context.Context, args []string, out, logs io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("faqbot", flag.ContinueOnError)
	fs.SetOutput(out)
	vendor := fs.String("vendor", "", "serve webhooks for this helpdesk ("+strings.Join(modeNames(), ", ")+"); empty runs the demo")
	addr := fs.String("addr", ":8080", "listen address in vendor mode")
	policyFile := fs.String("policy", "", "escalation policy JSON file (default: the embedded policy)")
	maxChars := fs.Int("max-chars", 280, "maximum characters per message part (0: the channel's limit)")
	checkOnly := fs.Bool("check", false, "in vendor mode, check the configuration against the vendor and exit")
	verbose := fs.Bool("v", false, "log requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	policyJSON := defaultPolicy
	if *policyFile != "" {
		data, err := os.ReadFile(*policyFile)
		if err != nil {
			return err
		}
		policyJSON = data
	}
	cfg, err := escalation.LoadConfig(bytes.NewReader(policyJSON))
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	if *vendor == "" {
		policy, err := escalation.New(cfg)
		if err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		return demo(out, policy, *maxChars)
	}
	if _, ok := vendorModes[*vendor]; !ok {
		return fmt.Errorf("unknown -vendor %q (known: %s)", *vendor, strings.Join(modeNames(), ", "))
	}
	rm, err := redisFromEnv(ctx, getenv, *vendor, logger)
	if err != nil {
		return err
	}
	defer rm.Close()
	hd, paths, policy, err := setupVendor(*vendor, getenv, logger, cfg, *policyFile == "", rm.budgets(ctx, logger))
	if err != nil {
		return err
	}
	// Wrong tokens or ids show now, not on the first customer message
	// after its webhook was acknowledged.
	if err := checkMode(ctx, modeInfo(hd), *vendor); err != nil {
		return err
	}
	if *checkOnly {
		logger.Info("faqbot configuration checked", "vendor", *vendor)
		return nil
	}
	if rm != nil {
		logger.Info("faqbot: Redis mode", "redis", rm.addr, "prefix", rm.prefix, "lease", rm.lease.String())
	}
	return serve(ctx, *addr, hd, paths, policy, *maxChars, logger, rm)
}

// setupVendor builds vendor mode's helpdesk, webhook paths and policy from
// the environment. embedded says cfg is the embedded policy, whose
// placeholder targets become the configured level-2 target.
func setupVendor(vendor string, getenv func(string) string, logger *slog.Logger, cfg escalation.Config, embedded bool, budgets sharedBudgets) (helpdesk.Helpdesk, []string, *escalation.Policy, error) {
	mode, ok := vendorModes[vendor]
	if !ok {
		return nil, nil, nil, fmt.Errorf("unknown -vendor %q (known: %s)", vendor, strings.Join(modeNames(), ", "))
	}
	hd, paths, err := mode(getenv, logger, budgets)
	if err != nil {
		return nil, nil, nil, err
	}
	if embedded {
		if cfg, err = forVendor(cfg, modeInfo(hd), vendor); err != nil {
			return nil, nil, nil, err
		}
	}
	policy, err := escalation.New(cfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("policy: %w", err)
	}
	return hd, paths, policy, nil
}

func modeNames() []string {
	var names []string
	for n := range vendorModes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// vendorMux returns the bot's HTTP routes for a vendor: the webhook paths
// and /healthz. Shut the returned handler down to drain queued events.
func vendorMux(hd helpdesk.Helpdesk, paths []string, policy *escalation.Policy, maxChars int, logger *slog.Logger) (*http.ServeMux, *helpdesk.WebhookHandler, error) {
	return replicaMux(hd, paths, policy, maxChars, logger, nil)
}

// replicaMux is vendorMux, with the queue, the answers' progress and the
// conversations' state on Redis when rm is not nil.
func replicaMux(hd helpdesk.Helpdesk, paths []string, policy *escalation.Policy, maxChars int, logger *slog.Logger, rm *redisMode) (*http.ServeMux, *helpdesk.WebhookHandler, error) {
	bot := &Bot{HD: hd, Policy: policy, FAQ: defaultFAQ, MaxChars: maxChars, Mine: modeInfo(hd).mine, Log: func(f string, a ...any) { logger.Info(fmt.Sprintf(f, a...)) }}
	// Queued mode acknowledges within milliseconds: Chatwoot hands a
	// conversation to humans when a bot takes 5 s, Intercom slows
	// endpoints slower than 500 ms.
	opts := &helpdesk.WebhookOptions{QueueSize: 10000, Logger: logger}
	if rm != nil {
		// The vendor gets its 200 once the event is on Redis; whichever
		// replica holds the conversation handles it.
		//
		// Redeliveries are dropped by the queue itself, on every replica,
		// in the step that stores the event (redisqueue is a
		// helpdesk.DedupingQueue): no replica killed mid-delivery can
		// leave a delivery recorded and not stored. The handled ids saved
		// with each event's acknowledgement (redisStates) guard the bot's
		// state as well.
		opts = &helpdesk.WebhookOptions{Queue: rm.queue, Logger: logger}
		bot.Replies, bot.States = rm.replies, rm.states
		bot.ClaimWait = min(max(rm.lease/10, 20*time.Millisecond), time.Second)
	}
	h, err := helpdesk.NewWebhookHandler(hd, bot.Handle, opts)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	for _, p := range paths {
		mux.Handle("POST "+p, h)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	return mux, h, nil
}

// Server timeouts. Vendors give up on a webhook after a few seconds
// (Intercom 5 s, Chatwoot's agent bots 5 s, Zendesk 12 s) and then
// redeliver, so a client slower than that is not a vendor: it only holds a
// goroutine and a socket. The read timeout bounds the whole request,
// headers and body; the write timeout covers queued mode's immediate
// answer; idle keep-alive connections are dropped after a minute.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	// After SIGTERM the process exits within shutdownTimeout (10 s),
	// well below the 30 s most orchestrators wait before killing it:
	// drainTimeout for the server's open requests and the handler's
	// queued events (connections still open then are closed), the rest
	// for the mode's flush (Klaviyo metrics).
	shutdownTimeout = 10 * time.Second
	drainTimeout    = 7 * time.Second
	// serverDrainTimeout is the part of the drain open requests get: in
	// queued mode a delivery is answered in milliseconds and vendors give
	// up after 5 s, so a request still open after 3 s is a slow client,
	// closed so that the queued events get the rest of the drain.
	serverDrainTimeout = 3 * time.Second
)

// newServer returns the bot's HTTP server with the timeouts above.
func newServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

func serve(ctx context.Context, addr string, hd helpdesk.Helpdesk, paths []string, policy *escalation.Policy, maxChars int, logger *slog.Logger, rm *redisMode) error {
	mux, h, err := replicaMux(hd, paths, policy, maxChars, logger, rm)
	if err != nil {
		return err
	}
	srv := newServer(addr, mux)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("faqbot listening", "addr", ln.Addr().String(), "paths", paths)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// One deadline for the whole shutdown, so that the drain and the
	// flush together stay within shutdownTimeout.
	deadline := time.Now().Add(shutdownTimeout)
	err = drain(srv, h, drainTimeout)
	if m := modeInfo(hd); m.close != nil {
		// Flush what the mode buffers (Klaviyo metrics) once no event is
		// handled any more, with what is left of the deadline.
		flush, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		err = errors.Join(err, m.close(flush))
	}
	return err
}

// drain stops accepting connections and waits at most d in all: for open
// requests up to serverDrainTimeout (or half of d), closing those still
// open then, and for queued events the rest of d. Slow clients cut off
// are not an error; events left unhandled are (h.Shutdown's).
func drain(srv *http.Server, h *helpdesk.WebhookHandler, d time.Duration) error {
	deadline := time.Now().Add(d)
	requests, cancel := context.WithTimeout(context.Background(), min(serverDrainTimeout, d/2))
	defer cancel()
	if err := srv.Shutdown(requests); err != nil {
		_ = srv.Close()
	}
	events, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	return h.Shutdown(events)
}

// demo runs the embedded default: a scripted day of conversations on the
// in-memory helpdesk, through the same webhook handler a vendor mode uses.
func demo(out io.Writer, policy *escalation.Policy, maxChars int) error {
	fake := helpdesktest.NewFake()
	bot := &Bot{HD: fake, Policy: policy, FAQ: defaultFAQ, MaxChars: maxChars, Log: func(f string, a ...any) { fmt.Fprintf(out, "  "+f+"\n", a...) }}
	h, err := helpdesk.NewWebhookHandler(fake, bot.Handle, nil)
	if err != nil {
		return err
	}
	deliver := func(e helpdesk.Event) error {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, fake.Delivery(e))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("webhook answered %d: %s", rec.Code, rec.Body.String())
		}
		return nil
	}
	type step struct {
		conv helpdesk.Conversation
		text string
		echo bool
	}
	ana := fake.Open("1001", helpdesk.ChannelWhatsApp)
	bruno := fake.Open("1002", helpdesk.ChannelWebChat)
	carla := fake.Open("1003", helpdesk.ChannelWhatsApp)
	dan := fake.Open("1004", helpdesk.ChannelEmail)
	script := []step{
		{conv: ana, text: "Hi! How do I reset my password?"},
		{conv: ana, echo: true},
		{conv: ana, text: "Thanks, that solved it"},
		{conv: bruno, text: "Do you accept bitcoin?"},
		{conv: carla, text: "Onde está meu pedido? Quero falar com um atendente"},
		{conv: dan, text: "I want a refund, I'll file a chargeback"},
	}
	fmt.Fprintln(out, "faqbot demo: in-memory helpdesk, embedded FAQ and escalation policy")
	fmt.Fprintln(out, "\nTranscript:")
	for _, s := range script {
		var e helpdesk.Event
		if s.echo {
			e = fake.BotEcho(s.conv, "(the bot's own message, delivered back by the helpdesk)")
		} else {
			e = fake.CustomerWrites(s.conv, s.text)
		}
		if err := deliver(e); err != nil {
			return err
		}
		if !s.echo {
			// A redelivery of the same event is dropped by the handler.
			if err := deliver(e); err != nil {
				return err
			}
		}
	}
	fmt.Fprintln(out, "\nHelpdesk calls:")
	calls := fake.Calls()
	for _, c := range calls {
		fmt.Fprintf(out, "  %s\n", c)
	}
	fmt.Fprintln(out, "\nConversations:")
	for _, id := range []string{"1001", "1002", "1003", "1004"} {
		c, _ := fake.Conversation(id)
		group := c.GroupID
		if group == "" {
			group = "-"
		}
		fmt.Fprintf(out, "  %s %-9s status=%-8s group=%s messages=%d\n", id, c.Conversation.Channel, c.Status, group, len(c.Messages))
	}
	fmt.Fprintf(out, "\n%d helpdesk calls, %d requests\n", len(calls), fake.Requests())
	for _, c := range calls {
		if c.Err != nil {
			return errors.New("a helpdesk call failed: " + c.String())
		}
	}
	return nil
}
