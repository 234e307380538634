package helpdesk_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentdesk/agentdesk/helpdesk"
)

func TestConfigErrorNameEnv(t *testing.T) {
	ce := &helpdesk.ConfigError{Vendor: "acme"}
	ce.Add("ACME_BOT_ID", "must be a positive number, got %q", "x") // a parse problem, named by variable
	ce.Add("BotID", "required")                                     // the same variable again: dropped
	ce.Add("Secrets[1]", "empty secret")
	ce.Add("Token", "required")
	ce.Add("Token", "required") // word for word again: dropped
	ce.Add("Region", "unknown") // not read from the environment: kept as is
	ce.NameEnv(map[string]string{"BotID": "ACME_BOT_ID", "Secrets": "ACME_SECRETS", "Token": "ACME_TOKEN"})
	var got []string
	for _, p := range ce.Problems {
		got = append(got, p.Field+": "+p.Problem)
	}
	want := []string{
		`ACME_BOT_ID: must be a positive number, got "x"`,
		"ACME_SECRETS[1]: empty secret",
		"ACME_TOKEN: required",
		"Region: unknown",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("problems (-want +got):\n%s", d)
	}
	(*helpdesk.ConfigError)(nil).NameEnv(nil) // no panic
}
