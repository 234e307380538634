package split

import "unicode/utf8"

// SMS segment sizes (GSM 03.38 / 03.40). A concatenated message loses room to
// the 6-byte user data header in every segment.
const (
	gsmSingle  = 160
	gsmPerPart = 153
	ucsSingle  = 70
	ucsPerPart = 67
)

// SMS describes how a text is sent as one SMS.
type SMS struct {
	// UCS2 reports that the text needs UCS-2 (some character is not in
	// GSM-7); otherwise it is sent as GSM-7.
	UCS2 bool
	// Units is the length in septets (GSM-7, extension characters count
	// two) or in UCS-2 units (characters outside the BMP count two).
	Units int
	// Segments is the number of SMS segments the text needs (0 for "").
	Segments int
}

// SMSInfo returns the encoding, length and segment count of s sent as one SMS.
func SMSInfo(s string) SMS {
	ucs2 := !isGSM(s)
	units := smsUnits(s, ucs2)
	return SMS{UCS2: ucs2, Units: units, Segments: smsSegments(units, ucs2)}
}

func smsSegments(units int, ucs2 bool) int {
	single, per := gsmSingle, gsmPerPart
	if ucs2 {
		single, per = ucsSingle, ucsPerPart
	}
	switch {
	case units == 0:
		return 0
	case units <= single:
		return 1
	}
	return (units + per - 1) / per
}

func smsUnits(s string, ucs2 bool) int {
	if ucs2 {
		return utf16Len(s)
	}
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n += int(gsmASCIICost[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += gsmRuneCost(r)
		i += size
	}
	return n
}

// isGSM reports whether every character of s is in the GSM-7 basic or
// extension table.
func isGSM(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if gsmASCIICost[c] == 0 {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if gsmRuneCost(r) == 0 {
			return false
		}
		i += size
	}
	return true
}

// gsmASCIICost is the septet cost of ASCII characters in GSM-7: 1 for the
// basic table, 2 for the extension table (escape + character), 0 for
// characters GSM-7 cannot carry (backtick, tab and most control characters).
var gsmASCIICost = func() (t [utf8.RuneSelf]uint8) {
	for c := ' '; c <= '~'; c++ {
		t[c] = 1
	}
	t['\n'], t['\r'] = 1, 1
	t['`'] = 0
	for _, c := range "^{}[]~\\|\f" {
		t[c] = 2
	}
	return t
}()

// gsmRuneCost is the septet cost of a non-ASCII rune in GSM-7, 0 if GSM-7
// cannot carry it.
func gsmRuneCost(r rune) int {
	switch r {
	case '£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å',
		'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ',
		'Æ', 'æ', 'ß', 'É', '¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
		'¿', 'ä', 'ö', 'ñ', 'ü', 'à':
		return 1
	case '€':
		return 2
	}
	return 0
}
