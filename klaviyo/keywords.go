package klaviyo

import (
	"strings"
	"unicode"
)

// DefaultKeywords are the subscription keywords Klaviyo (and the carriers'
// rules) answer by themselves: an inbound text that is one of them is
// never answered by the bot nor bridged into a ticket. A bot reply to STOP
// is a compliance failure. Add the account's custom keywords (Settings →
// SMS → Keywords) with IsKeyword's custom argument or
// BridgeOptions.Keywords. (Klaviyo's own Zendesk integration lets HELP and
// INFO through as tickets; here HELP is a keyword, as Klaviyo answers it,
// and INFO is not.)
var DefaultKeywords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "UNSTOP", "START", "JOIN", "HELP"}

// IsKeyword reports whether text, as a whole, is a subscription keyword:
// one of DefaultKeywords or custom, compared without case, accents,
// surrounding white space and trailing punctuation ("Stop!", "  join ",
// "PROMOÇÃO" for a custom "promocao").
func IsKeyword(text string, custom ...string) bool {
	t := normalizeKeyword(text)
	if t == "" {
		return false
	}
	for _, k := range DefaultKeywords {
		if t == k {
			return true
		}
	}
	for _, k := range custom {
		if nk := normalizeKeyword(k); nk != "" && t == nk {
			return true
		}
	}
	return false
}

func normalizeKeyword(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
	var b strings.Builder
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) { // combining accents
			continue
		}
		if base, ok := unaccent[r]; ok {
			r = base
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// unaccent maps the precomposed Latin letters of the languages Klaviyo
// sends SMS in to their base letter.
var unaccent = func() map[rune]rune {
	m := map[rune]rune{}
	for base, letters := range map[rune]string{
		'A': "ÀÁÂÃÄÅàáâãäåĀāĂăĄą", 'C': "ÇçĆćČč", 'E': "ÈÉÊËèéêëĒēĖėĘęĚě", 'I': "ÌÍÎÏìíîïĪīĮį",
		'N': "ÑñŃńŇň", 'O': "ÒÓÔÕÖØòóôõöøŌō", 'U': "ÙÚÛÜùúûüŪūŮůŲų", 'Y': "ÝýÿŸ", 'S': "ŚśŠšŞş", 'Z': "ŹźŻżŽž",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()
