package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/cloudchat/cloudchattest"
	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
)

// Three faqbot processes in Redis mode behind one webhook URL, one killed
// with SIGKILL mid-run and replaced, against a fake Cloud Chat (Chatwoot
// takes no idempotency key, so nothing at the vendor hides a duplicate).
// What the customers see is checked at the fake: every message answered
// once, every part of every answer present once and in order, none lost.
//
// FAQBOT_REPLICA_CONVERSATIONS scales the run (default 60; a few hundred
// make a soak run of a few minutes).
func TestReplicasKilledAnswerEveryMessageOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds faqbot and runs three replica processes against Redis")
	}
	redisAddr := redistest.Addr(t) // skips (fails with CI=true) without Redis
	n := 60
	if s := os.Getenv("FAQBOT_REPLICA_CONVERSATIONS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err)
	}
	bin := buildFaqbot(t, "")
	res := runReplicas(t, bin, redisAddr, n)
	res.log(t, "with answer keys")
	if res.duplicates+res.missing > 0 {
		for _, d := range res.details {
			t.Log(d)
		}
	}
	require.Zero(t, res.duplicates, "no part of any answer is posted twice")
	require.Zero(t, res.missing, "no part of any answer is missing")
	require.Zero(t, res.disordered, "every conversation's answers are in order")
	require.Equal(t, n, res.resolved, "every conversation ends resolved")
	require.Positive(t, res.recalled, "the kill interrupted work: events in its hands were handled again")
	require.Positive(t, res.dropped+res.skipped, "events the vendor delivered twice, to two replicas, were dropped or found handled")
}

// The same run with a faqbot built without the answers' idempotency keys
// (main.replyKeysOn empty) must show duplicates: the check above would
// catch a bot that answers twice.
func TestReplicasKilledWithoutAnswerKeysDuplicate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds faqbot and runs three replica processes against Redis")
	}
	redisAddr := redistest.Addr(t)
	bin := buildFaqbot(t, "-X main.replyKeysOn=")
	res := runReplicas(t, bin, redisAddr, 60)
	res.log(t, "without answer keys")
	require.Positive(t, res.duplicates, "without the keys, events handled again after the kill answer twice")
}

// buildFaqbot builds the binary with ldflags into a temporary directory.
func buildFaqbot(t *testing.T, ldflags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "faqbot")
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "go build")
	return bin
}

// replica is one faqbot process.
type replica struct {
	cmd    *exec.Cmd
	addr   string
	exited chan error // the process's exit, once

	mu      sync.Mutex
	lines   []string      // its last log lines, for a failure's report
	events  int           // customer messages handed to its event function
	skips   int           // events it found handled before
	handled []handleEvent // when it began and finished each event
}

// handleEvent is a line of a replica's log: it began handling a customer
// message (text set) or finished answering one (text empty).
type handleEvent struct {
	at         time.Time
	conv, text string
}

var (
	listeningRE = regexp.MustCompile(`msg="faqbot listening" addr=(\S+)`)
	customerRE  = regexp.MustCompile(`^time=(\S+) .*msg="customer\[(\d+)\]: (.*)"$`)
	answerRE    = regexp.MustCompile(`^time=(\S+) .*msg="bot answers (?:and resolves )?(\d+) `)
	skipRE      = regexp.MustCompile(`msg="bot skips `)
)

func startReplica(t *testing.T, bin string, env []string) *replica {
	t.Helper()
	r, err := launchReplica(t, bin, env)
	require.NoError(t, err)
	return r
}

// launchReplica starts a replica and waits until it listens; it may run
// outside the test's goroutine.
func launchReplica(t *testing.T, bin string, env []string) (*replica, error) {
	args := []string{"-vendor", "cloudchat", "-addr", "127.0.0.1:0"}
	if os.Getenv("FAQBOT_REPLICA_VERBOSE") != "" {
		args = append(args, "-v") // every vendor request
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &replica{cmd: cmd, exited: make(chan error, 1)}
	var logFile io.Writer = io.Discard
	if dir := os.Getenv("FAQBOT_REPLICA_LOGS"); dir != "" {
		f, err := os.CreateTemp(dir, "replica-*.log")
		if err == nil {
			logFile = f
		}
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			r.mu.Lock()
			if len(r.lines) == 200 {
				r.lines = r.lines[1:]
			}
			r.lines = append(r.lines, line)
			if m := customerRE.FindStringSubmatch(line); m != nil {
				r.events++
				at, _ := time.Parse(time.RFC3339Nano, m[1])
				r.handled = append(r.handled, handleEvent{at: at, conv: m[2], text: m[3]})
			}
			if m := answerRE.FindStringSubmatch(line); m != nil {
				at, _ := time.Parse(time.RFC3339Nano, m[1])
				r.handled = append(r.handled, handleEvent{at: at, conv: m[2]})
			}
			if skipRE.MatchString(line) {
				r.skips++
			}
			r.mu.Unlock()
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
		r.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	select {
	case r.addr = <-found:
		return r, nil
	case err := <-r.exited:
		return nil, fmt.Errorf("faqbot exited before listening (%v):\n%s", err, r.tail())
	case <-time.After(20 * time.Second):
		return nil, fmt.Errorf("faqbot did not start listening:\n%s", r.tail())
	}
}

func (r *replica) tail() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b bytes.Buffer
	for _, l := range r.lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func (r *replica) counts() (events, skips int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events, r.skips
}

// balancer stands for the load balancer in front of the replicas: each
// delivery goes to the next live address.
type balancer struct {
	mu    sync.Mutex
	addrs []string
	next  int
}

func (b *balancer) pick() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	return b.addrs[b.next%len(b.addrs)]
}

func (b *balancer) replace(old, new string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, a := range b.addrs {
		if a == old {
			b.addrs[i] = new
		}
	}
}

// replicaRun is what one run measured.
type replicaRun struct {
	conversations, messages, deliveries, redelivered int
	vendorDups                                       int // deliveries the vendor made twice
	killedAfter                                      int // deliveries acknowledged before the kill
	replacedIn                                       time.Duration
	expected, posted                                 int // bot messages
	duplicates, missing, disordered, resolved        int
	waiting                                          int           // conversations with an answer due at the kill
	resumedMax, resumedMedian                        time.Duration // from the kill to their next bot message
	inHand                                           int           // events the killed replica began and did not finish
	takenMin, takenMax                               time.Duration // from the kill to their handling elsewhere
	details                                          []string      // the first conversations with a duplicate or a gap
	calls, recalled, skipped                         int           // event function calls for customer messages
	dropped                                          int           // deliveries the queue dropped as duplicates
	took                                             time.Duration
}

func (r replicaRun) log(t *testing.T, what string) {
	t.Helper()
	t.Logf("%s: %d conversations, %d customer messages (events), %d deliveries: %d sent twice by the vendor, %d redeliveries after a connection error or non-2xx answer; 3 replicas, 1 killed with SIGKILL after %d acknowledged deliveries, replacement listening %s after the kill; run took %s",
		what, r.conversations, r.messages, r.deliveries, r.vendorDups, r.redelivered, r.killedAfter, r.replacedIn.Round(time.Millisecond), r.took.Round(time.Millisecond))
	t.Logf("%s: the event function handled the %d customer messages %d times (%d again after the kill: at least once); %d copies were dropped by the queue when delivered, %d found handled and skipped",
		what, r.messages, r.calls, r.recalled, r.dropped, r.skipped)
	t.Logf("%s: answers: %d bot messages expected, %d posted: %d duplicated, %d missing, %d conversations out of order, %d of %d resolved",
		what, r.expected, r.posted, r.duplicates, r.missing, r.disordered, r.resolved, r.conversations)
	t.Logf("%s: takeover: %d events were in the killed replica's hands (begun, not finished); another replica began them again %s to %s after the kill (lease %s)",
		what, r.inHand, r.takenMin.Round(time.Millisecond), r.takenMax.Round(time.Millisecond), replicaLease)
	t.Logf("%s: %d conversations had an answer due at the kill (most wait for the shared rate budget, 3000 requests/min); their next bot message came %s after it at most (median %s)",
		what, r.waiting, r.resumedMax.Round(time.Millisecond), r.resumedMedian.Round(time.Millisecond))
}

// replicaLease is the replicas' AGENTDESK_REDIS_LEASE: short, so that the
// takeover fits the test's time, yet renewed (every third of it) with room
// to spare on a busy machine.
const replicaLease = 2 * time.Second

// The questions each customer asks, in order, each once the previous one
// is answered (as a chat customer does, so deliveries keep arriving during
// the whole run, the kill included): a three-part answer, a one-part
// answer, and a thanks the bot answers and resolves.
var replicaQuestions = []string{
	"How do I reset my password?",
	"How do I track my order?",
	"Thanks, that solved it",
}

// runReplicas runs n conversations through three replicas of bin, kills
// one mid-run, and reports what the customers got.
func runReplicas(t *testing.T, bin, redisAddr string, n int) replicaRun {
	t.Helper()
	began := time.Now()
	res := replicaRun{conversations: n, messages: n * len(replicaQuestions)}

	// What each conversation must end with: the parts of each answer, in
	// order, once.
	sp, err := (&Bot{MaxChars: 280}).splitter(helpdesk.ChannelWhatsApp)
	require.NoError(t, err)
	var want []string
	ends := make([]int, len(replicaQuestions)) // bot messages after each answer
	for i, q := range replicaQuestions {
		text, conf, _ := defaultFAQ.Answer(q)
		require.GreaterOrEqual(t, conf, 0.5, q)
		parts, err := sp.Split(text)
		require.NoError(t, err)
		want = append(want, parts...)
		ends[i] = len(want)
	}
	res.expected = n * len(want)

	srv := cloudchattest.NewServer(t, &cloudchattest.Options{RequestsPerMinute: -1})
	team := srv.AddTeam("Level 2", srv.AddAgent("Ana", "online"))
	const secret = "whsec-cloudchat-replicas"
	env := []string{
		"CLOUDCHAT_BASE_URL=" + srv.URL, "CLOUDCHAT_ACCOUNT_ID=" + strconv.FormatInt(srv.AccountID(), 10),
		"CLOUDCHAT_API_TOKEN=" + srv.BotToken(), "CLOUDCHAT_USER_TOKEN=" + srv.UserToken(),
		"CLOUDCHAT_BOT_AGENT_ID=" + strconv.FormatInt(srv.BotID(), 10), "CLOUDCHAT_N2_TEAM_ID=" + strconv.FormatInt(team, 10),
		"CLOUDCHAT_WEBHOOK_SECRET=" + secret,
		EnvRedisURL + "=redis://" + redisAddr, EnvRedisLease + "=" + replicaLease.String(), EnvRedisPrefix + "=" + redistest.KeyPrefix(t),
	}
	replicas := []*replica{startReplica(t, bin, env), startReplica(t, bin, env), startReplica(t, bin, env)}
	lb := &balancer{addrs: []string{replicas[0].addr, replicas[1].addr, replicas[2].addr}}

	convs := make([]int64, n)
	for i := range convs {
		convs[i] = srv.AddConversation(cloudchattest.Conversation{Status: "pending", Channel: "Channel::Whatsapp", CanReply: true})
	}
	botMessages := func(id int64) []string {
		c, _ := srv.Conversation(id)
		var out []string
		for _, m := range c.Messages {
			if m.SenderType == "AgentBot" && !m.Private && m.MessageType == 1 {
				out = append(out, m.Content)
			}
		}
		return out
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	signer := &cloudchattest.Signer{Secret: secret}
	var acked, deliveries, vendorDups atomic.Int64
	// deliver posts one delivery until a replica answers 2xx, as Chatwoot
	// retries a failed delivery.
	var dropped atomic.Int64 // deliveries answered as duplicates
	deliver := func(body []byte) error {
		for {
			deliveries.Add(1)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+lb.pick()+"/webhooks/cloudchat", bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header = signer.Headers(body, "")
			resp, err := client.Do(req)
			if err == nil {
				reply, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode < 300 {
					acked.Add(1)
					if bytes.Contains(reply, []byte(`"duplicates":1`)) {
						dropped.Add(1)
					}
					return nil
				}
			}
			pause := time.NewTimer(50 * time.Millisecond)
			select {
			case <-ctx.Done():
				pause.Stop()
				return fmt.Errorf("delivery never acknowledged: %w", ctx.Err())
			case <-pause.C:
			}
		}
	}
	// answered waits until conversation id has at least k bot messages.
	answered := func(id int64, k int) error {
		for len(botMessages(id)) < k {
			pause := time.NewTimer(20 * time.Millisecond)
			select {
			case <-ctx.Done():
				pause.Stop()
				return fmt.Errorf("conversation %d: %d bot messages, waited for %d: %w", id, len(botMessages(id)), k, ctx.Err())
			case <-pause.C:
			}
		}
		return nil
	}

	// The kill: once 40 % of the deliveries are acknowledged, replica 0
	// gets SIGKILL and a replacement starts.
	var killedAt time.Time
	var killErr error
	var victim *replica
	asked := make([]atomic.Int32, n) // questions acknowledged, per conversation
	due := map[int64]int{}           // conversations with an answer due at the kill: bot messages then
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for acked.Load() < int64(res.messages*2/5) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
		victim = replicas[0]
		if killErr = victim.cmd.Process.Signal(syscall.SIGKILL); killErr != nil {
			return
		}
		killedAt = time.Now()
		res.killedAfter = int(acked.Load())
		<-victim.exited
		for i, id := range convs {
			if q := asked[i].Load(); q > 0 {
				if got := len(botMessages(id)); got < ends[q-1] {
					due[id] = got
				}
			}
		}
		next, err := launchReplica(t, bin, env)
		if err != nil {
			killErr = err
			return
		}
		res.replacedIn = time.Since(killedAt)
		lb.replace(victim.addr, next.addr)
		replicas[0] = next
		res.calls, res.skipped = victim.counts()
	}()

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, id := range convs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, q := range replicaQuestions {
				if k > 0 {
					if err := answered(id, ends[k-1]); err != nil {
						errs <- err
						return
					}
				}
				body := cloudchattest.MessagePayload(cloudchattest.MessageEvent{
					ID: int64(1_000_000 + i*10 + k), Content: q,
					Sender:       &cloudchattest.Sender{ID: int64(5000 + i), Name: "Customer " + strconv.Itoa(i)},
					Conversation: cloudchattest.ConversationRef{ID: id, Status: "pending", Channel: "Channel::Whatsapp"},
				})
				if err := deliver(body); err != nil {
					errs <- err
					return
				}
				asked[i].Add(1)
				if (i+k)%7 == 0 {
					// Vendors sometimes deliver a message twice (Chatwoot:
					// two jobs): the copy reaches another replica.
					vendorDups.Add(1)
					if err := deliver(body); err != nil {
						errs <- err
						return
					}
				}
			}
			if err := answered(id, len(want)); err != nil {
				errs <- err
			}
		}()
	}
	// Meanwhile, when each conversation waiting at the kill got its next
	// bot message.
	resumed := map[int64]time.Duration{}
	<-killed
	require.NoError(t, killErr)
	require.False(t, killedAt.IsZero(), "the run ended before the kill")
	for len(resumed) < len(due) && ctx.Err() == nil {
		for id, before := range due {
			if _, ok := resumed[id]; !ok && len(botMessages(id)) > before {
				resumed[id] = time.Since(killedAt)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Stop the live replicas gracefully: events in hand are finished, so
	// a late duplicate would show below.
	for _, r := range replicas {
		require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	}
	for _, r := range replicas {
		select {
		case err := <-r.exited:
			require.NoError(t, err, "faqbot exits cleanly on SIGTERM:\n%s", r.tail())
		case <-time.After(15 * time.Second):
			t.Fatalf("faqbot did not exit within 15 s of SIGTERM:\n%s", r.tail())
		}
		calls, skips := r.counts()
		res.calls += calls
		res.skipped += skips
	}
	res.dropped = int(dropped.Load())
	res.recalled = res.calls - res.messages

	// The events the killed replica had begun and not finished, and when
	// another replica began each again.
	victim.mu.Lock()
	open := map[string]string{} // conversation -> question in hand
	for _, h := range victim.handled {
		if h.text != "" {
			open[h.conv] = h.text
		} else {
			delete(open, h.conv)
		}
	}
	victim.mu.Unlock()
	res.inHand = len(open)
	for conv, text := range open {
		var first time.Time
		for _, r := range replicas {
			r.mu.Lock()
			for _, h := range r.handled {
				if h.conv == conv && h.text == text && h.at.After(killedAt) && (first.IsZero() || h.at.Before(first)) {
					first = h.at
				}
			}
			r.mu.Unlock()
		}
		require.False(t, first.IsZero(), "conversation %s: %q, in the killed replica's hands, was handled again", conv, text)
		d := first.Sub(killedAt)
		if res.takenMin == 0 || d < res.takenMin {
			res.takenMin = d
		}
		res.takenMax = max(res.takenMax, d)
	}
	res.deliveries = int(deliveries.Load())
	res.vendorDups = int(vendorDups.Load())
	res.redelivered = res.deliveries - res.messages - res.vendorDups

	res.waiting = len(due)
	var waits []time.Duration
	for _, d := range resumed {
		waits = append(waits, d)
	}
	require.Len(t, waits, len(due), "every conversation waiting at the kill was answered after it")
	if len(waits) > 0 {
		slices.Sort(waits)
		res.resumedMax, res.resumedMedian = waits[len(waits)-1], waits[len(waits)/2]
	}

	for _, id := range convs {
		got := botMessages(id)
		res.posted += len(got)
		counts := map[string]int{}
		for _, p := range want {
			counts[p]++
		}
		for _, p := range got {
			counts[p]--
		}
		dup, miss := 0, 0
		for _, c := range counts {
			if c < 0 {
				dup -= c
			} else {
				miss += c
			}
		}
		res.duplicates += dup
		res.missing += miss
		if dup+miss > 0 && len(res.details) < 3 {
			base := fmt.Sprintf("/api/v1/accounts/%d/conversations/%d", srv.AccountID(), id)
			d := fmt.Sprintf("conversation %d: %d duplicated, %d missing; %d POST messages, %d GET messages (read back):", id, dup, miss,
				srv.RequestsTo("POST "+base+"/messages"), srv.RequestsTo("GET "+base+"/messages"))
			c, _ := srv.Conversation(id)
			for _, m := range c.Messages {
				d += fmt.Sprintf("\n  %d at %s %.24q", m.ID, m.CreatedAt.Format("15:04:05.000"), m.Content)
			}
			res.details = append(res.details, d)
		}
		if dup == 0 && miss == 0 && !slices.Equal(got, want) {
			res.disordered++
		}
		if c, _ := srv.Conversation(id); c.Status == "resolved" {
			res.resolved++
		}
	}
	res.took = time.Since(began)
	return res
}

// abbreviate shortens each message to its first words, for a report.
func abbreviate(msgs []string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		if len(m) > 24 {
			m = m[:24] + "…"
		}
		out[i] = m
	}
	return out
}
