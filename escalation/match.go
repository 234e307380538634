package escalation

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// automaton is an Aho–Corasick matcher: one pass over a raw message finds
// every human phrase, route keyword and regular-expression literal the
// Policy knows, whatever their number, without first copying the message.
//
// It matches the word form of the text (see wordForm): the byte classes
// fold case and turn punctuation into a separator, multi-byte runes are
// folded on the way (accents removed), and a state reached by a separator
// loops on further separators, so runs collapse as if the text had been
// normalised first. Word patterns are stored with a separator at both ends
// and the text is read between two virtual separators, so "agent" matches
// whole words only and no boundary check is needed after a match.
type automaton struct {
	class  [256]uint8
	nclass int
	// trans[row+class] = next row << 1 | 1 if patterns end there, where
	// row = state*nclass; trans16 holds the same when every entry fits in
	// 16 bits (most configurations), halving the table's cache footprint.
	trans   []uint32
	trans16 []uint16
	outputs [][]int32 // state → ids of the patterns ending there
	start   uint32    // row after the virtual leading separator
	npats   int
}

const (
	classOther = 0 // word bytes no pattern uses
	classSep   = 1 // separators: white space and punctuation
	classDrop  = 2 // control characters: ignored, every state loops on them
)

// patternSet collects patterns in word form and hands out stable ids,
// sharing an id between identical patterns.
type patternSet struct {
	ids  map[string]int
	list []string
}

// add registers text and returns its id, or -1 when its word form is empty.
// words requires whole words at both ends.
func (ps *patternSet) add(text string, words bool) int {
	wf := wordForm(text)
	if wf == "" {
		return -1
	}
	if words {
		wf = " " + wf + " "
	}
	if id, ok := ps.ids[wf]; ok {
		return id
	}
	if ps.ids == nil {
		ps.ids = make(map[string]int)
	}
	id := len(ps.list)
	ps.ids[wf] = id
	ps.list = append(ps.list, wf)
	return id
}

// foldRune returns the word form of r: nothing for runes dropped (control
// characters, invalid bytes, combining accents), " " for a separator, else
// its folded lower-case text. It agrees with normalize: the word form of a
// text and of its normal form are the same, so literals found here are
// found in the normalised text regular expressions run on.
func foldRune(r rune, buf *[utf8.UTFMax]byte) []byte {
	if r < utf8.RuneSelf {
		c := byte(r)
		switch asciiKind[c] {
		case kindDrop:
			return nil
		case kindSpace:
			c = ' '
		default:
			c = asciiFold[c]
			if !isWordByte(c) {
				c = ' '
			}
		}
		buf[0] = c
		return buf[:1]
	}
	if r == utf8.RuneError || (r >= 0x300 && r <= 0x36F) {
		return nil
	}
	if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
		buf[0] = ' '
		return buf[:1]
	}
	l := unicode.ToLower(r)
	if l >= 0xC0 && l < 0x180 && foldTable[l-0xC0] != "" {
		return buf[:copy(buf[:], foldTable[l-0xC0])]
	}
	return buf[:utf8.EncodeRune(buf[:], l)]
}

// wordForm is the text phrases and keywords are compared in: lower case,
// accents removed, anything but letters and digits a single space, trimmed.
// "Olá! Quero falar  com um ATENDENTE." → "ola quero falar com um atendente".
func wordForm(s string) string {
	var b strings.Builder
	var buf [utf8.UTFMax]byte
	sep := true
	for _, r := range s {
		f := foldRune(r, &buf)
		if len(f) == 1 && f[0] == ' ' {
			if !sep {
				b.WriteByte(' ')
				sep = true
			}
			continue
		}
		if len(f) > 0 {
			b.Write(f)
			sep = false
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

func buildAutomaton(pats []string) *automaton {
	a := &automaton{npats: len(pats), nclass: 3}
	for _, p := range pats {
		for i := 0; i < len(p); i++ {
			if c := p[i]; c != ' ' && a.class[c] == classOther {
				a.class[c] = uint8(a.nclass)
				a.nclass++
			}
		}
	}
	for c := range utf8.RuneSelf {
		switch b := byte(c); {
		case asciiKind[b] == kindDrop:
			a.class[b] = classDrop
		case 'A' <= b && b <= 'Z':
			a.class[b] = a.class[b+'a'-'A']
		case !isWordByte(b):
			a.class[b] = classSep
		}
	}
	n := a.nclass
	// Trie.
	delta := make([]int32, n)
	for i := range delta {
		delta[i] = -1
	}
	own := [][]int32{nil}
	endsWithSep := []bool{false}
	for id, p := range pats {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(a.class[p[i]])
			next := delta[int(s)*n+c]
			if next < 0 {
				next = int32(len(own))
				delta[int(s)*n+c] = next
				own = append(own, nil)
				endsWithSep = append(endsWithSep, c == classSep)
				for range n {
					delta = append(delta, -1)
				}
			}
			s = next
		}
		own[s] = append(own[s], int32(id))
	}
	// Failure links, breadth first, completing the transition table into a
	// DFA and gathering outputs along the failure chain.
	states := len(own)
	fail := make([]int32, states)
	a.outputs = make([][]int32, states)
	queue := make([]int32, 0, states)
	for c := range n {
		if child := delta[c]; child < 0 {
			delta[c] = 0
		} else {
			queue = append(queue, child)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.outputs[s] = append(append([]int32(nil), own[s]...), a.outputs[fail[s]]...)
		for c := range n {
			idx := int(s)*n + c
			child := delta[idx]
			f := delta[int(fail[s])*n+c]
			if child < 0 {
				delta[idx] = f
				continue
			}
			fail[child] = f
			queue = append(queue, child)
		}
	}
	// Runs of separators collapse: a state reached by one stays on more.
	// Dropped bytes change nothing.
	for s, sep := range endsWithSep {
		if sep {
			delta[s*n+classSep] = int32(s)
		}
		delta[s*n+classDrop] = int32(s)
	}
	a.trans = make([]uint32, len(delta))
	for i, next := range delta {
		e := uint32(int(next)*n) << 1
		if len(a.outputs[next]) > 0 {
			e |= 1
		}
		a.trans[i] = e
	}
	a.start = a.trans[classSep] >> 1
	if len(a.trans) < 1<<15 {
		a.trans16 = make([]uint16, len(a.trans))
		for i, e := range a.trans {
			a.trans16[i] = uint16(e)
		}
		a.trans = nil
	}
	return a
}

// scan sets bit id in bits for every pattern found in the word form of s
// (its first scanLimit bytes) and returns the number of runes in all of s.
// bits must hold at least npats bits.
func (a *automaton) scan(s string, bits []uint64) (runes int) {
	runes = len(s)
	if len(s) > scanLimit {
		cut := scanLimit
		for cut > scanLimit-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
			cut--
		}
		runes = utf8.RuneCountInString(s[cut:]) + cut
		s = s[:cut]
	}
	if a.trans16 != nil {
		return runes - scanWith(a, a.trans16, s, bits)
	}
	return runes - scanWith(a, a.trans, s, bits)
}

// scanWith runs the automaton over s and returns how many bytes of s
// continue multi-byte runes (to derive the rune count).
func scanWith[E uint16 | uint32](a *automaton, trans []E, s string, bits []uint64) (extra int) {
	class := &a.class
	row := E(a.start)
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			e := trans[row+E(class[c])]
			row = e >> 1
			if e&1 != 0 {
				a.report(uint32(row), bits)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		extra += size - 1
		var buf [utf8.UTFMax]byte
		for _, b := range foldRune(r, &buf) {
			e := trans[row+E(class[b])]
			row = e >> 1
			if e&1 != 0 {
				a.report(uint32(row), bits)
			}
		}
	}
	if e := trans[row+classSep]; e&1 != 0 {
		a.report(uint32(e>>1), bits)
	}
	return extra
}

func (a *automaton) report(row uint32, bits []uint64) {
	for _, id := range a.outputs[int(row)/a.nclass] {
		bits[id>>6] |= 1 << (uint(id) & 63)
	}
}

func hasBit(bits []uint64, id int) bool {
	return id >= 0 && bits[id>>6]&(1<<(uint(id)&63)) != 0
}
