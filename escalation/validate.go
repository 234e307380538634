package escalation

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Problem is one thing wrong with a Config: the field, written as its JSON
// path ("tag_routes[2].target"), and what is wrong with it.
type Problem struct {
	Field   string
	Message string
}

func (p Problem) Error() string { return p.Field + ": " + p.Message }

// ValidationError lists every problem New found in a Config. It unwraps to
// the individual Problems, like errors.Join.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("escalation: invalid config: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the Problems as errors.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// problems accumulates Problems during New.
type problems struct{ list []Problem }

func (ps *problems) add(field, format string, args ...any) {
	ps.list = append(ps.list, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps.list}
}

// checkTarget validates a target and the loop guard.
func (ps *problems) checkTarget(field string, t helpdesk.Target, c *Config) {
	if err := t.Validate(); err != nil {
		var fe *helpdesk.FieldError
		if errors.As(err, &fe) {
			ps.add(field, "%s", fe.Problem)
		} else {
			ps.add(field, "%v", err)
		}
		return
	}
	if isBotTarget(t, c.BotGroupIDs, c.BotAgentIDs) {
		ps.add(field, "%s %q is the bot's own %s: handing over there would loop back to the bot", t.Kind, t.ID, t.Kind)
	}
}

func isBotTarget(t helpdesk.Target, groups, agents []string) bool {
	ids := groups
	if t.Kind == helpdesk.TargetAgent {
		ids = agents
	}
	id := strings.TrimSpace(t.ID)
	for _, b := range ids {
		if strings.TrimSpace(b) == id {
			return true
		}
	}
	return false
}

// languageIndex returns the index in languages of code ("pt", "pt-BR",
// "PT_br"), or -1. It does not allocate.
func languageIndex(code string) int {
	if i := strings.IndexAny(code, "-_"); i >= 0 {
		code = code[:i]
	}
	for i, l := range languages {
		if strings.EqualFold(code, l) {
			return i
		}
	}
	return -1
}

func checkTexts(ps *problems, field string, m map[string]string) (out [3]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		i := -1
		if len(k) == 2 {
			i = languageIndex(k)
		}
		switch {
		case i < 0:
			ps.add(fmt.Sprintf("%s[%q]", field, k), "unknown language (want one of %s)", languageList)
		case strings.TrimSpace(v) == "":
			ps.add(fmt.Sprintf("%s[%q]", field, k), "empty text")
		default:
			out[i] = v
		}
	}
	return out
}
