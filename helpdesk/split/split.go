package split

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Splitter splits texts for one channel limit. It holds no per-call state and
// is safe for concurrent use.
type Splitter struct {
	limit Limit
	opt   options
}

// New returns a Splitter for limit. It fails with ErrInvalidLimit or
// ErrInvalidOption when the limit or an option cannot be used. Balance is on
// by default; HardCut is off.
func New(limit Limit, opts ...Option) (*Splitter, error) {
	if err := limit.validate(); err != nil {
		return nil, err
	}
	o := options{balance: true}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Splitter{limit: limit, opt: o}, nil
}

// Limit returns the splitter's limit.
func (s *Splitter) Limit() Limit { return s.limit }

// Split is a convenience for New(limit, opts...) followed by Split(text).
func Split(text string, limit Limit, opts ...Option) ([]string, error) {
	s, err := New(limit, opts...)
	if err != nil {
		return nil, err
	}
	return s.Split(text)
}

// Part is one part of a split text with its place in the original.
type Part struct {
	// Text is what to send: a reopened code fence ("```go\n") when the part
	// starts inside a code block, then the original text[Start:End], then a
	// closing fence ("\n```") when the part ends inside one, with the part
	// marker before or after all of it when PartMarker is set.
	Text string
	// Start and End are the byte offsets of the part's own content in the
	// original text.
	Start, End int
}

// Split cuts text into parts that each fit the limit. Whitespace-only text
// gives no parts and a nil error. See the package documentation for where
// cuts go and what happens to whitespace.
func (s *Splitter) Split(text string) ([]string, error) {
	x, cuts, err := s.cuts(text)
	if err != nil || len(cuts) == 0 {
		return nil, err
	}
	out := make([]string, len(cuts))
	for i, c := range cuts {
		out[i] = s.render(x, c, i, len(cuts))
	}
	return out, nil
}

// SplitParts is Split returning each part with its offsets in text.
func (s *Splitter) SplitParts(text string) ([]Part, error) {
	x, cuts, err := s.cuts(text)
	if err != nil || len(cuts) == 0 {
		return nil, err
	}
	out := make([]Part, len(cuts))
	for i, c := range cuts {
		out[i] = Part{Text: s.render(x, c, i, len(cuts)), Start: c.start, End: c.end}
	}
	return out, nil
}

// cut is one part: content text[start:end], reopen the fence open at start,
// close the fence open at end.
type cut struct {
	start, end  int
	open, close fence
	// cost from start to the next part's start (for the last part: to the
	// end), or -1 when not known.
	cost int
}

func (s *Splitter) render(x *ctx, c cut, i, n int) string {
	t := x.t
	m := s.opt.marker
	useMarker := m.on && n > 1
	if !c.open.open() && !c.close.open() && !useMarker {
		return t[c.start:c.end]
	}
	var b strings.Builder
	size := c.end - c.start + 64
	if c.open.open() {
		size += c.open.le - c.open.ls
	}
	b.Grow(size)
	writeMarker := func() {
		b.WriteString(m.lit[0])
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(m.lit[1])
		b.WriteString(strconv.Itoa(n))
		b.WriteString(m.lit[2])
	}
	if useMarker && m.prefix {
		writeMarker()
		// A fence line must start its line: put it below the marker.
		if (c.open.open() || startsWithFence(t[c.start:c.end])) && !strings.HasSuffix(m.lit[2], "\n") {
			b.WriteByte('\n')
		}
	}
	if c.open.open() {
		b.WriteString(t[c.open.ls:c.open.le])
		b.WriteByte('\n')
	}
	b.WriteString(t[c.start:c.end])
	if c.close.open() {
		b.WriteByte('\n')
		for range c.close.n {
			b.WriteByte(c.close.ch)
		}
	}
	if useMarker && !m.prefix {
		// A closing fence must end its line: put the marker below it.
		if (c.close.open() || endsWithFence(t[c.start:c.end])) && !strings.HasPrefix(m.lit[0], "\n") {
			b.WriteByte('\n')
		}
		writeMarker()
	}
	return b.String()
}

// startsFenceLike reports whether t[b:] starts, after up to three spaces,
// with a run that would open a code fence at the start of a part.
func startsFenceLike(t string, b int) bool {
	for k := 0; k < 3 && b < len(t) && t[b] == ' '; k++ {
		b++
	}
	return fenceLike(t, b)
}

// startsWithFence reports whether s starts with a code fence line.
func startsWithFence(s string) bool {
	s = strings.TrimLeft(s, " ")
	return strings.HasPrefix(s, "```") || strings.HasPrefix(s, "~~~")
}

// endsWithFence reports whether the last line of s is a code fence line.
func endsWithFence(s string) bool {
	s = s[strings.LastIndexByte(s, '\n')+1:]
	return startsWithFence(s)
}

func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// budgets returns the room of a text sent as one part and of each part of a
// split text, in the measuring unit.
func (s *Splitter) budgets(x *ctx) (single, multi int) {
	l := s.limit
	if l.Measure != SMSSegments {
		return l.Max, l.Max
	}
	if x.u == uGSM {
		multi = l.Max * gsmPerPart
		single = gsmSingle
	} else {
		multi = l.Max * ucsPerPart
		single = ucsSingle
	}
	if l.Max > 1 {
		single = multi
	}
	return single, multi
}

func (s *Splitter) newCtx(text string, start, end int) *ctx {
	x := &ctx{t: text, start: start, end: end, hardCut: s.opt.hardCut}
	x.lbFrom, x.lbTo, x.ldFrom = -1, -1, -1
	switch s.limit.Measure {
	case Runes:
		x.u = uRunes
	case Graphemes:
		x.u = uGraphemes
	case UTF16:
		x.u = uUTF16
	case Bytes:
		x.u = uBytes
	case SMSSegments:
		x.u = uUTF16
		if isGSM(text[start:end]) && (!s.opt.marker.on || isGSM(s.opt.marker.literal())) {
			x.u = uGSM
		}
	}
	return x
}

func (s *Splitter) cuts(text string) (*ctx, []cut, error) {
	start, end := trimBounds(text)
	if start >= end {
		return nil, nil, nil
	}
	x := s.newCtx(text, start, end)
	if s.limit.Unlimited() {
		return x, []cut{{start: start, end: end}}, nil
	}
	single, multi := s.budgets(x)
	if single != multi || s.opt.marker.on {
		if _, fits := costOf(text[start:end], x.u, single); fits {
			return x, []cut{{start: start, end: end}}, nil
		}
	}
	var markerLit int
	if s.opt.marker.on {
		markerLit, _ = costOf(s.opt.marker.literal(), x.u, 1<<30)
		markerLit++ // room for a line break between the marker and a fence
	}
	partBudget := func(d int) int {
		if s.opt.marker.on {
			return multi - markerLit - 2*d
		}
		return multi
	}
	var cuts []cut
	for d := 1; ; {
		pb := partBudget(d)
		if pb <= 0 {
			return nil, nil, fmt.Errorf("%w: the part marker leaves no room for text in %s", ErrInvalidLimit, s.limit)
		}
		var err error
		cuts, err = s.splitWith(x, pb)
		if err != nil {
			return nil, nil, err
		}
		if s.opt.marker.on && digits(len(cuts)) > d {
			d = digits(len(cuts))
			continue
		}
		break
	}
	if mp := s.opt.maxParts; mp > 0 && len(cuts) > mp {
		if s.opt.policy != Merge || !s.limit.Soft {
			return nil, nil, &TooManyPartsError{Parts: len(cuts), Max: mp, Limit: s.limit}
		}
		merged, err := s.merge(x, partBudget(digits(mp)), mp)
		if err != nil {
			return nil, nil, err
		}
		cuts = merged
	}
	return x, cuts, nil
}

// merge finds the smallest part budget above pb that needs at most mp parts.
func (s *Splitter) merge(x *ctx, pb, mp int) ([]cut, error) {
	total, _ := costOf(x.t[x.start:x.end], x.u, 1<<62)
	lo, hi := pb, total+1 // lo gives too many parts; hi gives one
	best := []cut{{start: x.start, end: x.end}}
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		cuts, err := s.splitWith(x, mid)
		if err == nil && len(cuts) <= mp {
			hi, best = mid, cuts
		} else {
			lo = mid
		}
	}
	return best, nil
}

func (s *Splitter) splitWith(x *ctx, pb int) ([]cut, error) {
	cuts, err := x.greedy(pb)
	if err != nil {
		return nil, err
	}
	if s.opt.balance && len(cuts) > 1 {
		x.balance(cuts, pb)
	}
	return cuts, nil
}

// greedy fills each part as far as the limit allows, cutting at the best
// place in the last half of the room.
func (x *ctx) greedy(pb int) ([]cut, error) {
	var cuts []cut
	p, f := x.start, fence{}
	for p < x.end {
		budget := pb - f.reopenC
		if budget <= 0 {
			return nil, &UnbreakableError{Offset: f.ls, Kind: "code fence", Text: excerpt(x.t, f.ls)}
		}
		w := x.scan(p, f, budget, x.end, nil)
		if w.reachedEnd {
			cuts = append(cuts, cut{start: p, end: x.end, open: f, cost: w.cost})
			break
		}
		c, err := x.choose(p, f, budget, pb, w)
		if err != nil {
			return nil, err
		}
		if allSpace(x.t[p:c.end]) {
			// Indentation longer than a part is dropped.
			if n := len(cuts); n > 0 {
				cuts[n-1].cost = -1
			}
			for p < x.end && isSpaceAt(x.t, p) {
				_, size := utf8.DecodeRuneInString(x.t[p:])
				p += size
			}
			continue
		}
		k := cut{start: p, end: c.end, open: f, cost: c.costNext}
		if c.next != c.end && c.costNext == 0 {
			k.cost = -1
		}
		if c.f.open() {
			k.close = c.f
		}
		cuts = append(cuts, k)
		p, f = c.next, c.f
	}
	return cuts, nil
}

func allSpace(s string) bool {
	a, b := trim(s)
	return a >= b
}

// choose picks the cut for a part starting at p from its scanned window.
func (x *ctx) choose(p int, f fence, budget, pb int, w window) (cand, error) {
	for {
		ch := pick(p, &w)
		if ch == nil {
			return x.fallback(p, f, budget, w)
		}
		c := *ch
		if w.inItem && w.item.ok && c.end >= w.item.next && x.itemFits(w.item, pb) {
			c = w.item
		}
		if isBoundary(x.t, p, c.end) && isBoundary(x.t, p, c.next) {
			return c, nil
		}
		// A whitespace character joined to a combining mark: look for an
		// earlier cut.
		w = x.scan(p, f, budget, c.end, nil)
	}
}

// pick returns the best class whose last candidate lies in the second half
// of the window (the last two thirds for a paragraph break), else the best
// class with any candidate.
func pick(p int, w *window) *cand {
	half := p + (w.e-p)/2
	third := p + (w.e-p)/3
	for c := range clsCodeWord {
		if w.best[c].ok && (w.best[c].end >= half || c == clsPara && w.best[c].end >= third) {
			return &w.best[c]
		}
	}
	for c := range w.best {
		if w.best[c].ok {
			return &w.best[c]
		}
	}
	return nil
}

// itemFits reports whether the list item starting at c.next fits in one part.
func (x *ctx) itemFits(c cand, pb int) bool {
	t := x.t
	i := c.next
	end := x.end
	for j := i; j < x.end; {
		k := strings.IndexByte(t[j:x.end], '\n')
		if k < 0 {
			break
		}
		nl := j + k + 1
		if isBlankLineAt(t, nl) {
			end = j + k
			break
		}
		if kind, _, _, _ := lineInfo(t, nl, fence{}); kind != linePlain {
			end = j + k
			break
		}
		j = nl
		if j-i > 4*pb+4 {
			return false
		}
	}
	_, fits := costOf(t[i:end], x.u, pb-c.f.reopenC)
	return fits
}

// fallback cuts between grapheme clusters when no whitespace cut fits: as
// late as possible, never inside a code fence line, and not inside a URL,
// e-mail address, link or code span unless HardCut allows it.
func (x *ctx) fallback(p int, f fence, budget int, w window) (cand, error) {
	t := x.t
	e := w.e
	if e <= p {
		return cand{}, &UnbreakableError{Offset: p, Kind: "grapheme cluster", Text: excerpt(t, p)}
	}
	if fe, _, _ := x.fenceAt(p, f, e); fe.open() {
		// Leave room for the closing fence.
		if _, fits := costOf(t[p:e], x.u, budget-fe.closeC); !fits {
			w2 := x.scan(p, f, budget-fe.closeC, x.end, nil)
			e = w2.e
			w.protFrom, w.protUntil, w.protKind = w2.protFrom, w2.protUntil, w2.protKind
		}
	}
	// Fence lines between p and e are rare; without them the state is f
	// everywhere and fenceAt need not walk the lines for every position.
	fenceLines := x.anyFenceLine(p, e)
	fenceAt := func(b int) (fence, int, bool) {
		if !fenceLines {
			return f, 0, false
		}
		return x.fenceAt(p, f, b)
	}
	search := func(strict bool) (b int, kind string, kindAt int) {
		for xpos := e; ; {
			b := lastBoundary(t, p, xpos)
			if b <= p || allSpace(t[p:b]) {
				return -1, kind, kindAt
			}
			if startsFenceLike(t, b) || b > 0 && fenceLike(t, b-1) || b > 1 && fenceLike(t, b-2) {
				// Inside or before a run of backticks or tildes: the next
				// part would open a code fence.
				xpos = b - 1
				continue
			}
			fb, ls, inLine := fenceAt(b)
			if inLine {
				if kind == "" {
					kind, kindAt = "code fence", ls
				}
				xpos = ls
				continue
			}
			if fb.open() {
				if _, fits := costOf(t[p:b], x.u, budget-fb.closeC); !fits {
					xpos = b - 1
					continue
				}
			}
			if strict {
				if ps, k := x.protectedAt(p, b, w); ps >= 0 {
					if kind == "" {
						kind, kindAt = k, ps
					}
					xpos = ps
					continue
				}
			}
			return b, "", 0
		}
	}
	b, kind, kindAt := search(true)
	if b < 0 && x.hardCut && kind != "" && kind != "code fence" {
		b, _, _ = search(false)
	}
	if b > p {
		fb, _, _ := fenceAt(b)
		return cand{ok: true, end: b, next: b, f: fb, costNext: -1}, nil
	}
	if kind == "" {
		kind, kindAt = "grapheme cluster", p
	}
	return cand{}, &UnbreakableError{Offset: kindAt, Kind: kind, Text: excerpt(t, kindAt)}
}

// anyFenceLine reports whether a code fence line starts in [p, e].
func (x *ctx) anyFenceLine(p, e int) bool {
	t := x.t
	ls := p
	if !x.atLineStart(p) {
		k := strings.IndexByte(t[p:e], '\n')
		if k < 0 {
			return false
		}
		ls = p + k + 1
	}
	for ls <= e && ls < len(t) {
		j := ls
		for j < len(t) && j-ls < 3 && t[j] == ' ' {
			j++
		}
		if fenceLike(t, j) {
			return true
		}
		k := strings.IndexByte(t[ls:min(e, len(t))], '\n')
		if k < 0 {
			break
		}
		ls += k + 1
	}
	return false
}

// fenceAt returns the fence state at b for a part starting at p in state
// f, or, when b falls strictly inside a code fence line, that line's start.
func (x *ctx) fenceAt(p int, f fence, b int) (fence, int, bool) {
	t := x.t
	ls := p
	if !x.atLineStart(p) {
		k := strings.IndexByte(t[p:b], '\n')
		if k < 0 {
			return f, 0, false
		}
		ls = p + k + 1
	}
	for ls < b {
		kind, _, fl, eol := lineInfo(t, ls, f)
		j := ls
		for j < len(t) && j-ls < 3 && t[j] == ' ' {
			j++
		}
		if fenceLike(t, j) && b < eol {
			return f, ls, true // also lines that only look like fences
		}
		switch kind {
		case lineFenceOpen, lineFenceClose:
			f = x.withCosts(fl)
		}
		k := strings.IndexByte(t[ls:b], '\n')
		if k < 0 {
			break
		}
		ls += k + 1
	}
	return f, 0, false
}

// protectedAt returns the start and kind of a code span, link, URL or e-mail
// address that strictly contains position b, or -1.
func (x *ctx) protectedAt(p, b int, w window) (int, string) {
	if w.protFrom >= 0 && w.protFrom < b && b < w.protUntil {
		return w.protFrom, w.protKind
	}
	t := x.t
	if b <= 0 || b >= len(t) || isSpaceAt(t, b) || isSpaceBefore(t, b) {
		return -1, ""
	}
	// The word around b, remembered: fallbacks and CJK sentence cuts ask
	// about many positions of one long word.
	ts, te := x.tokS, x.tokE
	if !(x.tokP == p && ts < b && b < te && (x.tokEnd || b+maxLinkDest/2 <= te)) {
		ts = b
		for ts > p && ts > b-maxLinkDest && !isSpaceBefore(t, ts) {
			ts--
		}
		te = b
		for te < x.end && te < b+maxLinkDest && !isSpaceAt(t, te) {
			te++
		}
		x.tokP, x.tokS, x.tokE, x.tokEnd = p, ts, te, te == x.end || isSpaceAt(t, te)
	}
	if s, kind := linkishSpan(t[ts:te], b-ts); s >= 0 {
		return ts + s, kind
	}
	return -1, ""
}

func isSpaceBefore(t string, i int) bool {
	if i <= 0 {
		return false
	}
	if c := t[i-1]; c < utf8.RuneSelf {
		return asciiSpace[c]
	} else if c > 0xA9 { // last bytes of the spaces above ASCII are 0x80–0xA9
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return isSpace(r)
}

func excerpt(t string, i int) string {
	e := min(len(t), i+64)
	for e > i && e < len(t) && !utf8.RuneStart(t[e]) {
		e--
	}
	return t[i:e]
}

// balance re-chooses the last cut among the places that keep both final
// parts within the limit and the last one at least a quarter of it (the
// one before too, unless it ends a paragraph): the best kind of place, and
// of those the one closest to the middle. So a tiny last part grows, and a
// last part that could start at a paragraph does.
func (x *ctx) balance(cuts []cut, pb int) {
	n := len(cuts)
	minPart := pb / 4
	prev := cuts[n-2]
	budget := pb - prev.open.reopenC
	total := prev.cost + cuts[n-1].cost
	if prev.cost < 0 || cuts[n-1].cost < 0 {
		total, _ = costOf(x.t[prev.start:x.end], x.u, 1<<62)
	}
	g := goal{total: total, minPart: minPart, target: total / 2, budget: pb}
	w := x.scan(prev.start, prev.open, budget, x.end, &g)
	for c := range clsCodeWord {
		b := w.best[c]
		if !b.ok || b.end <= prev.start || b.next >= x.end {
			continue
		}
		if !isBoundary(x.t, prev.start, b.end) || !isBoundary(x.t, prev.start, b.next) {
			continue
		}
		cuts[n-2].end = b.end
		cuts[n-2].close = fence{}
		if b.f.open() {
			cuts[n-2].close = b.f
		}
		cuts[n-1].start = b.next
		cuts[n-1].open = b.f
		return
	}
}
