package split

import (
	"strings"
	"unicode/utf8"
)

// Whitespace, for cutting and trimming, is what unicode.IsSpace reports,
// except the no-break spaces U+00A0, U+2007 and U+202F, which join words.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiSpace[r]
	}
	// The White_Space characters above ASCII, without the no-break ones.
	switch {
	case r < 0x2000:
		return r == 0x85 || r == 0x1680
	case r <= 0x200A:
		return r != 0x2007
	}
	return r == 0x2028 || r == 0x2029 || r == 0x205F || r == 0x3000
}

var asciiSpace = [utf8.RuneSelf]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

// lineBreaks returns how many line breaks a whitespace rune counts as: U+2029
// (paragraph separator) counts two so that it ends a paragraph on its own.
// '\r' counts only when no '\n' follows it, so "\r\n" is one break.
func lineBreaks(t string, i int, r rune) int {
	switch r {
	case '\n', 0x85, 0x2028:
		return 1
	case '\r':
		if i+1 < len(t) && t[i+1] == '\n' {
			return 0
		}
		return 1
	case 0x2029:
		return 2
	}
	return 0
}

// trim returns the bounds of t without leading and trailing whitespace.
func trim(t string) (int, int) {
	start := 0
	for start < len(t) {
		r, size := utf8.DecodeRuneInString(t[start:])
		if !isSpace(r) {
			break
		}
		start += size
	}
	end := len(t)
	for end > start {
		r, size := utf8.DecodeLastRuneInString(t[start:end])
		if !isSpace(r) {
			break
		}
		end -= size
	}
	return start, end
}

// trimBounds is trim that keeps grapheme clusters whole: whitespace joined
// to a following combining mark (or a trailing one joined to a preceding
// prepended mark) is part of the text.
func trimBounds(t string) (int, int) {
	start, end := trim(t)
	if start >= end {
		return start, end
	}
	if start > 0 && !isBoundary(t, 0, start) {
		start = lastBoundary(t, 0, start)
	}
	if end < len(t) && !isBoundary(t, start, end) {
		end = nextBoundary(t, start, end)
	}
	return start, end
}

// isCloser reports characters that may follow the end of a sentence or
// clause and still belong to it: closing quotes, brackets and emphasis.
func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '*', '_', '`', '”', '’', '»', '›', '」', '』', '）':
		return true
	}
	return false
}

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '‼', '⁉', '。', '！', '？':
		return true
	}
	return false
}

// isTerminatorNoSpace reports sentence ends that need no space after them
// (CJK full-width punctuation).
func isTerminatorNoSpace(r rune) bool { return r == '。' || r == '！' || r == '？' }

func isClause(r rune) bool {
	switch r {
	case ';', ':', '；', '：':
		return true
	}
	return false
}

// isOpenerInverted reports the Spanish inverted marks that start a sentence.
func isOpenerInverted(r rune) bool { return r == '¿' || r == '¡' }

// Line kinds found at the start of a line.
const (
	linePlain = iota
	lineItem
	lineHeading
	lineQuote
	lineFenceOpen
	lineFenceClose
)

// lineInfo classifies the line starting at ls given the fence state, and
// returns the end of its marker (list bullet, heading hashes, quote sign), or
// -1. For fence lines, fl is the fence that opens (zero when closing) and
// eol the index of the line's end.
func lineInfo(t string, ls int, f fence) (kind, markerEnd int, fl fence, eol int) {
	j := ls
	for j < len(t) && j-ls < 4 && t[j] == ' ' {
		j++
	}
	markerEnd = -1
	if j >= len(t) {
		return linePlain, -1, fl, len(t)
	}
	c := t[j]
	if j-ls <= 3 && (c == '`' || c == '~') {
		k := j
		for k < len(t) && t[k] == c {
			k++
		}
		n := k - j
		eol = strings.IndexByte(t[k:], '\n')
		if eol < 0 {
			eol = len(t)
		} else {
			eol += k
		}
		if f.open() {
			if c == f.ch && n >= f.n && strings.TrimRight(t[k:eol], " \t\r") == "" {
				return lineFenceClose, -1, fence{}, eol
			}
		} else if n >= 3 && (c == '~' || strings.IndexByte(t[k:eol], '`') < 0) {
			le := eol
			for le > j && (t[le-1] == ' ' || t[le-1] == '\t' || t[le-1] == '\r') {
				le--
			}
			return lineFenceOpen, -1, fence{ch: c, n: n, ls: j, le: le}, eol
		}
	}
	if f.open() {
		return linePlain, -1, fl, eol
	}
	switch {
	case c == '-' || c == '*' || c == '+':
		if j+1 < len(t) && (t[j+1] == ' ' || t[j+1] == '\t') {
			return lineItem, j + 1, fl, eol
		}
	case c >= '0' && c <= '9':
		k := j
		for k < len(t) && k-j < 9 && t[k] >= '0' && t[k] <= '9' {
			k++
		}
		if k+1 < len(t) && (t[k] == '.' || t[k] == ')') && (t[k+1] == ' ' || t[k+1] == '\t') {
			return lineItem, k + 1, fl, eol
		}
	case c == '#':
		k := j
		for k < len(t) && t[k] == '#' {
			k++
		}
		if k-j <= 6 && k < len(t) && (t[k] == ' ' || t[k] == '\t') {
			return lineHeading, k, fl, eol
		}
	case c == '>':
		return lineQuote, j + 1, fl, eol
	}
	return linePlain, -1, fl, eol
}

// isBlankLineAt reports whether the line starting at i holds only spaces and
// tabs (or t ends there).
func isBlankLineAt(t string, i int) bool {
	for ; i < len(t); i++ {
		switch t[i] {
		case ' ', '\t', '\r':
		case '\n':
			return true
		default:
			return false
		}
	}
	return true
}

// linkishSpan finds a URL or e-mail address in the token tok that strictly
// contains offset off (start < off < end). It returns the span start and its
// kind, or -1. A URL runs to the same stop character whichever scheme starts
// it, so only the schemes nearest to off need a look; the same holds for
// the "@" of an e-mail address on either side of off.
func linkishSpan(tok string, off int) (int, string) {
	// The nearest "://" before off that has a scheme, and the one after.
	scheme := func(k int) int {
		s := k
		for s > 0 && isSchemeChar(tok[s-1]) {
			s--
		}
		return s
	}
	k := strings.LastIndex(tok[:min(off+2, len(tok))], "://")
	for n := 0; k >= 0 && scheme(k) == k; n++ {
		if n == 64 {
			return 0, "url" // a thicket of "://": treat it all as one
		}
		k = strings.LastIndex(tok[:k], "://")
	}
	for _, k := range [2]int{k, indexFrom(tok, "://", off)} {
		if k < 0 {
			continue
		}
		if s := scheme(k); s < k && s < off && off < urlEnd(tok, k+3) {
			return s, "url"
		}
	}
	k = strings.LastIndex(tok[:min(off+3, len(tok))], "www.")
	for n := 0; k > 0 && isAlnum(tok[k-1]); n++ {
		if n == 64 {
			return 0, "url"
		}
		k = strings.LastIndex(tok[:k], "www.")
	}
	for _, k := range [2]int{k, indexFrom(tok, "www.", off)} {
		if k < 0 || k > 0 && isAlnum(tok[k-1]) {
			continue
		}
		if k < off && off < urlEnd(tok, k+4) {
			return k, "url"
		}
	}
	for _, k := range [2]int{strings.LastIndexByte(tok[:off], '@'), indexFrom(tok, "@", off)} {
		if k < 0 {
			continue
		}
		s := k
		for s > 0 && isEmailLocal(tok[s-1]) {
			s--
		}
		e := k + 1
		dot := false
		for e < len(tok) && (isAlnum(tok[e]) || tok[e] == '-' || tok[e] == '.') {
			dot = dot || tok[e] == '.'
			e++
		}
		for e > k+1 && (tok[e-1] == '.' || tok[e-1] == '-') {
			e--
		}
		if s < k && dot && s < off && off < e {
			return s, "email"
		}
	}
	return -1, ""
}

func indexFrom(s, sub string, from int) int {
	if from > len(s) {
		return -1
	}
	k := strings.Index(s[from:], sub)
	if k < 0 {
		return -1
	}
	return from + k
}

// urlEnd returns where a URL whose body starts at j ends in tok: before
// characters that cannot be in a bare URL, without trailing punctuation and
// without closing brackets it did not open (a markdown link's ")").
func urlEnd(tok string, j int) int {
	e := j
	for e < len(tok) {
		c := tok[e]
		if c == '<' || c == '>' || c == '"' || c == '`' {
			break
		}
		e++
	}
	for e > j {
		c := tok[e-1]
		switch c {
		case '.', ',', ':', ';', '!', '?', '\'', '*', '_':
			e--
			continue
		case ')':
			if strings.Count(tok[j:e], "(") < strings.Count(tok[j:e], ")") {
				e--
				continue
			}
		case ']':
			if strings.Count(tok[j:e], "[") < strings.Count(tok[j:e], "]") {
				e--
				continue
			}
		}
		break
	}
	return e
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isSchemeChar(c byte) bool { return isAlnum(c) || c == '+' || c == '-' || c == '.' }

func isEmailLocal(c byte) bool {
	return isAlnum(c) || strings.IndexByte(".!#$%&'*+/=?^_{|}~-", c) >= 0
}
