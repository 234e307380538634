package drivertest_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/driver"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/helpdesk/helpdesktest"
)

// A suite that never fails proves nothing. Each mutant below is the Fake
// with one bug planted that a real driver or handler could have; the
// suite must fail on each, in the subtest written to catch it.

// mutantEnv selects the mutant TestMutant runs.
const mutantEnv = "AGENTDESK_DRIVERTEST_MUTANT"

// resolvedWithoutResolving reports Receipt.Resolved for a final message
// but never resolves the conversation at the vendor.
type resolvedWithoutResolving struct{ driver.Driver }

func (d resolvedWithoutResolving) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	asked := msg.Resolve
	msg.Resolve = false
	r, err := d.Driver.SendMessage(ctx, conv, msg)
	if r != nil && asked {
		r.Resolved = true
	}
	return r, err
}

// noReplayWindow checks the signature but not the signed time: it
// verifies every delivery as if it had been received when it was signed.
type noReplayWindow struct{ driver.Driver }

func (d noReplayWindow) VerifyWebhook(req *helpdesk.WebhookRequest) error {
	r := *req
	if at, ok := driver.UnixSeconds.Parse(req.Header.Get(helpdesktest.FakeTimestampHeader)); ok {
		r.ReceivedAt = at
	}
	return d.Driver.VerifyWebhook(&r)
}

// leaksSecret names the webhook secret in its verification errors, the
// kind of "expected signature under ..." message that ends up in logs.
type leaksSecret struct{ driver.Driver }

func (d leaksSecret) VerifyWebhook(req *helpdesk.WebhookRequest) error {
	if err := d.Driver.VerifyWebhook(req); err != nil {
		return fmt.Errorf("%w (expected a signature under %s)", err, fakeSecret)
	}
	return nil
}

// idFromUnsignedHeader builds delivery ids from a header the signature
// does not cover, as a driver keyed on a vendor's delivery-id header
// would: a captured delivery replayed with that header changed is handled
// again.
type idFromUnsignedHeader struct{ driver.Driver }

func (d idFromUnsignedHeader) ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	events, err := d.Driver.ParseWebhook(ctx, req)
	for i := range events {
		events[i].DeliveryID += ":" + req.Header.Get("Content-Type")
	}
	return events, err
}

// keepsRefusedClaims is a dedupe store whose Release does nothing: a
// queued handler that refuses a delivery with 503 keeps its claim, so the
// vendor's redelivery is dropped as a duplicate and the customer's
// message is lost.
type keepsRefusedClaims struct{ *helpdesk.MemoryDedupe }

func (keepsRefusedClaims) Release(context.Context, string) error { return nil }

var mutants = map[string]struct {
	harness drivertest.Harness
	// mustFail are the subtests that must catch the bug.
	mustFail []string
}{
	"ResolvedWithoutResolving": {
		harness: fakeHarness(nil, helpdesktest.WithDriver(func(d driver.Driver) driver.Driver {
			return resolvedWithoutResolving{d}
		})),
		mustFail: []string{"SendMessage/FinalMessageResolves"},
	},
	"QueuedHandlerKeepsRefusedDelivery": {
		harness: fakeHarness(func(e *drivertest.Env) {
			e.NewHandler = func(p helpdesk.WebhookParser, fn helpdesk.EventFunc, o *helpdesk.WebhookOptions) (http.Handler, error) {
				var opts helpdesk.WebhookOptions
				if o != nil {
					opts = *o
				}
				opts.Dedupe = keepsRefusedClaims{helpdesk.NewMemoryDedupe()}
				return helpdesk.NewWebhookHandler(p, fn, &opts)
			}
		}),
		mustFail: []string{"Webhook/QueuedHandlerRedeliversRefused"},
	},
	"NoReplayWindow": {
		harness: fakeHarness(nil, helpdesktest.WithDriver(func(d driver.Driver) driver.Driver {
			return noReplayWindow{d}
		})),
		mustFail: []string{"Webhook/Stale", "Webhook/Future"},
	},
	"DeliveryIDFromUnsignedHeader": {
		harness: fakeHarness(nil, helpdesktest.WithDriver(func(d driver.Driver) driver.Driver {
			return idFromUnsignedHeader{d}
		})),
		mustFail: []string{"Webhook/ReplayWithNewHeaders"},
	},
	"SecretInErrors": {
		harness: fakeHarness(nil, helpdesktest.WithDriver(func(d driver.Driver) driver.Driver {
			return leaksSecret{d}
		})),
		mustFail: []string{"Webhook/OtherSecret", "Webhook/Unsigned"},
	},
}

// TestMutant runs the suite against the mutant named by
// AGENTDESK_DRIVERTEST_MUTANT; it must fail. TestMutantsFailTheSuite runs
// it in a subprocess for each mutant.
func TestMutant(t *testing.T) {
	name := os.Getenv(mutantEnv)
	if name == "" {
		t.Skip("run by TestMutantsFailTheSuite in a subprocess, with " + mutantEnv + " set")
	}
	m, ok := mutants[name]
	require.True(t, ok, "unknown mutant %q", name)
	drivertest.RunConformance(t, m.harness)
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: TestMutant/(\S+)`)

func TestMutantsFailTheSuite(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("inside a mutant's subprocess")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	for name, m := range mutants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(exe, "-test.run=^TestMutant$", "-test.count=1", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), mutantEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite passed with mutant %s planted:\n%s", name, out)
			require.NotZero(t, exit.ExitCode())
			var failed []string
			for _, sm := range failLine.FindAllStringSubmatch(string(out), -1) {
				failed = append(failed, sm[1])
			}
			for _, sub := range m.mustFail {
				require.True(t, slices.Contains(failed, sub), "mutant %s must fail %s; failed: %q\n%s", name, sub, failed, out)
			}
			for _, line := range failLine.FindAllString(string(out), -1) {
				t.Logf("%s: %s", name, line)
			}
		})
	}
}
