package split

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// unit is the internal form of a Measure once the SMS encoding is known.
type unit int

const (
	uRunes unit = iota
	uGraphemes
	uUTF16
	uBytes
	uGSM // GSM-7 septets; SMS in UCS-2 uses uUTF16
)

// stepAt returns the width in bytes and the cost of the unit that starts at
// t[i] (a rune, or a grapheme cluster for uGraphemes), its first rune and
// whether the unit is that one rune alone.
func stepAt(t string, i int, u unit) (w, cost int, r rune, single bool) {
	c := t[i]
	if c < utf8.RuneSelf {
		switch u {
		case uGSM:
			return 1, int(gsmASCIICost[c]), rune(c), true
		case uGraphemes:
			if i+1 < len(t) {
				if n := t[i+1]; n >= utf8.RuneSelf {
					break
				} else if c == '\r' && n == '\n' {
					return 2, 1, '\n', true
				}
			}
			return 1, 1, rune(c), true
		default:
			return 1, 1, rune(c), true
		}
	}
	if u == uGraphemes {
		cl, _, _, _ := uniseg.FirstGraphemeClusterInString(t[i:], -1)
		r, size := utf8.DecodeRuneInString(cl)
		if r == '\r' && len(cl) == 2 {
			r = '\n'
		}
		return len(cl), 1, r, size == len(cl) || r == '\n'
	}
	r, w = utf8.DecodeRuneInString(t[i:])
	switch u {
	case uRunes:
		cost = 1
	case uUTF16:
		cost = 1
		if r >= 0x10000 {
			cost = 2
		}
	case uBytes:
		cost = w
		if r == utf8.RuneError && w == 1 {
			cost = 3
		}
	case uGSM:
		cost = gsmRuneCost(r)
		if cost == 0 {
			cost = 2 // not reachable once the encoding is chosen; stay conservative
		}
	}
	return w, cost, r, true
}

// costOf measures s, stopping early once the cost exceeds limit.
func costOf(s string, u unit, limit int) (int, bool) {
	cost := 0
	for i := 0; i < len(s); {
		if u != uGSM && u != uGraphemes && s[i] < utf8.RuneSelf {
			cost++
			if cost > limit {
				return cost, false
			}
			i++
			continue
		}
		w, c, _, _ := stepAt(s, i, u)
		cost += c
		if cost > limit {
			return cost, false
		}
		i += w
	}
	return cost, true
}

// fence is the state of a fenced code block: ch is 0 outside one.
type fence struct {
	ch      byte
	n       int // length of the opening run
	ls, le  int // the opening line (without indentation) for reopening
	closeC  int // cost of "\n" + closing run
	reopenC int // cost of opening line + "\n"
}

func (f fence) open() bool { return f.ch != 0 }

// Cut classes, best first.
const (
	clsPara = iota
	clsLine
	clsSentence
	clsClause
	clsWord
	clsCodeWord // whitespace inside a code block line: only when nothing else fits
	nCls
)

// cand is a possible cut: the part's content ends at end and the next part
// starts at next (the whitespace between is dropped). Costs are counted from
// the part's start.
type cand struct {
	ok                bool
	end, next         int
	costEnd, costNext int
	f                 fence // fence open at the cut
}

// goal selects balance mode: keep, per class, the candidate closest to
// target among those leaving both parts between minPart and their budget.
type goal struct {
	total, minPart, target, budget int
}

// window is the result of scanning forward from a part's start.
type window struct {
	reachedEnd bool
	cost       int // of [p, e)
	e          int // content [p, e) fits
	best       [nCls]cand
	item       cand // cut just before the list item that holds e
	inItem     bool
	protFrom   int // last code span or link: [protFrom, protUntil)
	protUntil  int
	protKind   string
	f          fence // fence state at e
}

// ctx is the per-call state of one Split.
type ctx struct {
	t          string
	start, end int // trimmed bounds
	u          unit
	hardCut    bool

	lbFrom, lbTo, lbClose int       // memo of the last "[" → "]" search
	ldFrom, ldEnd         int       // memo of the last "](" → ")" search
	codeFail              [8][2]int // per run length: no closer for openers in [from, to)

	tokP, tokS, tokE int  // the word protectedAt last looked at, for part start tokP
	tokEnd           bool // tokE is the word's real end
}

const (
	maxSpan     = 1 << 16 // longest inline code span looked for
	maxLinkText = 1 << 12
	maxLinkDest = 1 << 12
)

var asciiSpecial = func() (t [utf8.RuneSelf]bool) {
	for c := range asciiSpace {
		t[c] = asciiSpace[c]
	}
	t['`'], t['['] = true, true
	return t
}()

// asciiPlain marks ASCII characters with no meaning to the scanner (not
// whitespace, not a backtick or bracket that may open a code span or link);
// asciiWord the plain ones that cannot end a sentence or clause either, so a
// space after them is a plain word gap. Both are false from 0x80 up.
var asciiPlain, asciiWord = func() (plain, word [256]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		plain[c] = !asciiSpecial[c]
		word[c] = plain[c] && !strings.ContainsRune(".!?;:\"')]}*_`", rune(c))
	}
	return plain, word
}()

type scanner struct {
	x        *ctx
	p        int
	limitEnd int
	budget   int
	g        *goal
	f        fence
	w        window

	noCand, skipInline, markerEnd, closerEnd int

	linkTo    int  // inLinkish has looked at the text up to here
	linkFound bool // and the current word has a URL or e-mail marker

	inRun                                      bool
	runStart, runNL, runNLEnd, runCost, runCNL int
}

func (x *ctx) atLineStart(p int) bool {
	return p == x.start || x.t[p-1] == '\n'
}

// scan measures forward from p (a part start with fence state f) until the
// budget or limitEnd is reached, recording the best cut of each class.
func (x *ctx) scan(p int, f fence, budget, limitEnd int, g *goal) window {
	t := x.t
	s := scanner{x: x, p: p, limitEnd: limitEnd, budget: budget, g: g, f: f}
	s.w.protFrom, s.w.protUntil = -1, -1
	s.noCand = p + 1
	s.skipInline = p
	s.markerEnd, s.closerEnd = -1, -1
	if x.atLineStart(p) {
		kind, me, fl, eol := lineInfo(t, p, f)
		s.markerEnd = me
		s.applyLine(kind, fl, p, eol, cand{})
	}
	gr := x.u == uGraphemes
	i, cost := p, 0
	overflow := false
	// The last plain word gap (one space between plain words), recorded by
	// the tight loop below; balance mode weighs every gap and skips this.
	lightWord, lightCost := -1, 0
	// In balance mode, gaps before lightUntil leave a tail longer than a
	// part; they are skipped like plain text.
	lightUntil := math.MaxInt
	if g != nil {
		lightUntil = g.total - g.budget - 1
	}
	for i < limitEnd {
		if !s.inRun && x.u != uGSM {
			// Plain ASCII costs one unit in every measure but SMS: skip it
			// in a tight loop bounded by the room left. A single space
			// between plain words is a word cut; it is recorded here
			// cheaply, without the full classification.
			lim := min(limitEnd, i+budget-cost)
			light := cost < lightUntil
			if light && g != nil {
				lim = min(lim, i+lightUntil-cost)
			}
			j := i
			if gr {
				for j < lim && t[j] < utf8.RuneSelf && !asciiSpecial[t[j]] && (j+1 >= len(t) || t[j+1] < utf8.RuneSelf) {
					j++
				}
			} else {
				lastSpace := -1
				for j < lim {
					c := t[j]
					if asciiPlain[c] {
						j++
						continue
					}
					if c == ' ' && light && j > p && j+1 < lim && asciiWord[t[j-1]] && asciiPlain[t[j+1]] && t[j+1] != '~' && j != s.markerEnd {
						lastSpace = j
						j++
						continue
					}
					break
				}
				if lastSpace >= 0 && g == nil && lastSpace >= s.noCand && lastSpace >= s.w.protUntil && !s.f.open() {
					lightWord, lightCost = lastSpace, cost+lastSpace-i
				}
			}
			cost += j - i
			i = j
			if i >= limitEnd {
				break
			}
		}
		c := t[i]
		var w, uc int
		var r rune
		single := true
		if c < utf8.RuneSelf && !(gr && i+1 < len(t) && t[i+1] >= utf8.RuneSelf) {
			w, uc, r = 1, 1, rune(c)
			if x.u == uGSM {
				uc = int(gsmASCIICost[c])
			} else if gr && c == '\r' && i+1 < len(t) && t[i+1] == '\n' {
				w, r = 2, '\n'
			}
			if !asciiSpecial[c] && !s.inRun {
				if cost+uc > budget {
					overflow = true
					break
				}
				cost += uc
				i++
				continue
			}
		} else {
			w, uc, r, single = stepAt(t, i, x.u)
		}
		if single && isSpace(r) {
			if !s.inRun {
				s.inRun, s.runStart, s.runNL, s.runCost = true, i, 0, cost
			}
			if cost+uc > budget {
				overflow = true
				break
			}
			cost += uc
			if nb := lineBreaks(t, i, r); nb > 0 || (r == '\n' && w == 2) {
				if nb == 0 {
					nb = 1
				}
				s.runNL += nb
				s.runNLEnd, s.runCNL = i+w, cost
			}
			i += w
			continue
		}
		if s.inRun {
			s.finalize(i, cost)
		}
		if cost+uc > budget {
			overflow = true
			break
		}
		if !s.f.open() && i >= s.skipInline {
			switch c {
			case '`':
				k := i
				for k < x.end && t[k] == '`' {
					k++
				}
				if ce := x.codeSpanEnd(i, k-i); ce > 0 {
					s.w.protFrom, s.w.protUntil, s.w.protKind = i, ce, "code span"
					s.skipInline = ce
				} else {
					s.skipInline = k
				}
			case '[':
				if le := x.linkEnd(i); le > 0 {
					s.w.protFrom, s.w.protUntil, s.w.protKind = i, le, "link"
					s.skipInline = le
				}
			}
		}
		if r >= utf8.RuneSelf {
			s.noSpaceCut(i, w, r, cost, uc)
		}
		cost += uc
		i += w
	}
	s.w.e = i
	s.w.f = s.f
	s.w.cost = cost
	if lightWord >= 0 && (!s.w.best[clsWord].ok || s.w.best[clsWord].end < lightWord) {
		s.w.best[clsWord] = cand{ok: true, end: lightWord, next: lightWord + 1, costEnd: lightCost, costNext: lightCost + 1}
	}
	if !overflow {
		s.w.reachedEnd = i >= x.end
		return s.w
	}
	// The whitespace at the overflow point is dropped by a cut there, so it
	// does not need to fit: read the rest of the run to classify the cut.
	if s.inRun || isSpaceAt(t, i) {
		if !s.inRun {
			s.inRun, s.runStart, s.runNL, s.runCost = true, i, 0, cost
		}
		j := i
		for j < x.end {
			w, uc, r, single := stepAt(t, j, x.u)
			if !single || !isSpace(r) {
				break
			}
			cost += uc
			if nb := lineBreaks(t, j, r); nb > 0 || (r == '\n' && w == 2) {
				if nb == 0 {
					nb = 1
				}
				s.runNL += nb
				s.runNLEnd, s.runCNL = j+w, cost
			}
			j += w
		}
		s.finalize(j, cost)
	}
	return s.w
}

func isSpaceAt(t string, i int) bool {
	if i >= len(t) {
		return false
	}
	c := t[i]
	if c < utf8.RuneSelf {
		return asciiSpace[c]
	}
	if c != 0xC2 && (c < 0xE1 || c > 0xE3) { // lead bytes of the spaces above ASCII
		return false
	}
	r, _ := utf8.DecodeRuneInString(t[i:])
	return isSpace(r)
}

// noSpaceCut records sentence cuts that need no whitespace: after CJK
// full-width terminators, and before a Spanish ¿ or ¡ that directly follows
// the end of the previous sentence.
func (s *scanner) noSpaceCut(i, w int, r rune, cost, uc int) {
	t := s.x.t
	switch {
	case isTerminatorNoSpace(r):
		next := i + w
		if next < s.x.end && !isSpaceAt(t, next) && next >= s.w.protUntil && !fenceLike(t, next) && !joinedAt(t, next) && !s.inLinkish(next) {
			s.record(clsSentence, &cand{end: next, next: next, costEnd: cost + uc, costNext: cost + uc, f: s.f})
		}
	case isOpenerInverted(r):
		if i > s.p && i >= s.w.protUntil && !isSpaceAt(t, i-1) && !joinedAt(t, i) && !s.inLinkish(i) {
			if pr := lastRuneSkipClosers(t, s.p, i); isTerminator(pr) {
				s.record(clsSentence, &cand{end: i, next: i, costEnd: cost, costNext: cost, f: s.f})
			}
		}
	}
}

// inLinkish reports whether a cut at b (not at whitespace) would fall
// inside a URL or e-mail address. The full check only runs when the word
// holding b has a "://", "www." or "@"; whether it has one is tracked
// incrementally so that long unspaced text (CJK) stays linear.
func (s *scanner) inLinkish(b int) bool {
	t := s.x.t
	from := max(s.linkTo, s.p)
	if from > b {
		from = b
	}
	if k := strings.LastIndexAny(t[from:b], " \t\n"); k >= 0 {
		s.linkFound = false
		from += k + 1
	}
	if !s.linkFound {
		seg := t[max(from-3, s.p):b]
		s.linkFound = strings.Contains(seg, "://") || strings.Contains(seg, "www.") || strings.IndexByte(seg, '@') >= 0
	}
	s.linkTo = b
	if !s.linkFound {
		return false
	}
	ps, _ := s.x.protectedAt(s.p, b, window{protFrom: -1})
	return ps >= 0
}

// fenceLike reports whether t[i:] starts with three or more backticks or
// tildes.
func fenceLike(t string, i int) bool {
	if i+3 > len(t) {
		return false
	}
	c := t[i]
	return (c == '`' || c == '~') && t[i+1] == c && t[i+2] == c
}

// lastRuneSkipClosers returns the last rune of t[p:k] that is not a closing
// quote, bracket or emphasis mark (utf8.RuneError if none).
func lastRuneSkipClosers(t string, p, k int) rune {
	for k > p {
		var r rune
		size := 1
		if c := t[k-1]; c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeLastRuneInString(t[p:k])
		}
		if !isCloser(r) {
			return r
		}
		k -= size
	}
	return utf8.RuneError
}

// finalize turns the whitespace run that ends at i into a candidate cut.
func (s *scanner) finalize(i, cost int) {
	s.inRun = false
	t := s.x.t
	c := cand{end: s.runStart, costEnd: s.runCost, f: s.f}
	cls := -1
	var kind, me, eol int
	var fl fence
	if s.runNL > 0 {
		c.next, c.costNext = s.runNLEnd, s.runCNL
		kind, me = linePlain, -1
		if t[s.runNLEnd-1] == '\n' { // markdown lines end with "\n" only
			kind, me, fl, eol = lineInfo(t, s.runNLEnd, s.f)
		}
		cls = clsLine
		if s.runNL >= 2 || kind == lineFenceOpen || kind == lineHeading || s.runStart == s.closerEnd {
			cls = clsPara
		}
		if kind == lineFenceClose {
			cls = -1 // cutting here would leave an empty reopened block
		}
		if t[s.runNLEnd-1] != '\n' && fenceLike(t, i) {
			cls = -1 // the part would start with a fence that was not one
		}
	} else {
		c.next, c.costNext = i, cost
		if s.g != nil && cost < s.g.total-s.g.budget {
			return // balance mode: the tail would be longer than a part
		}
		// A part must not start with "```" that was not a fence: it
		// would render as one.
		if s.runStart != s.markerEnd && !fenceLike(t, i) {
			cls = clsWord
			if pr := lastRuneSkipClosers(t, s.p, s.runStart); isTerminator(pr) {
				cls = clsSentence
			} else if isClause(pr) {
				cls = clsClause
			}
			if cls != clsSentence && i+1 < len(t) && t[i] == 0xC2 { // ¿ and ¡ are C2 BF and C2 A1
				if r, _ := utf8.DecodeRuneInString(t[i:]); isOpenerInverted(r) {
					cls = clsSentence
				}
			}
			if s.f.open() {
				cls = clsCodeWord
			}
		}
	}
	ok := false
	if cls >= 0 && s.runStart >= s.noCand && s.runStart >= s.w.protUntil &&
		!joinedAt(t, s.runStart) && !joinedAt(t, c.next) {
		ok = s.record(cls, &c)
	}
	if s.runNL > 0 {
		s.markerEnd = me
		if !ok {
			c = cand{}
		} else {
			c.ok = true
		}
		if s.runNL >= 2 && kind != lineItem {
			s.w.inItem = false
		}
		s.applyLine(kind, fl, s.runNLEnd, eol, c)
	}
}

// applyLine updates the fence and list-item state at the start of a line.
func (s *scanner) applyLine(kind int, fl fence, ls, eol int, before cand) {
	switch kind {
	case lineFenceOpen:
		fl = s.x.withCosts(fl)
		s.f = fl
		s.noCand = max(s.noCand, eol+1)
		s.skipInline = max(s.skipInline, eol)
		s.w.inItem = false
	case lineFenceClose:
		s.f = fence{}
		s.closerEnd = eol
		s.skipInline = max(s.skipInline, eol)
		s.w.inItem = false
	case lineItem:
		s.w.inItem = true
		s.w.item = before
	case lineHeading:
		s.w.inItem = false
	case linePlain:
		// A line that starts like a fence but is not one (a backtick in
		// its info string, or content inside a block) is not cut: its
		// first part would render as a fence.
		j := ls
		for j < len(s.x.t) && j-ls < 3 && s.x.t[j] == ' ' {
			j++
		}
		if fenceLike(s.x.t, j) {
			s.noCand = max(s.noCand, eol)
		}
	}
}

// withCosts fills in what closing and reopening fence f costs.
func (x *ctx) withCosts(f fence) fence {
	if !f.open() {
		return f
	}
	f.closeC = 1 + f.n*x.unitCost(f.ch)
	oc, _ := costOf(x.t[f.ls:f.le], x.u, 1<<30)
	f.reopenC = oc + 1
	return f
}

func (x *ctx) unitCost(c byte) int {
	if x.u == uGSM {
		return int(gsmASCIICost[c])
	}
	return 1
}

func (s *scanner) record(cls int, c *cand) bool {
	if c.end <= s.p || c.end >= s.limitEnd {
		return false
	}
	if c.f.open() && c.costEnd+c.f.closeC > s.budget {
		return false
	}
	c.ok = true
	g := s.g
	if g == nil {
		s.w.best[cls] = *c
		return true
	}
	tail := g.total - c.costNext
	// A short first part is fine when it ends a paragraph.
	if (cls != clsPara && c.costEnd+c.f.closeC < g.minPart) || tail+c.f.reopenC < g.minPart || tail+c.f.reopenC > g.budget {
		return false
	}
	b := &s.w.best[cls]
	if !b.ok || abs(c.costEnd-g.target) < abs(b.costEnd-g.target) {
		*b = *c
	}
	return true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// codeSpanEnd returns the end of the inline code span opened by the k
// backticks at i, or -1 when no run of exactly k backticks closes it before
// a blank line.
func (x *ctx) codeSpanEnd(i, k int) int {
	if k < len(x.codeFail) && x.codeFail[k][0] <= i && i < x.codeFail[k][1] {
		return -1
	}
	t := x.t
	j := i + k
	lim := min(x.end, i+maxSpan)
	for j < lim {
		c := t[j]
		if c == '`' {
			m := j
			for m < x.end && t[m] == '`' {
				m++
			}
			if m-j == k {
				return m
			}
			j = m
			continue
		}
		if c == '\n' && isBlankLineAt(t, j+1) {
			break
		}
		j++
	}
	if k < len(x.codeFail) {
		x.codeFail[k] = [2]int{i, j}
	}
	return -1
}

// linkEnd returns the end of the markdown link or image "[text](dest)" whose
// "[" is at i, or -1.
func (x *ctx) linkEnd(i int) int {
	t := x.t
	m := -1
	if i > x.lbFrom && i < x.lbTo {
		m = x.lbClose
	} else {
		j := i + 1
		lim := min(x.end, i+maxLinkText)
		reuseTo := -1 // openers before the first backtick may reuse this search
		for j < lim {
			c := t[j]
			if c == ']' {
				m = j
				break
			}
			if c == '`' {
				// Code spans bind tighter than links: a "]" inside one
				// does not close the link text.
				if reuseTo < 0 {
					reuseTo = j
				}
				k := j
				for k < x.end && t[k] == '`' {
					k++
				}
				if ce := x.codeSpanEnd(j, k-j); ce > 0 {
					j = ce
				} else {
					j = k
				}
				continue
			}
			if c == '\n' && isBlankLineAt(t, j+1) {
				break
			}
			j++
		}
		if reuseTo < 0 {
			reuseTo = j
		}
		x.lbFrom, x.lbTo, x.lbClose = i, reuseTo, m
	}
	if m < 0 || m+1 >= x.end || t[m+1] != '(' {
		return -1
	}
	if x.ldFrom == m {
		return x.ldEnd
	}
	end, depth := -1, 0
	lim := min(x.end, m+1+maxLinkDest)
loop:
	for j := m + 1; j < lim; j++ {
		switch t[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				end = j + 1
				break loop
			}
		case '\n':
			break loop
		case ' ', '\t':
			// A destination has no spaces; only a quoted title may follow.
			k := j
			for k < lim && (t[k] == ' ' || t[k] == '\t') {
				k++
			}
			if k >= lim || (t[k] != '"' && t[k] != '\'' && t[k] != '(') {
				break loop
			}
		}
	}
	x.ldFrom, x.ldEnd = m, end
	return end
}
