package redisqueue_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
)

// signed is a delivery ready to send to any server.
type signed struct {
	header http.Header
	body   []byte
}

// deliveries builds n signed deliveries over convs conversations.
func deliveries(b *testing.B, fake *helpdesktest.Fake, n, convs int) []signed {
	out := make([]signed, n)
	cs := make([]helpdesk.Conversation, convs)
	for i := range cs {
		cs[i] = fake.Open(fmt.Sprint(i), helpdesk.ChannelWebChat)
	}
	for i := range out {
		r := fake.Delivery(fake.CustomerWrites(cs[i%convs], fmt.Sprint(i)))
		body, err := io.ReadAll(r.Body)
		require.NoError(b, err)
		out[i] = signed{header: r.Header.Clone(), body: body}
	}
	return out
}

// flood sends ds from clients keep-alive clients and returns each
// request's latency and how many were not answered 200.
func flood(b *testing.B, url string, ds []signed, clients int) ([]time.Duration, int) {
	var (
		next   atomic.Int64
		mu     sync.Mutex
		lat    = make([]time.Duration, 0, len(ds))
		non200 atomic.Int64
		wg     sync.WaitGroup
	)
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: tr}
			var mine []time.Duration
			for {
				i := next.Add(1) - 1
				if int(i) >= len(ds) {
					break
				}
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(ds[i].body))
				req.Header = ds[i].header.Clone()
				start := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					non200.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(start))
				if resp.StatusCode != 200 {
					non200.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, int(non200.Load())
}

func p99(lat []time.Duration) time.Duration {
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0
	}
	return lat[len(lat)*99/100]
}

// BenchmarkAcknowledge measures webhook acknowledgement latency with 500
// concurrent keep-alive clients against a bare net/http handler (reads the
// body, answers 200), for the in-memory queue and for the Redis Streams
// queue; and the events acknowledged and handled per second.
//
// Each mode runs 5 rounds; a round floods the bare handler and the queue's
// handler with 10,000 deliveries each, back to back, in alternating order
// (bare first, then queue first), the queue having handled everything
// before each flood, so that neither run carries the other's work. Each
// server is warmed up first by the same 2,500 other deliveries, after one
// unmeasured flood that takes the process's first-flood costs. A round's
// ratio is its queue p99 over its bare p99; the figures reported are the
// medians over the rounds (and the ratio's range): the machine's load
// drifts, and one pair of floods taken a second apart measures the drift
// as much as the queue.
func BenchmarkAcknowledge(b *testing.B) {
	const clients, convs, n, warm, rounds = 500, 500, 10000, 2500, 5
	for range b.N {
		fake := helpdesktest.NewFake()
		all := deliveries(b, fake, warm+rounds*n, convs)
		warmup := all[:warm]
		// The first flood after building the deliveries is slower than
		// any later one (heap growth, stacks, ports): spend it on no
		// measurement, so that every round starts alike.
		runtime.GC()
		bareHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(200)
		})
		first := httptest.NewServer(bareHandler)
		_, _ = flood(b, first.URL, all[warm:warm+n], clients)
		first.Close()
		for _, mode := range []string{"memory", "redis"} {
			bare := httptest.NewServer(bareHandler)
			_, _ = flood(b, bare.URL, warmup, clients)

			var handled atomic.Int64
			fn := func(context.Context, helpdesk.Event) error { handled.Add(1); return nil }
			o := &helpdesk.WebhookOptions{QueueSize: n}
			serverCPU := func() time.Duration { return 0 }
			if mode == "redis" {
				c := redistest.Client(b)
				serverCPU = func() time.Duration { return redisCPU(b, c) }
				q, err := redisqueue.New(c, &redisqueue.Options{Prefix: redistest.KeyPrefix(b), MaxLen: int64(n)})
				require.NoError(b, err)
				o = &helpdesk.WebhookOptions{Queue: q}
			}
			h, err := helpdesk.NewWebhookHandler(fake, fn, o)
			require.NoError(b, err)
			srv := httptest.NewServer(h)
			_, refused := flood(b, srv.URL, warmup, clients)
			require.Zero(b, refused, "warm-up refused")
			waitHandled(b, &handled, warm)

			var m roundFigures
			for r := range rounds {
				ds := all[warm+r*n : warm+(r+1)*n]
				runBare := func() {
					cpu0 := processCPU()
					lat, _ := flood(b, bare.URL, ds, clients)
					m.bareCPU = append(m.bareCPU, float64((processCPU()-cpu0).Microseconds())/n)
					m.bareP99 = append(m.bareP99, ms(p99(lat)))
				}
				if r%2 == 0 {
					runBare()
				}
				handled.Store(0)
				cpu0, server0 := processCPU(), serverCPU()
				start := time.Now()
				lat, refused := flood(b, srv.URL, ds, clients)
				acked := time.Since(start)
				cpu, server, during := processCPU()-cpu0, serverCPU()-server0, handled.Load()
				waitHandled(b, &handled, n-refused)
				done := time.Since(start)
				m.p99 = append(m.p99, ms(p99(lat)))
				m.acked = append(m.acked, float64(n-refused)/acked.Seconds())
				m.handled = append(m.handled, float64(n-refused)/done.Seconds())
				m.cpu = append(m.cpu, float64(cpu.Microseconds())/n)
				m.serverCPU = append(m.serverCPU, float64(server.Microseconds())/n)
				m.during = append(m.during, float64(during))
				m.refused += refused
				if r%2 == 1 {
					runBare()
				}
				m.ratio = append(m.ratio, m.p99[r]/m.bareP99[r])
			}
			srv.Close()
			bare.Close()
			_ = h.Shutdown(context.Background())
			m.report(b, mode)
		}
	}
}

// roundFigures are one mode's figures, one per round.
type roundFigures struct {
	bareP99, p99, ratio, acked, handled, bareCPU, cpu, serverCPU, during []float64
	refused                                                              int
}

func (m *roundFigures) report(b *testing.B, mode string) {
	median := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(median(m.bareP99), mode+"-bare-p99-ms")
	b.ReportMetric(median(m.p99), mode+"-p99-ms")
	b.ReportMetric(median(m.ratio), mode+"-p99-ratio")
	b.ReportMetric(slices.Min(m.ratio), mode+"-p99-ratio-min")
	b.ReportMetric(slices.Max(m.ratio), mode+"-p99-ratio-max")
	b.ReportMetric(median(m.acked), mode+"-acked/s")
	b.ReportMetric(median(m.handled), mode+"-handled/s")
	b.ReportMetric(float64(m.refused), mode+"-503s")
	// CPU per delivery during the measured floods: this process (the 500
	// clients included) for the bare handler and for the queue, and
	// Redis's own; and the events handled during the queue's flood.
	b.ReportMetric(median(m.bareCPU), mode+"-bare-cpu-us/delivery")
	b.ReportMetric(median(m.cpu), mode+"-cpu-us/delivery")
	if mode == "redis" {
		b.ReportMetric(median(m.serverCPU), "redis-server-cpu-us/delivery")
	}
	b.ReportMetric(median(m.during), mode+"-handled-during-flood")
	b.Logf("%s: p99 ratio per round %.2f (bare p99 ms %.1f, queue p99 ms %.1f)", mode, m.ratio, m.bareP99, m.p99)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// redisCPU is the CPU time the Redis server has used, as it reports it.
func redisCPU(b *testing.B, c *redis.Client) time.Duration {
	info, err := c.Info(context.Background(), "cpu").Result()
	require.NoError(b, err)
	var total time.Duration
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(b, err)
			total += time.Duration(f * float64(time.Second))
		}
	}
	return total
}

// waitHandled waits until n events were handled.
func waitHandled(b *testing.B, handled *atomic.Int64, n int) {
	b.Helper()
	for deadline := time.Now().Add(time.Minute); handled.Load() < int64(n); {
		require.True(b, time.Now().Before(deadline), "%d of %d events handled", handled.Load(), n)
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkFlood sends 25,000 deliveries from 500 clients: the in-memory
// queue (QueueSize 10,000, 8 workers, an event function taking 1 ms)
// refuses what it cannot hold with 503; the Redis Streams queue stores
// the whole flood and drains it afterwards.
func BenchmarkFlood(b *testing.B) {
	const clients, convs, n = 500, 500, 25000
	for range b.N {
		fake := helpdesktest.NewFake()
		ds := deliveries(b, fake, n, convs)
		for _, mode := range []string{"memory", "redis"} {
			fn := func(context.Context, helpdesk.Event) error { time.Sleep(time.Millisecond); return nil }
			o := &helpdesk.WebhookOptions{QueueSize: 10000}
			if mode == "redis" {
				q, err := redisqueue.New(redistest.Client(b), &redisqueue.Options{Prefix: redistest.KeyPrefix(b)})
				require.NoError(b, err)
				o = &helpdesk.WebhookOptions{Queue: q}
			}
			h, err := helpdesk.NewWebhookHandler(fake, fn, o)
			require.NoError(b, err)
			srv := httptest.NewServer(h)
			_, refused := flood(b, srv.URL, ds, clients)
			srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			_ = h.Shutdown(ctx)
			cancel()
			b.ReportMetric(100*float64(refused)/n, mode+"-503-%")
		}
	}
}
