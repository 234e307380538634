package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/zendesk/zendesktest"
)

// startBinary builds faqbot, runs it in Zendesk mode against a fake
// Zendesk with its default settings (embedded policy, default timeouts)
// on a loopback port, and returns the process and its address.
func startBinary(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "faqbot")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "go build")

	zd := zendesktest.NewServer(t, nil)
	o := zd.Options()
	cmd := exec.Command(bin, "-vendor", "zendesk", "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(),
		"ZENDESK_SUBDOMAIN="+o.Subdomain, "ZENDESK_EMAIL="+o.Email, "ZENDESK_API_TOKEN="+o.APIToken,
		"ZENDESK_BOT_USER_ID="+strconv.FormatInt(o.BotUserID, 10), "ZENDESK_N2_GROUP_ID="+strconv.FormatInt(o.N2GroupID, 10),
		"ZENDESK_WEBHOOK_SECRET="+o.WebhookSecret, "ZENDESK_BASE_URL="+zd.Support.URL)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // not reaped: the test failed early
			_ = cmd.Process.Kill()
		}
	})

	addrRE := regexp.MustCompile(`msg="faqbot listening" addr=(\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		return cmd, addr
	case <-time.After(20 * time.Second):
		t.Fatal("faqbot did not start listening")
		return nil, ""
	}
}

// slowClient sends a webhook's headers, then trickles its body a byte at a
// time, and reports how long after the headers the server closed the
// connection (or an error when it never did within limit).
func slowClient(addr string, limit time.Duration, done chan<- time.Duration, errs chan<- error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		errs <- err
		return
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "POST /webhooks/zendesk HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"); err != nil {
		errs <- err
		return
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if _, err := io.WriteString(conn, " "); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(start.Add(limit))
	_, err = io.Copy(io.Discard, conn) // returns when the server closes
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		errs <- fmt.Errorf("connection still open after %s", limit)
		return
	}
	done <- time.Since(start)
}

// Issue point 5's figure: 200 slow-body clients against faqbot are all
// cut off within the read timeout, and SIGTERM with slow clients still
// connected exits within 10 s. These are bounds on the server's
// behaviour (its timeouts), not performance targets.
func TestBinaryCutsSlowClientsAndExitsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the faqbot binary for about 20 s")
	}
	cmd, addr := startBinary(t)

	const clients = 200
	done := make(chan time.Duration, clients)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() { defer wg.Done(); slowClient(addr, readTimeout+5*time.Second, done, errs) }()
	}
	wg.Wait()
	close(done)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var closed []time.Duration
	for d := range done {
		closed = append(closed, d)
	}
	require.Len(t, closed, clients)
	slices.Sort(closed)
	t.Logf("%d slow-body clients: closed by the server after min %s, median %s, max %s (read timeout %s)",
		clients, closed[0].Round(time.Millisecond), closed[clients/2].Round(time.Millisecond), closed[clients-1].Round(time.Millisecond), readTimeout)
	require.LessOrEqual(t, closed[clients-1], readTimeout+time.Second, "every slow client is cut off by the read timeout")
	require.GreaterOrEqual(t, closed[0], readTimeout-time.Second, "and not before: a slow vendor still gets its read timeout")

	// SIGTERM while 50 slow clients are connected.
	const open = 50
	done2 := make(chan time.Duration, open)
	errs2 := make(chan error, open)
	for range open {
		go slowClient(addr, readTimeout+5*time.Second, done2, errs2)
	}
	time.Sleep(time.Second)
	exited := make(chan error, 1)
	sent := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		took := time.Since(sent)
		t.Logf("SIGTERM with %d slow clients connected: exited in %s (%v)", open, took.Round(time.Millisecond), err)
		require.NoError(t, err)
		require.Less(t, took, 10*time.Second, "SIGTERM exits within 10 s")
	case <-time.After(15 * time.Second):
		t.Fatal("faqbot did not exit within 15 s of SIGTERM")
	}
}
