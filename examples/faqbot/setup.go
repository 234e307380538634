package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// modeHelpdesk is what a vendor mode returns to tell faqbot what it knows
// about the account besides the helpdesk itself: the level-2 target it was
// configured with, whether a conversation is still the bot's, and how to
// check the configuration against the vendor before listening. A mode
// that returns a bare helpdesk.Helpdesk gets none of these.
type modeHelpdesk struct {
	helpdesk.Helpdesk
	// n2 is the configured level-2 group/team/agent (ok false: none).
	n2   helpdesk.Target
	n2OK bool
	// n2Env names the variables that configure n2, for the error when the
	// embedded policy needs it and it is missing.
	n2Env string
	// botGroups are the bot's own groups/teams: no handover may go there.
	botGroups []string
	// mine reports whether e's conversation still belongs to the bot (not
	// assigned to a human or another group). nil: always.
	mine func(helpdesk.Event) bool
	// check verifies credentials and ids against the vendor. nil: nothing
	// to check.
	check func(context.Context) error
	// close flushes what the mode buffers (Klaviyo metrics) after the
	// server drained. nil: nothing to flush.
	close func(context.Context) error
}

// As reaches the vendor client behind the mode's helpdesk.
func (m *modeHelpdesk) As(target any) bool { return helpdesk.As(m.Helpdesk, target) }

// modeInfo returns what hd's mode told, or an empty description.
func modeInfo(hd helpdesk.Helpdesk) *modeHelpdesk {
	if m, ok := hd.(*modeHelpdesk); ok {
		return m
	}
	return &modeHelpdesk{Helpdesk: hd}
}

// forVendor adapts the embedded policy, written with placeholder targets
// ("n2", "n2-billing", "n2-vip", "bot-group"), to a real account: every
// handover goes to the configured level-2 target, under the route's name,
// and the bot's own groups are the configured ones. A policy file given
// with -policy names real ids and is used as written.
func forVendor(cfg escalation.Config, m *modeHelpdesk, vendor string) (escalation.Config, error) {
	if !m.n2OK {
		env := m.n2Env
		if env == "" {
			env = "the level-2 target"
		}
		return cfg, fmt.Errorf("%s: %s is required: faqbot hands the questions its FAQ cannot answer, and customers who ask for a human, to it (or give -policy a policy naming your own targets)", vendor, env)
	}
	real := func(t helpdesk.Target) helpdesk.Target {
		name, notice, note := t.Name, t.Notice, t.Note
		t = m.n2
		t.Name, t.Notice, t.Note = name, notice, note
		return t
	}
	cfg.DefaultTarget = real(cfg.DefaultTarget)
	cfg.TagRoutes = append([]escalation.TagRoute(nil), cfg.TagRoutes...)
	for i := range cfg.TagRoutes {
		cfg.TagRoutes[i].Target = real(cfg.TagRoutes[i].Target)
	}
	cfg.ContentRoutes = append([]escalation.ContentRoute(nil), cfg.ContentRoutes...)
	for i := range cfg.ContentRoutes {
		cfg.ContentRoutes[i].Target = real(cfg.ContentRoutes[i].Target)
	}
	cfg.Hours = append([]escalation.TargetHours(nil), cfg.Hours...)
	for i := range cfg.Hours {
		cfg.Hours[i].Target = real(cfg.Hours[i].Target)
	}
	cfg.BotGroupIDs = m.botGroups
	return cfg, nil
}

// checkMode runs the mode's check and words its failure as one list.
func checkMode(ctx context.Context, m *modeHelpdesk, vendor string) error {
	if m.check == nil {
		return nil
	}
	err := m.check(ctx)
	if err == nil {
		return nil
	}
	var ce *helpdesk.ConfigError
	if !errors.As(err, &ce) {
		return fmt.Errorf("checking the %s account: %w", vendor, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the %s account does not match the configuration (%d problem(s)):", vendor, len(ce.Problems))
	for _, p := range ce.Problems {
		fmt.Fprintf(&b, "\n  - %s: %s", p.Field, p.Problem)
	}
	return &checkError{msg: b.String(), err: ce}
}

// namedCheck is check with its problems named by the environment
// variables the mode reads them from (vars: Config field → variable).
func namedCheck(check func(context.Context) error, vars map[string]string) func(context.Context) error {
	return func(ctx context.Context) error {
		err := check(ctx)
		var ce *helpdesk.ConfigError
		if errors.As(err, &ce) {
			ce.NameEnv(vars)
		}
		return err
	}
}

// checkError is a failed startup check: one line per problem.
type checkError struct {
	msg string
	err *helpdesk.ConfigError
}

func (e *checkError) Error() string { return e.msg }
func (e *checkError) Unwrap() error { return e.err }
