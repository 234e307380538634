package helpdesk

import "strings"

// NameEnv makes e speak of the environment variables a configuration was
// read from, for a driver's ConfigFromEnv: each problem recorded against a
// Config field listed in vars (field name → variable name; "Field[i]"
// counts as "Field") is renamed to that variable, and a problem is dropped
// when the same variable already has one (a value that did not parse is
// reported once, not again as "required"), or when it repeats another
// word for word.
func (e *ConfigError) NameEnv(vars map[string]string) {
	if e == nil {
		return
	}
	seen := map[string]bool{}
	for _, p := range e.Problems {
		seen[p.Field] = true
	}
	out := e.Problems[:0]
	done := map[string]bool{}
	for _, p := range e.Problems {
		base := p.Field
		if i := strings.IndexByte(base, '['); i > 0 {
			base = base[:i]
		}
		if v, ok := vars[base]; ok && v != base {
			if seen[v] {
				continue
			}
			p.Field = v + p.Field[len(base):]
		}
		key := p.Field + "\x00" + p.Problem
		if done[key] {
			continue
		}
		done[key] = true
		out = append(out, p)
	}
	e.Problems = out
}
