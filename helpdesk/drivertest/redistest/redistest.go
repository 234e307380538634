// Package redistest gives tests a real Redis server.
//
// Addr returns the address in AGENTDESK_TEST_REDIS_ADDR when it is set;
// otherwise it starts redis-server from PATH on a free loopback port with
// persistence off, waits until it answers PING and stops it when the test
// ends. When neither is available the test is skipped with a message saying
// so, or fails when CI=true, so a CI run cannot pass by silently skipping
// every Redis test.
//
// Servers started here belong to one test. Tests that share an external
// server (AGENTDESK_TEST_REDIS_ADDR) must keep their keys apart: use
// KeyPrefix, which is unique per test.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/internal/skips"
)

// EnvAddr names the environment variable holding the address of an
// externally managed Redis server used by tests.
const EnvAddr = "AGENTDESK_TEST_REDIS_ADDR"

// startTimeout bounds how long a started redis-server may take to answer PING.
const startTimeout = 10 * time.Second

// Addr returns the address of a Redis server for t: the external one named by
// AGENTDESK_TEST_REDIS_ADDR, or a fresh redis-server owned by t.
func Addr(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv(EnvAddr); addr != "" {
		return addr
	}
	return Start(t).Addr()
}

// Client returns a client for Addr(t), closed when t ends. On a server
// started for t the database is empty; on an external server the client
// uses database 0 as is, so keys must carry KeyPrefix(t).
func Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(t)})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redistest: PING %s: %v", c.Options().Addr, err)
	}
	return c
}

// KeyPrefix returns a key prefix unique to t (and to this call), ending in ':'.
func KeyPrefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", ".", " ", "_", ":", ".").Replace(t.Name())
	return "agentdesk-test:" + name + ":" + hex.EncodeToString(b[:]) + ":"
}

// Server is a redis-server process owned by one test.
type Server struct {
	t    testing.TB
	port int
	bin  string
	dir  string // the append-only file's directory; "" for no persistence

	mu     sync.Mutex
	proc   *os.Process
	exited chan error // receives the process's exit once
}

// Start starts a redis-server on a free 127.0.0.1 port, waits until it
// answers PING and registers its shutdown with t.Cleanup. Without
// redis-server on PATH it skips t (or fails it when CI=true). Tests that
// need to stop and restart the server use Start rather than Addr; it ignores
// AGENTDESK_TEST_REDIS_ADDR.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := StartServer()
	if errors.Is(err, exec.ErrNotFound) {
		unavailable(t, "redis-server not found on PATH and "+EnvAddr+" is not set")
	}
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	s.t = t
	t.Cleanup(s.Stop)
	return s
}

// StartAppendOnly is Start with persistence on, as a production Redis
// holding a durable queue runs: an append-only file in a directory of t's,
// fsynced before every reply (appendfsync always). Restart then brings the
// data set back as it was when the server was killed.
func StartAppendOnly(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable(t, "redis-server not found on PATH")
	}
	dir := t.TempDir()
	var last error
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("redistest: finding a free port: %v", err)
		}
		s := &Server{t: t, port: port, bin: bin, dir: dir}
		if last = s.start(); last == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: %v", last)
	return nil
}

// StartServer starts a redis-server like Start does, for programs outside
// tests (such as simulators). The caller must Stop it; Restart is only
// available on servers from Start. The error matches exec.ErrNotFound when
// redis-server is not on PATH.
func StartServer() (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	// Another process may take the free port before redis-server binds it:
	// try a few ports.
	var last error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		s := &Server{port: port, bin: bin}
		if last = s.start(); last == nil {
			return s, nil
		}
	}
	return nil, last
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Stop kills the server. It is safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.Kill()
	<-s.exited
	s.proc, s.exited = nil, nil
}

// Restart starts the server again on the same port after Stop, with an
// empty data set (with the data set its append-only file kept, for a
// server from StartAppendOnly).
func (s *Server) Restart() {
	if s.t == nil {
		panic("redistest: Restart on a server not started by Start")
	}
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	persist := []string{"--appendonly", "no"}
	if s.dir != "" {
		persist = []string{"--appendonly", "yes", "--appendfsync", "always", "--dir", s.dir}
	}
	cmd := exec.Command(s.bin, append([]string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--protected-mode", "yes",
		"--loglevel", "warning",
	}, persist...)...)
	cmd.Dir = os.TempDir()
	setParentDeath(cmd)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			return fmt.Errorf("redis-server exited before answering PING: %v: %s", werr, out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("redis-server did not answer PING within " + startTimeout.String())
		}
	}
	s.proc, s.exited = cmd.Process, exited
	return nil
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("redistest: %s (CI=true: Redis is required)", why)
	}
	skips.Record("Redis tests", why, "install redis-server on PATH (or set CI=true to make its absence fail)", t.Name())
	t.Skipf("redistest: skipping: %s", why)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
