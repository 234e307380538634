package escalation

import (
	"unicode"
	"unicode/utf8"
)

// scanLimit bounds how many bytes of a message or subject are normalised and
// matched against phrases, routes and spam rules, so that a huge email costs
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
	set("×", "x")
	set("÷", "/")
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

// normalize appends to dst the normal form of s that every phrase, keyword,
// tag and pattern in a Policy is matched against: lower case, accents
// removed ("Não" → "nao", decomposed accents too), runs of white space
// collapsed to one space, no leading or trailing space. Only the first
// scanLimit bytes of s are read. It never allocates when dst has room.
func normalize(dst []byte, s string) []byte {
	if len(s) > scanLimit {
		s = s[:scanLimit]
	}
	space := true // suppresses leading space and runs
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'A' <= c && c <= 'Z':
				dst = append(dst, c+('a'-'A'))
				space = false
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				if !space {
					dst = append(dst, ' ')
					space = true
				}
			case c < ' ' || c == 0x7F:
				// control characters are dropped
			default:
				dst = append(dst, c)
				space = false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			// invalid byte: dropped
		case isSpace(r):
			if !space {
				dst = append(dst, ' ')
				space = true
			}
		case r >= 0x300 && r <= 0x36F:
			// combining diacritical marks (decomposed accents): dropped
		case r >= 0xC0 && r < 0x180 && foldTable[r-0xC0] != "":
			dst = append(dst, foldTable[r-0xC0]...)
			space = false
		default:
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
			space = false
		}
	}
	if len(dst) > 0 && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// normalizeString is normalize for construction time.
func normalizeString(s string) string {
	return string(normalize(make([]byte, 0, len(s)), s))
}

// isWordByte reports whether b belongs to a word for boundary checks: ASCII
// letters and digits, and any byte of a multi-byte rune (letters of other
// scripts).
func isWordByte(b byte) bool {
	return b >= 0x80 || ('a' <= b && b <= 'z') || ('0' <= b && b <= '9') || ('A' <= b && b <= 'Z') || b == '_'
}
