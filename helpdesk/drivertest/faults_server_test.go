package drivertest_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
)

func TestVendorServerInjectsEachFault(t *testing.T) {
	for _, tc := range []struct {
		fault   drivertest.Fault
		status  int  // 0: no answer
		timeout bool // the client gives up
	}{
		{drivertest.Fault429, 429, false},
		{drivertest.Fault503Before, 503, false},
		{drivertest.Fault500Before, 500, false},
		{drivertest.Fault500After, 500, false},
		{drivertest.Fault503After, 503, false},
		{drivertest.FaultTimeoutBefore, 0, true},
		{drivertest.FaultTimeoutAfter, 0, true},
		{drivertest.FaultResetBefore, 0, false},
		{drivertest.FaultResetAfter, 0, false},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			s := drivertest.NewVendorServer(t, drivertest.VendorServerOptions{})
			var processed, keyed atomic.Int32
			s.Handle("POST /msgs", func(w http.ResponseWriter, r *http.Request) {
				processed.Add(1)
				if r.Header.Get("Idempotency-Key") != "" {
					keyed.Add(1)
				}
				w.WriteHeader(http.StatusCreated)
			})
			s.Handle("GET /msgs", func(w http.ResponseWriter, r *http.Request) {})
			s.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{tc.fault}, Hold: 10 * time.Second})
			s.IgnoreHeader("Idempotency-Key")
			client := &http.Client{Timeout: 300 * time.Millisecond}

			get, err := client.Get(s.URL + "/msgs")
			require.NoError(t, err, "reads are not faulted by default")
			get.Body.Close()

			req, _ := http.NewRequest(http.MethodPost, s.URL+"/msgs", strings.NewReader(`{}`))
			// Lower case: net/http does not see the request as
			// replayable (see TestNetHTTPResendsAKeyedRequest), so
			// each fault reaches the client once.
			req.Header["idempotency-key"] = []string{"k1"}
			resp, err := client.Do(req)
			if tc.status != 0 {
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				require.Equal(t, tc.status, resp.StatusCode)
			} else {
				require.Error(t, err)
				var ne net.Error
				require.Equal(t, tc.timeout, errors.As(err, &ne) && ne.Timeout(), "%v", err)
			}
			want := int32(0)
			if tc.fault.Processed() {
				want = 1
			}
			require.Eventually(t, func() bool { return processed.Load() == want }, time.Second, 5*time.Millisecond)
			require.Zero(t, keyed.Load(), "the ignored header never reaches the handler")
			require.Equal(t, map[drivertest.Fault]int{tc.fault: 1}, s.InjectedFaults())

			s.InjectFaults(drivertest.FaultPlan{})
			req, _ = http.NewRequest(http.MethodPost, s.URL+"/msgs", strings.NewReader(`{}`))
			resp, err = client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusCreated, resp.StatusCode)
		})
	}
}

func TestFaultPlanRateIsRepeatable(t *testing.T) {
	run := func() map[drivertest.Fault]int {
		s := drivertest.NewVendorServer(t, drivertest.VendorServerOptions{})
		s.Handle("POST /msgs", func(w http.ResponseWriter, r *http.Request) {})
		s.InjectFaults(drivertest.FaultPlan{Rate: 0.2, Seed: 7, Kinds: []drivertest.Fault{drivertest.Fault500Before, drivertest.Fault503After}})
		for range 200 {
			resp, err := http.Post(s.URL+"/msgs", "application/json", strings.NewReader(`{}`))
			require.NoError(t, err)
			resp.Body.Close()
		}
		return s.InjectedFaults()
	}
	a := run()
	require.Equal(t, a, run())
	n := a[drivertest.Fault500Before] + a[drivertest.Fault503After]
	require.InDelta(t, 40, n, 20, "about 20 %% of 200 writes")
}

// Go's net/http resends a request carrying an Idempotency-Key header by
// itself when a reused connection is reset before the answer: a vendor
// that ignores the key processes it twice, and the caller sees one
// success. A lower-case header name is sent the same but is not resent.
func TestNetHTTPResendsAKeyedRequest(t *testing.T) {
	for _, tc := range []struct {
		name      string
		header    string
		processed int32
	}{
		{"canonical header: resent", "Idempotency-Key", 2},
		{"lower-case header: not resent", "idempotency-key", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := drivertest.NewVendorServer(t, drivertest.VendorServerOptions{})
			var processed atomic.Int32
			s.Handle("POST /msgs", func(w http.ResponseWriter, r *http.Request) { processed.Add(1) })
			s.Handle("GET /msgs", func(w http.ResponseWriter, r *http.Request) {})
			client := &http.Client{}
			get, err := client.Get(s.URL + "/msgs") // the POST reuses this connection
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, get.Body)
			get.Body.Close()
			s.InjectFaults(drivertest.FaultPlan{Rate: 1, Kinds: []drivertest.Fault{drivertest.FaultResetAfter}})
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/msgs", strings.NewReader(`{}`))
			req.Header[tc.header] = []string{"k1"}
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			require.Equal(t, tc.processed, processed.Load())
		})
	}
}
