package helpdesk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// The handler's replies read as encoding/json writes them, whether built
// for the delivery or taken from the ones built once.
func TestWebhookReplyJSON(t *testing.T) {
	replies := []webhookReply{
		{Status: "queued", Events: 1},
		{Status: "ok", Events: 3, Duplicates: 2},
		{Status: "ok", Duplicates: 1},
		{Status: "ok", Events: 9},
		{Status: "queued", Events: 2, Duplicates: 3},
		{Status: "shutting down"},
		{Status: "rejected", Error: `helpdesk: invalid signature: X-Fake-Signature matches no "configured" secret`},
		{Status: "rejected", Error: "body <of> 5 & \\ bytes\n\tcafé \u2028 \x00 \xff"},
		{Status: "error", Events: -1, Error: "event handling failed"},
		{Status: "busy", Events: 1, Error: "queue unavailable"},
	}
	for _, status := range []string{"ok", "queued"} {
		for e := -1; e <= cachedEvents+1; e++ {
			for d := -1; d <= cachedDups+1; d++ {
				replies = append(replies, webhookReply{Status: status, Events: e, Duplicates: d})
			}
		}
	}
	for _, r := range replies {
		var want bytes.Buffer
		require.NoError(t, json.NewEncoder(&want).Encode(r))
		require.Equal(t, want.String(), string(r.appendJSON(nil)))
		if c := cachedReply(r); c != nil {
			require.Equal(t, want.String(), string(c), "%+v", r)
		}
		rec := httptest.NewRecorder()
		writeReply(rec, http.StatusAccepted, r)
		require.Equal(t, want.String(), rec.Body.String())
		require.Equal(t, http.StatusAccepted, rec.Code)
		require.Equal(t, []string{"application/json"}, rec.Result().Header["Content-Type"])
	}
	require.NotNil(t, cachedReply(webhookReply{Status: "queued", Events: 1}), "the usual acknowledgement is built once")
	require.Nil(t, cachedReply(webhookReply{Status: "ok", Events: 1, Error: "x"}))
}

// keyedLocks lets one holder per key in at a time, and forgets keys
// (reusing their locks) once nobody holds or waits for them.
func TestKeyedLocks(t *testing.T) {
	k := keyedLocks{m: make(map[string]*keyLock)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	inside := map[string]int{}
	counts := map[string]int{}
	var overlap atomic.Bool
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				key := fmt.Sprint((g + i) % 5)
				l := k.lock(key)
				mu.Lock()
				inside[key]++
				if inside[key] > 1 {
					overlap.Store(true)
				}
				mu.Unlock()
				runtime.Gosched()
				mu.Lock()
				inside[key]--
				counts[key]++
				mu.Unlock()
				k.unlock(key, l)
			}
		}()
	}
	wg.Wait()
	require.False(t, overlap.Load(), "two holders of one key at once")
	for key := range 5 {
		require.Equal(t, 16*300/5, counts[fmt.Sprint(key)])
	}
	require.Empty(t, k.m)
	require.NotEmpty(t, k.free)
	require.LessOrEqual(t, len(k.free), maxFreeKeyLocks)
}

// A client declaring a large body and sending a few bytes gets no more
// than maxBodyPrealloc reserved for it; the declared length still sizes
// the buffer of a small body exactly.
func TestReadBodyPreallocationBounded(t *testing.T) {
	b, err := readBody(strings.NewReader("{}"), 1<<20)
	require.NoError(t, err)
	require.Equal(t, "{}", string(b))
	require.LessOrEqual(t, cap(b), maxBodyPrealloc)
	b, err = readBody(strings.NewReader(`{"a":1}`), 7)
	require.NoError(t, err)
	require.Equal(t, 8, cap(b), "the declared length and the final EOF read")
	big := strings.Repeat("x", 3*maxBodyPrealloc)
	b, err = readBody(strings.NewReader(big), int64(len(big)))
	require.NoError(t, err)
	require.Equal(t, big, string(b), "a body larger than the preallocation grows")
}
