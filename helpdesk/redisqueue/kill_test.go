package redisqueue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest/redistest"
	"github.com/agentdesk/agentdesk/helpdesk/redisqueue"
)

// replicaEnv carries a replica process's configuration (JSON).
const replicaEnv = "AGENTDESK_REDISQUEUE_REPLICA"

type replicaConfig struct {
	Addr, Prefix, Name string
	Lease              time.Duration
	Shards             int
}

// recorder is the host's event function of the kill and restart tests.
// It writes what it does to Redis under prefix:
//
//	calls   delivery → how many times the function was called
//	plain   delivery → how many times it completed, counted by a plain
//	        write after its work: what a host that does not use AckWith
//	        observes
//	done    delivery → how many times its completion was committed, with
//	        redisqueue.AckWith in the acknowledging transaction
//	log:<conversation> the committed events' sequence numbers, in order
//	at      delivery → "replica unix-nanoseconds" of the commit
func recorder(c redis.UniversalClient, prefix, name string) helpdesk.EventFunc {
	return func(ctx context.Context, ev helpdesk.Event) error {
		id := ev.DeliveryID
		if err := c.HIncrBy(ctx, prefix+"calls", id, 1).Err(); err != nil {
			return err
		}
		if err := c.HIncrBy(ctx, prefix+"plain", id, 1).Err(); err != nil {
			return err
		}
		return redisqueue.AckWith(ctx, func(p redis.Pipeliner) {
			p.HIncrBy(ctx, prefix+"done", id, 1)
			p.RPush(ctx, prefix+"log:"+ev.Conversation.ID, ev.Message.Text)
			p.HSet(ctx, prefix+"at", id, name+" "+strconv.FormatInt(time.Now().UnixNano(), 10))
		})
	}
}

// TestHelperReplica is a replica process of TestReplicaProcessKilled,
// which starts it (re-executing the test binary); alone it skips.
func TestHelperReplica(t *testing.T) {
	raw := os.Getenv(replicaEnv)
	if raw == "" {
		t.Skip("a replica process started by TestReplicaProcessKilled")
	}
	var cfg replicaConfig
	require.NoError(t, json.Unmarshal([]byte(raw), &cfg))
	c := redis.NewClient(&redis.Options{Addr: cfg.Addr})
	defer c.Close()
	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: cfg.Prefix, Lease: cfg.Lease, Shards: cfg.Shards, Consumer: cfg.Name})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// The parent closes stdin to stop the replica, or dies.
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	require.NoError(t, q.Run(ctx, recorder(c, cfg.Prefix, cfg.Name)))
}

// replica is a replica process.
type replica struct {
	name  string
	cmd   *exec.Cmd
	stdin io.Closer
	out   *bytes.Buffer
	done  chan struct{} // closed when the process has exited
	err   error         // its exit, once done
}

func startReplica(t *testing.T, cfg replicaConfig) *replica {
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperReplica$", "-test.count=1")
	cmd.Env = append(os.Environ(), replicaEnv+"="+string(raw))
	r := &replica{name: cfg.Name, cmd: cmd, out: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	r.stdin = stdin
	require.NoError(t, cmd.Start())
	go func() { r.err = cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-r.done
	})
	return r
}

// kill is kill -9.
func (r *replica) kill(t *testing.T) {
	require.NoError(t, r.cmd.Process.Kill())
	<-r.done
	require.Error(t, r.err, "killed")
}

// stop ends the replica the orderly way and checks it went well.
func (r *replica) stop(t *testing.T) {
	require.NoError(t, r.stdin.Close())
	select {
	case <-r.done:
		require.NoError(t, r.err, "replica %s: %s", r.name, r.out.String())
	case <-time.After(30 * time.Second):
		t.Errorf("replica %s did not stop: %s", r.name, r.out.String())
	}
}

// outcome is what the replicas recorded.
type outcome struct {
	lost, twice, calledAgain, plainTwice int
	outOfOrder                           []string
}

func readOutcome(t *testing.T, c redis.UniversalClient, prefix string, convs, perConv int) outcome {
	ctx := context.Background()
	count := func(key string) map[string]int {
		m, err := c.HGetAll(ctx, prefix+key).Result()
		require.NoError(t, err)
		out := make(map[string]int, len(m))
		for k, v := range m {
			out[k], err = strconv.Atoi(v)
			require.NoError(t, err)
		}
		return out
	}
	done, calls, plain := count("done"), count("calls"), count("plain")
	var o outcome
	for cv := range convs {
		for s := range perConv {
			id := event(cv, s).DeliveryID
			switch n := done[id]; {
			case n == 0:
				o.lost++
			case n > 1:
				o.twice++
			}
			if calls[id] > 1 {
				o.calledAgain++
			}
			if plain[id] > 1 {
				o.plainTwice++
			}
		}
		got, err := c.LRange(ctx, prefix+"log:"+strconv.Itoa(cv), 0, -1).Result()
		require.NoError(t, err)
		want := make([]string, perConv)
		for s := range want {
			want[s] = strconv.Itoa(s)
		}
		if !slices.Equal(got, want) {
			o.outOfOrder = append(o.outOfOrder, fmt.Sprintf("conversation %d: %v", cv, got))
		}
	}
	return o
}

// pendingOf returns the delivery ids a consumer had read and not
// acknowledged, by shard.
func pendingOf(t *testing.T, c redis.UniversalClient, prefix string, shards int, consumer string) map[int][]string {
	ctx := context.Background()
	ids := map[int][]string{}
	for s := range shards {
		stream := prefix + "s:" + strconv.Itoa(s)
		p, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: "handlers", Start: "-", End: "+", Count: 1000, Consumer: consumer}).Result()
		if err != nil && strings.Contains(err.Error(), "NOGROUP") {
			continue
		}
		require.NoError(t, err)
		for _, e := range p {
			msgs, err := c.XRange(ctx, stream, e.ID, e.ID).Result()
			require.NoError(t, err)
			if len(msgs) == 0 {
				continue // acknowledged meanwhile
			}
			var ev helpdesk.Event
			raw, _ := msgs[0].Values["event"].(string)
			require.NoError(t, json.Unmarshal([]byte(raw), &ev))
			ids[s] = append(ids[s], ev.DeliveryID)
		}
	}
	return ids
}

// Three replica processes share a queue; mid run one is killed with
// SIGKILL (and replaced, as an orchestrator would), twice. Every event is
// committed once, in order per conversation, and the dead replica's events
// are handled by the others within about a lease.
func TestReplicaProcessKilled(t *testing.T) {
	addr := redistest.Addr(t)
	prefix := redistest.KeyPrefix(t)
	convs, perConv := 500, 20 // 10,000 events
	if testing.Short() {
		convs = 100
	}
	total := convs * perConv
	const shards = 16
	lease := time.Second
	c := newClient(t, addr)
	ctx := context.Background()

	cfg := func(name string) replicaConfig {
		return replicaConfig{Addr: addr, Prefix: prefix, Name: name, Lease: lease, Shards: shards}
	}
	live := []*replica{startReplica(t, cfg("r0")), startReplica(t, cfg("r1")), startReplica(t, cfg("r2"))}

	q, err := redisqueue.New(c, &redisqueue.Options{Prefix: prefix, Lease: lease, Shards: shards})
	require.NoError(t, err)
	enqueued := make(chan error, 1)
	go func() {
		for s := range perConv {
			batch := make([]helpdesk.Event, 0, convs)
			for cv := range convs {
				batch = append(batch, event(cv, s))
			}
			if err := q.Enqueue(ctx, batch); err != nil {
				enqueued <- err
				return
			}
		}
		enqueued <- nil
	}()

	handled := func() int64 { n, _ := c.HLen(ctx, prefix+"done").Result(); return n }
	type death struct {
		name   string
		at     time.Time
		inHand map[int][]string
	}
	var deaths []death
	for i, frac := range []float64{0.3, 0.6} {
		require.Eventually(t, func() bool { return handled() >= int64(frac*float64(total)) }, 60*time.Second, 2*time.Millisecond,
			"handling reaches %.0f %%", frac*100)
		victim := live[i] // r0, then r1
		victim.kill(t)
		d := death{name: victim.name, at: time.Now()}
		d.inHand = pendingOf(t, c, prefix, shards, victim.name)
		deaths = append(deaths, d)
		live = append(live, startReplica(t, cfg(fmt.Sprint("r", 3+i))))
	}
	require.NoError(t, <-enqueued)
	require.Eventually(t, func() bool { return handled() == int64(total) }, 60*time.Second, 10*time.Millisecond,
		"every event handled")
	for _, r := range live[2:] {
		r.stop(t)
	}

	o := readOutcome(t, c, prefix, convs, perConv)
	require.Zero(t, o.lost, "events lost")
	require.Zero(t, o.twice, "events committed twice")
	require.Empty(t, o.outOfOrder, "conversations out of order")

	at, err := c.HGetAll(ctx, prefix+"at").Result()
	require.NoError(t, err)
	for _, d := range deaths {
		// A shard is taken over when another replica commits the first
		// of the events the dead one held in it.
		var takeover []time.Duration
		var last time.Duration
		n := 0
		for _, ids := range d.inHand {
			var first time.Duration
			for _, id := range ids {
				f := strings.Fields(at[id])
				require.Len(t, f, 2, "commit of %s recorded", id)
				require.NotEqual(t, d.name, f[0], "%s committed by the dead replica", id)
				ns, err := strconv.ParseInt(f[1], 10, 64)
				require.NoError(t, err)
				after := time.Unix(0, ns).Sub(d.at)
				if first == 0 || after < first {
					first = after
				}
				last = max(last, after)
				n++
			}
			takeover = append(takeover, first.Round(time.Millisecond))
		}
		slices.Sort(takeover)
		t.Logf("%s killed holding %d shards with %d events read and not acknowledged: shards taken over %v after the kill, the last of those events committed %s after it (lease %s)",
			d.name, len(d.inHand), n, takeover, last.Round(time.Millisecond), lease)
	}
	t.Logf("%d events over %d conversations, 3 replicas, %d killed with SIGKILL: %d lost, %d committed twice, %d conversations out of order; "+
		"the event function was called again for %d events (killed during the call or before the acknowledgement), and %d completions were counted twice by a plain write outside AckWith",
		total, convs, len(deaths), o.lost, o.twice, len(o.outOfOrder), o.calledAgain, o.plainTwice)
}
