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

// reconciling is a driver whose SendMessage reconciles its writes to v
// under the host's key, as every reading-back driver does.
type reconciling struct {
	*stub
	r driver.Reconciler
	v *vendor
}

func (d *reconciling) SendMessage(ctx context.Context, _ helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	id, err := driver.Reconcile(ctx, &d.r, d.v.write(&d.r, msg.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return &helpdesk.Receipt{MessageID: id}, nil
}

// A write that succeeded is remembered under the host's key: when the host
// could not record the success (its progress store was down) and retries
// the message in the same process, telling of the earlier attempt
// (Message.EarlierAttempt), the client returns the same message without
// sending, and without reading back, where it would skip the message it
// posted itself and post it again. Without a key nothing is remembered;
// without an earlier attempt the message is sent again under its key
// (which a vendor honouring keys dedupes).
func TestReconcileRemembersASuccessUnderItsKey(t *testing.T) {
	for _, tc := range []struct {
		name, key           string
		script              []string
		noEarlier           bool
		wantMsgs, wantSends int
	}{
		{name: "sent", key: "answer-1/2", wantMsgs: 1, wantSends: 1},
		{name: "found by reading back", key: "answer-1/2", script: []string{"landed"}, wantMsgs: 1, wantSends: 1},
		{name: "no key", script: nil, wantMsgs: 2, wantSends: 2},
		{name: "no earlier attempt", key: "answer-1/2", noEarlier: true, wantMsgs: 2, wantSends: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &reconciling{stub: &stub{caps: allCaps}, v: &vendor{script: tc.script}}
			p := newPortable(t, d, nil)
			first := time.Now()
			rc, err := p.SendMessage(context.Background(), conv, helpdesk.Message{Text: "two", IdempotencyKey: tc.key})
			require.NoError(t, err)
			finds := d.v.finds

			retry := helpdesk.Message{Text: "two", IdempotencyKey: tc.key, EarlierAttempt: first}
			if tc.noEarlier {
				retry.EarlierAttempt = time.Time{}
			}
			again, err := p.SendMessage(context.Background(), conv, retry)
			require.NoError(t, err)
			require.Len(t, d.v.msgs, tc.wantMsgs)
			require.Equal(t, tc.wantSends, d.v.sends)
			if tc.key != "" && !tc.noEarlier {
				require.Equal(t, rc.MessageID, again.MessageID, "the same message")
				require.Equal(t, finds, d.v.finds, "no read-back")
			}
		})
	}
}

// The results remembered are bounded, oldest forgotten first, like the
// ids.
func TestReconcileResultsBounded(t *testing.T) {
	d := &reconciling{stub: &stub{caps: allCaps}, v: &vendor{}}
	for i := range 5000 {
		_, err := driver.Reconcile(context.Background(), &d.r, d.v.write(&d.r, fmt.Sprint("k", i)))
		require.NoError(t, err)
	}
	p := newPortable(t, d, nil)
	// calls is how often the host's retry reached the vendor.
	calls := func(key string) int {
		t.Helper()
		before := d.v.sends + d.v.finds
		_, err := p.SendMessage(context.Background(), conv, helpdesk.Message{Text: "hi", IdempotencyKey: key, EarlierAttempt: time.Now()})
		require.NoError(t, err)
		return d.v.sends + d.v.finds - before
	}
	require.Zero(t, calls("k4999"), "the newest is remembered")
	require.NotZero(t, calls("k0"), "the oldest is forgotten past the bound")
}
