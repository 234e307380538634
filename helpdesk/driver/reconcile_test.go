package driver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// vendor is a conversation at a fake vendor: the messages it holds, and
// a script of what each send does.
type vendor struct {
	msgs  []string // posted message ids, in order
	sends int
	finds int
	// script[i] is the outcome of send i: "ok", "lost" (fails before
	// posting), "landed" (posts, then fails ambiguously), "refused" (a
	// 400: not ambiguous). Past the script every send is "ok".
	script []string
}

var errAmbiguous = &helpdesk.APIError{StatusCode: http.StatusBadGateway}

func (v *vendor) write(r *driver.Reconciler, key string) driver.Write[string] {
	return driver.Write[string]{
		Key: key,
		Send: func(context.Context) (string, error) {
			step := "ok"
			if v.sends < len(v.script) {
				step = v.script[v.sends]
			}
			v.sends++
			id := fmt.Sprint(len(v.msgs) + 1)
			switch step {
			case "lost":
				return "", errAmbiguous
			case "refused":
				return "", &helpdesk.APIError{StatusCode: http.StatusBadRequest}
			case "landed":
				v.msgs = append(v.msgs, id)
				return "", &transport.RequestError{Written: true, Err: errors.New("connection reset by peer")}
			}
			v.msgs = append(v.msgs, id)
			r.Posted(id)
			return id, nil
		},
		Find: func(_ context.Context, since time.Time) (string, bool, error) {
			v.finds++
			for _, id := range v.msgs {
				if r.Claim(id) {
					return id, true, nil
				}
			}
			return "", false, nil
		},
	}
}

func TestReconcile(t *testing.T) {
	for _, tc := range []struct {
		name          string
		script        []string
		wantErr       bool
		wantMsgs      int
		sends, finds  int
		wantUnsettled bool
	}{
		{name: "first send lands", script: nil, wantMsgs: 1, sends: 1},
		{name: "landed then failed is found, not resent", script: []string{"landed"}, wantMsgs: 1, sends: 1, finds: 1},
		{name: "lost is resent once", script: []string{"lost"}, wantMsgs: 1, sends: 2, finds: 1},
		{name: "a refusal is not retried", script: []string{"refused"}, wantErr: true, sends: 1},
		{name: "bounded by MaxSends", script: []string{"lost", "lost", "lost", "lost"}, wantErr: true, sends: 3, finds: 3, wantUnsettled: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r driver.Reconciler
			v := &vendor{script: tc.script}
			_, err := driver.Reconcile(context.Background(), &r, v.write(&r, "conv|key"))
			require.Equal(t, tc.wantErr, err != nil, "err %v", err)
			require.Len(t, v.msgs, tc.wantMsgs)
			require.Equal(t, tc.sends, v.sends, "sends")
			require.Equal(t, tc.finds, v.finds, "read-backs")
			// The host retries the same message: an unsettled failure reads
			// back first; a settled one does not.
			v.finds = 0
			v.script = nil
			_, err = driver.Reconcile(context.Background(), &r, v.write(&r, "conv|key"))
			require.NoError(t, err)
			if tc.wantUnsettled {
				require.Equal(t, 1, v.finds, "an unsettled write must be read back before the host's retry posts")
			} else {
				require.Zero(t, v.finds)
			}
		})
	}
}

// A write that landed while the whole call failed is found by the host's
// retry, never posted twice.
func TestReconcileHostRetryFindsLanded(t *testing.T) {
	var r driver.Reconciler
	r.MaxSends = 1
	v := &vendor{script: []string{"landed"}}
	w := v.write(&r, "k")
	w.Find = func(context.Context, time.Time) (string, bool, error) {
		return "", false, errors.New("read-back failed")
	}
	_, err := driver.Reconcile(context.Background(), &r, w)
	require.Error(t, err)
	require.Len(t, v.msgs, 1)
	id, err := driver.Reconcile(context.Background(), &r, v.write(&r, "k"))
	require.NoError(t, err)
	require.Equal(t, "1", id)
	require.Len(t, v.msgs, 1, "the host's retry posted the message a second time")
}

func TestReconcilerClaimBounded(t *testing.T) {
	var r driver.Reconciler
	require.False(t, r.Claim(""))
	require.True(t, r.Claim("a"))
	require.False(t, r.Claim("a"))
	require.True(t, r.IsPosted("a"))
	for i := range 5000 {
		r.Posted(fmt.Sprint(i))
	}
	require.False(t, r.IsPosted("a"), "the oldest id must be forgotten past the bound")
	require.True(t, r.IsPosted("4999"))
}

func TestAmbiguous(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&helpdesk.APIError{StatusCode: 500}, true},
		{&helpdesk.APIError{StatusCode: 503}, true},
		{&helpdesk.APIError{StatusCode: 408}, true},
		{&helpdesk.APIError{StatusCode: 429}, false},
		{&helpdesk.APIError{StatusCode: 422}, false},
		{fmt.Errorf("wrapped: %w", &transport.RequestError{Written: true, Err: errors.New("timeout")}), true},
		{&transport.RequestError{Err: errors.New("dial tcp: connection refused")}, false},
		{&transport.RequestError{Err: context.Canceled}, false},
		{errors.New("plain"), false},
	} {
		require.Equal(t, tc.want, driver.Ambiguous(tc.err), "%v", tc.err)
	}
}
