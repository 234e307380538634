package split

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// checkParts verifies every promise Split makes about parts of text. It
// returns a description of the first broken promise, or "".
func checkParts(text string, l Limit, marker string, prefixMarker, hardCut bool, parts []Part) string {
	start, end := trimBounds(text)
	if start >= end {
		if len(parts) != 0 {
			return "whitespace-only text gave parts"
		}
		return ""
	}
	if len(parts) == 0 {
		return "no parts for non-empty text"
	}
	if l.Unlimited() {
		if len(parts) != 1 || parts[0].Text != text[start:end] {
			return "unlimited split is not the trimmed text"
		}
		return ""
	}
	// Measure.
	ucs2 := !isGSM(text[start:end]) || (marker != "" && !isGSM(marker))
	for i, p := range parts {
		switch {
		case l.Measure == SMSSegments:
			if n := l.Len(p.Text); n > l.Max {
				return fmt.Sprintf("part %d uses %d segments, max %d", i, n, l.Max)
			}
			if len(parts) > 1 {
				per := gsmPerPart
				if ucs2 {
					per = ucsPerPart
				}
				if u := smsUnits(p.Text, ucs2); u > l.Max*per {
					return fmt.Sprintf("part %d has %d units, more than %d per part", i, u, l.Max*per)
				}
			}
		default:
			if n := l.Len(p.Text); n > l.Max {
				return fmt.Sprintf("part %d measures %d %s, max %d: %q", i, n, l.Measure, l.Max, p.Text)
			}
		}
	}
	// Offsets, whitespace between parts, and what was added.
	if a, b := trim(text[:start]); a < b {
		return "trimmed bounds drop text"
	}
	bounds := graphemeBoundaries(text)
	prevEnd := start
	openFence := ""
	for i, p := range parts {
		if p.Start < prevEnd || p.End <= p.Start || p.End > end {
			return fmt.Sprintf("part %d has bad offsets [%d,%d) after %d", i, p.Start, p.End, prevEnd)
		}
		gap := text[prevEnd:p.Start]
		if i == 0 {
			gap = ""
		}
		if a, b := trim(gap); a < b {
			return fmt.Sprintf("non-whitespace dropped before part %d: %q", i, gap)
		}
		if i > 0 && strings.ContainsAny(gap, "\n\r\u2028\u2029\u0085") {
			last := strings.LastIndexAny(gap, "\n\r\u2028\u2029\u0085")
			_, size := utf8.DecodeRuneInString(gap[last:])
			if rest := gap[last+size:]; rest != "" && !allSpace(text[p.Start:p.End]) {
				// Indentation is kept unless it alone did not fit.
				if l.Len(rest) < l.Max/2 {
					return fmt.Sprintf("indentation %q dropped before part %d", rest, i)
				}
			}
		}
		if !bounds[p.Start] || !bounds[p.End] {
			return fmt.Sprintf("part %d [%d,%d) cuts a grapheme cluster", i, p.Start, p.End)
		}
		body := p.Text
		if marker != "" && len(parts) > 1 {
			m := strings.Replace(strings.Replace(strings.ReplaceAll(marker, "%%", "%"), "%d", strconv.Itoa(i+1), 1), "%d", strconv.Itoa(len(parts)), 1)
			if prefixMarker {
				if !strings.HasPrefix(body, m) {
					return fmt.Sprintf("part %d lacks marker %q", i, m)
				}
				body = body[len(m):]
				if strings.HasPrefix(strings.TrimLeft(body, "\n "), "```") || strings.HasPrefix(strings.TrimLeft(body, "\n "), "~~~") {
					body = strings.TrimPrefix(body, "\n")
				}
			} else {
				if !strings.HasSuffix(body, m) {
					return fmt.Sprintf("part %d lacks marker %q: %q", i, m, body)
				}
				body = body[:len(body)-len(m)]
				if strings.HasSuffix(body, "\n") && endsWithFence(body[:len(body)-1]) {
					body = body[:len(body)-1]
				}
			}
		}
		if openFence != "" {
			if !strings.HasPrefix(body, openFence+"\n") {
				return fmt.Sprintf("part %d does not reopen fence %q: %q", i, openFence, body)
			}
			body = body[len(openFence)+1:]
		}
		content := text[p.Start:p.End]
		if !strings.HasPrefix(body, content) {
			return fmt.Sprintf("part %d text is not its content: %q vs %q", i, body, content)
		}
		added := body[len(content):]
		// Track the fence state through the content.
		state := fenceState(openFence, content)
		if i == len(parts)-1 {
			if added != "" {
				return fmt.Sprintf("last part has additions %q", added)
			}
		} else if state != "" {
			want := "\n" + closerFor(state)
			if added != want {
				return fmt.Sprintf("part %d ends in fence %q without closing: added %q", i, state, added)
			}
		} else if added != "" {
			return fmt.Sprintf("part %d has additions %q", i, added)
		}
		if i < len(parts)-1 || state == "" {
			if fenceState("", p.Text) != "" {
				return fmt.Sprintf("part %d has unbalanced fences: %q", i, p.Text)
			}
		}
		openFence = state
		prevEnd = p.End
	}
	if a, b := trim(text[prevEnd:]); a < b {
		return fmt.Sprintf("text after the last part dropped: %q", text[prevEnd:])
	}
	if !hardCut {
		for _, sp := range protectedSpans(text) {
			for i := 1; i < len(parts); i++ {
				a, b := parts[i-1].End, parts[i].Start
				if sp[0] < a && a < sp[1] || sp[0] < b && b < sp[1] {
					return fmt.Sprintf("cut between parts %d and %d breaks %q", i-1, i, text[sp[0]:sp[1]])
				}
			}
		}
	}
	return ""
}

// fenceState returns the opening line of the fence open after s, starting
// with the fence open (opening line) before it.
func fenceState(open, s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		l := strings.TrimLeft(line, " ")
		if len(line)-len(l) > 3 {
			continue
		}
		if open != "" {
			c := open[0]
			n := len(open) - len(strings.TrimLeft(open, string(c)))
			run := len(l) - len(strings.TrimLeft(l, string(c)))
			if run >= n && strings.TrimSpace(l[run:]) == "" && run > 0 {
				open = ""
			}
			continue
		}
		for _, c := range []string{"```", "~~~"} {
			if strings.HasPrefix(l, c) && (c == "~~~" || !strings.Contains(strings.TrimLeft(l, "`"), "`")) {
				open = strings.TrimRight(l, " \t\r")
			}
		}
	}
	return open
}

func closerFor(open string) string {
	c := open[0]
	n := len(open) - len(strings.TrimLeft(open, string(c)))
	return strings.Repeat(string(c), n)
}

var protectedRE = regexp.MustCompile("\\[[^\\]\\n]*\\]\\((?:[^()\\s]|\\([^()\\s]*\\))*\\)|https?://[^\\s\\p{Z}<>\"`]*[^\\s\\p{Z}<>\"`.,:;!?')\\]*_]|[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+")

// protectedSpans finds the links, code spans, URLs and e-mail addresses of
// generated texts (which keep them well separated from other markup),
// outside code fences.
func protectedSpans(text string) [][2]int {
	var out [][2]int
	// Non-fence lines, joined into blocks: code spans may cross lines.
	type block struct{ off, end int }
	var blocks []block
	off := 0
	open := ""
	for line := range strings.SplitAfterSeq(text, "\n") {
		was := open
		open = fenceState(open, line)
		if was == "" && open == "" {
			if n := len(blocks); n > 0 && blocks[n-1].end == off {
				blocks[n-1].end = off + len(line)
			} else {
				blocks = append(blocks, block{off, off + len(line)})
			}
		}
		off += len(line)
	}
	for _, b := range blocks {
		seg := text[b.off:b.end]
		spans := codeSpansIn(seg)
		lineOff := 0
		for line := range strings.SplitAfterSeq(seg, "\n") {
		links:
			for _, m := range protectedRE.FindAllStringIndex(line, -1) {
				m0, m1 := lineOff+m[0], lineOff+m[1]
				// Code spans bind tighter than links and URLs.
				for _, c := range spans {
					if m0 < c[1] && c[0] < m1 {
						continue links
					}
				}
				out = append(out, [2]int{b.off + m0, b.off + m1})
			}
			lineOff += len(line)
		}
		for _, c := range spans {
			out = append(out, [2]int{b.off + c[0], b.off + c[1]})
		}
	}
	return out
}

// graphemeBoundaries is the reference used by tests: every boundary of s.
func graphemeBoundaries(s string) map[int]bool {
	b := map[int]bool{0: true}
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		_, to := g.Positions()
		b[to] = true
	}
	return b
}

// splitAndCheck splits text and checks the result, failing t on a broken
// promise. Unbreakable errors are accepted.
func splitAndCheck(t testing.TB, text string, l Limit, opts ...Option) []Part {
	t.Helper()
	s, err := New(l, opts...)
	if err != nil {
		t.Fatalf("New(%v): %v", l, err)
	}
	var o options
	o.balance = true
	for _, opt := range opts {
		_ = opt(&o)
	}
	parts, err := s.SplitParts(text)
	if err != nil {
		var ue *UnbreakableError
		if errors.As(err, &ue) || errors.Is(err, ErrInvalidLimit) && o.marker.on {
			return nil
		}
		t.Fatalf("SplitParts(%q, %v): %v", text, l, err)
	}
	format := ""
	if o.marker.on {
		format = o.marker.lit[0] + "%d" + o.marker.lit[1] + "%d" + o.marker.lit[2]
	}
	if msg := checkParts(text, l, format, o.marker.prefix, o.hardCut, parts); msg != "" {
		t.Fatalf("%s\nlimit %v\ntext %q\nparts %q", msg, l, text, texts(parts))
	}
	// Split must agree with SplitParts.
	plain, err := s.Split(text)
	if err != nil || len(plain) != len(parts) {
		t.Fatalf("Split disagrees with SplitParts: %v, %d vs %d parts", err, len(plain), len(parts))
	}
	for i := range plain {
		if plain[i] != parts[i].Text {
			t.Fatalf("Split part %d differs", i)
		}
	}
	return parts
}

func texts(parts []Part) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.Text
	}
	return out
}

// codeSpansIn finds inline code spans: a run of n backticks up to the next
// run of exactly n, not across a blank line.
func codeSpansIn(line string) [][2]int {
	var out [][2]int
	run := func(i int) int {
		j := i
		for j < len(line) && line[j] == '`' {
			j++
		}
		return j - i
	}
	for i := 0; i < len(line); {
		if line[i] != '`' {
			i++
			continue
		}
		n := run(i)
		closed := false
		for j := i + n; j < len(line); {
			if line[j] == '\n' && isBlankLineAt(line, j+1) {
				break
			}
			if line[j] != '`' {
				j++
				continue
			}
			m := run(j)
			if m == n {
				out = append(out, [2]int{i, j + m})
				i = j + m
				closed = true
				break
			}
			j += m
		}
		if !closed {
			i += n
		}
	}
	return out
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
