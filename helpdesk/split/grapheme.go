package split

import (
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Grapheme boundaries are checked only near a cut. Between two ASCII bytes
// there is always a boundary except inside "\r\n" (every rule of UAX #29 that
// joins characters involves a non-ASCII one), so ASCII text never reaches
// uniseg. Elsewhere the check walks back to such a certain boundary (or to
// the part start, which is one) and steps forward cluster by cluster.

func certainBoundary(t string, i int) bool {
	a, b := t[i-1], t[i]
	return a < utf8.RuneSelf && b < utf8.RuneSelf && !(a == '\r' && b == '\n')
}

// lastBoundary returns the largest grapheme cluster boundary b with
// lo ≤ b ≤ x, where lo is known to be a boundary.
func lastBoundary(t string, lo, x int) int {
	if x >= len(t) {
		return len(t)
	}
	for x > lo && !utf8.RuneStart(t[x]) {
		x--
	}
	if x <= lo {
		return lo
	}
	if certainBoundary(t, x) {
		return x
	}
	s := x - 1
	for s > lo && !certainBoundary(t, s) {
		s--
	}
	last := s
	for pos := s; pos < x; {
		var n int
		if c := t[pos]; c < utf8.RuneSelf && pos+1 < len(t) && t[pos+1] < utf8.RuneSelf {
			n = 1
			if c == '\r' && t[pos+1] == '\n' {
				n = 2
			}
		} else {
			cl, _, _, _ := uniseg.FirstGraphemeClusterInString(t[pos:], -1)
			n = len(cl)
		}
		pos += n
		if pos <= x {
			last = pos
		}
	}
	return last
}

// isBoundary reports whether x is a grapheme cluster boundary, given a
// boundary lo ≤ x.
func isBoundary(t string, lo, x int) bool {
	if x <= lo || x >= len(t) {
		return true
	}
	return lastBoundary(t, lo, x) == x
}

// nextBoundary returns the smallest grapheme cluster boundary b ≥ x, given a
// boundary lo ≤ x.
func nextBoundary(t string, lo, x int) int {
	pos := lastBoundary(t, lo, x)
	for pos < x {
		cl, _, _, _ := uniseg.FirstGraphemeClusterInString(t[pos:], -1)
		pos += len(cl)
	}
	return pos
}

// joinedAt reports whether the runes on either side of position i (a rune
// start) belong to one grapheme cluster, judging by those two runes only.
// That is exact next to whitespace, the only place it is used: no rule of
// UAX #29 that joins a space or control character to a neighbour looks
// further than the neighbour itself.
func joinedAt(t string, i int) bool {
	if i <= 0 || i >= len(t) || t[i-1] < utf8.RuneSelf && t[i] < utf8.RuneSelf {
		return i > 0 && i < len(t) && t[i-1] == '\r' && t[i] == '\n'
	}
	x, size := utf8.DecodeLastRuneInString(t[:i])
	y, next := utf8.DecodeRuneInString(t[i:])
	if !mayJoin(x, y) {
		return false
	}
	cl, _, _, _ := uniseg.FirstGraphemeClusterInString(t[i-size:i+next], -1)
	return len(cl) > size
}

// mayJoin is a quick pre-check for joinedAt next to whitespace: only a
// Prepend character before (all in U+0600–U+0D4E or U+11000–U+11FFF) or an
// extending mark after (none below U+0300, none among the pictographs
// U+1F000–U+1FFFF except the skin-tone modifiers) can join it. A test
// checks this against uniseg for every rune.
func mayJoin(x, y rune) bool {
	if x >= 0x600 && x <= 0xD4E || x >= 0x11000 && x < 0x12000 {
		return true
	}
	if y < 0x300 || y >= 0x1F000 && y < 0x20000 && (y < 0x1F3FB || y > 0x1F3FF) {
		return false
	}
	return true
}
