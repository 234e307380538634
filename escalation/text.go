package escalation

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// scanLimit bounds how many bytes of a message or subject are matched
// against phrases, routes and spam rules, so that a huge email costs
// the same as a long one. Limits (MaxMessageChars, MaxChars) still count the
// whole text.
const scanLimit = 64 << 10

// foldTable maps the Latin-1 Supplement and Latin Extended-A letters to
// their lower-case ASCII base ("É" → "e", "ß" → "ss"). Entries are indexed by
// rune-0xC0; an empty entry means "no folding known".
var foldTable = func() [0x180 - 0xC0]string {
	var t [0x180 - 0xC0]string
	set := func(runes, to string) {
		for _, r := range runes {
			t[r-0xC0] = to
		}
	}
	set("ÀÁÂÃÄÅàáâãäåĀāĂăĄą", "a")
	set("Ææ", "ae")
	set("ÇçĆćĈĉĊċČč", "c")
	set("ÐðĎďĐđ", "d")
	set("ÈÉÊËèéêëĒēĔĕĖėĘęĚě", "e")
	set("ĜĝĞğĠġĢģ", "g")
	set("ĤĥĦħ", "h")
	set("ÌÍÎÏìíîïĨĩĪīĬĭĮįİı", "i")
	set("Ĳĳ", "ij")
	set("Ĵĵ", "j")
	set("Ķķĸ", "k")
	set("ĹĺĻļĽľĿŀŁł", "l")
	set("ÑñŃńŅņŇňŉŊŋ", "n")
	set("ÒÓÔÕÖØòóôõöøŌōŎŏŐő", "o")
	set("Œœ", "oe")
	set("ŔŕŖŗŘř", "r")
	set("ŚśŜŝŞşŠš", "s")
	set("ß", "ss")
	set("ŢţŤťŦŧ", "t")
	set("Þþ", "th")
	set("ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲų", "u")
	set("Ŵŵ", "w")
	set("ÝýÿŶŷŸ", "y")
	set("ŹźŻżŽž", "z")
	return t
}()

// isSpace reports the runes that separate words for normalisation.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x85, 0xA0:
		return true
	}
	return r > 0xFF && unicode.IsSpace(r)
}

// asciiFold maps each ASCII byte to its normal form (lower case for
// letters, ' ' for white space) and asciiKind classifies it: kindDrop for
// control characters, kindSpace for white space, kindChar otherwise.
var asciiFold, asciiKind = func() (fold, kind [utf8.RuneSelf]byte) {
	for c := range utf8.RuneSelf {
		switch {
		case 'A' <= c && c <= 'Z':
			fold[c], kind[c] = byte(c)+('a'-'A'), kindChar
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			fold[c], kind[c] = ' ', kindSpace
		case c < ' ' || c == 0x7F:
			fold[c], kind[c] = 0, kindDrop
		default:
			fold[c], kind[c] = byte(c), kindChar
		}
	}
	return fold, kind
}()

const (
	kindDrop  = 0
	kindSpace = 1
	kindChar  = 2
)

// normalize appends to dst the normal form of s that tags and regular
// expressions are matched against (phrases and keywords use wordForm): lower case, accents
// removed ("Não" → "nao", decomposed accents too), runs of white space
// collapsed to one space, no leading or trailing space. Only the first
// scanLimit bytes of s are read. It also returns the number of runes in the
// whole of s, as utf8.RuneCountInString would, since it reads them anyway.
// It never allocates when dst has room.
func normalize(dst []byte, s string) ([]byte, int) {
	runes := len(s)
	if len(s) > scanLimit {
		cut := scanLimit
		for cut > scanLimit-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
			cut-- // do not split a rune
		}
		runes = utf8.RuneCountInString(s[cut:]) + cut
		s = s[:cut]
	}
	var space uint8 = 1 // 1 after a space or at the start: suppresses runs
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			// A run of ASCII: write into spare capacity without branching
			// on the byte, since letters and spaces alternate
			// unpredictably. Dropped bytes are overwritten.
			if cap(dst)-len(dst) < len(s)-i {
				dst = slices.Grow(dst, len(s)-i)
			}
			j := len(dst)
			buf := dst[:cap(dst)]
			for ; i < len(s); i++ {
				c := s[i]
				if c >= utf8.RuneSelf {
					break
				}
				k := asciiKind[c]
				isChar, isSp := k>>1, k&1
				buf[j] = asciiFold[c]
				j += int(isChar | isSp&^space)
				space = isSp | space&^isChar
			}
			dst = buf[:j]
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		runes -= size - 1
		switch {
		case r == utf8.RuneError:
			// invalid bytes and U+FFFD, which only stands for them: dropped
		case isSpace(r):
			if space == 0 {
				dst = append(dst, ' ')
				space = 1
			}
		case r >= 0x300 && r <= 0x36F:
			// combining diacritical marks (decomposed accents): dropped
		default:
			// Fold after lowering: some capitals outside Latin-1 lower
			// into it ("ẞ" → "ß" → "ss").
			if l := unicode.ToLower(r); l >= 0xC0 && l < 0x180 && foldTable[l-0xC0] != "" {
				dst = append(dst, foldTable[l-0xC0]...)
			} else {
				dst = utf8.AppendRune(dst, l)
			}
			space = 0
		}
	}
	if len(dst) > 0 && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst, runes
}

// normalizeString is normalize for construction time.
func normalizeString(s string) string {
	b, _ := normalize(make([]byte, 0, len(s)), s)
	return string(b)
}

// isWordByte reports whether b belongs to a word for boundary checks: ASCII
// letters and digits, and any byte of a multi-byte rune (letters of other
// scripts).
func isWordByte(b byte) bool {
	return b >= 0x80 || ('a' <= b && b <= 'z') || ('0' <= b && b <= '9') || ('A' <= b && b <= 'Z') || b == '_'
}
