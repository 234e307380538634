package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// Slow clients (a body trickling in, or never sent) are cut off by the
// server's read timeout instead of holding a goroutine each, and the
// drain after a signal is bounded.
func TestServerCutsSlowClientsAndDrainsInTime(t *testing.T) {
	cfg, err := escalation.LoadConfig(bytes.NewReader(defaultPolicy))
	require.NoError(t, err)
	policy, err := escalation.New(cfg)
	require.NoError(t, err)
	mux, h, err := vendorMux(helpdesktest.NewFake(), []string{"/webhooks/fake"}, policy, 280, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	srv := newServer("127.0.0.1:0", mux)
	srv.ReadHeaderTimeout = 100 * time.Millisecond
	srv.ReadTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()

	const clients = 50
	closed := make(chan time.Duration, clients)
	start := time.Now()
	for i := range clients {
		conn, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		go func(i int) {
			if i%2 == 0 { // headers, then a body that never finishes
				_, _ = io.WriteString(conn, "POST /webhooks/fake HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"a\":")
			} else { // headers that never finish
				_, _ = io.WriteString(conn, "POST /webhooks/fake HTTP/1.1\r\nHost: bot\r\n")
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.Copy(io.Discard, conn) // returns when the server closes
			closed <- time.Since(start)
		}(i)
	}
	for range clients {
		select {
		case d := <-closed:
			require.Less(t, d, 3*time.Second, "a slow client must be cut off by the read timeout")
		case <-time.After(6 * time.Second):
			t.Fatal("a slow client held its connection")
		}
	}
	began := time.Now()
	err = drain(srv, h, 500*time.Millisecond)
	require.True(t, err == nil || errors.Is(err, context.DeadlineExceeded), "%v", err)
	require.Less(t, time.Since(began), 2*time.Second, "the drain is bounded")
	_, err = http.Get("http://" + ln.Addr().String() + "/healthz")
	require.Error(t, err, "the server no longer accepts connections")
}
