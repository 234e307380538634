package main

import (
	"strings"
	"unicode"
)

// FAQEntry is one answer of the built-in knowledge base with the words
// that make a question about it.
type FAQEntry struct {
	Keywords []string
	Answer   string
	// Solves marks answers after which the bot resolves the conversation.
	Solves bool
}

// FAQ answers questions by keyword overlap and reports a confidence in
// [0,1]: the share of the best entry's keywords the question contains. A
// real bot would call its language model here.
type FAQ []FAQEntry

// Answer returns the best entry's answer and its confidence.
func (f FAQ) Answer(question string) (string, float64, bool) {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(fold(question), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		words[w] = true
	}
	best, bestScore := -1, 0.0
	for i, e := range f {
		hit := 0
		for _, k := range e.Keywords {
			if words[k] {
				hit++
			}
		}
		if len(e.Keywords) == 0 {
			continue
		}
		score := float64(hit) / float64(len(e.Keywords))
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return "", 0, false
	}
	return f[best].Answer, bestScore, f[best].Solves
}

var accents = strings.NewReplacer("á", "a", "à", "a", "â", "a", "ã", "a", "é", "e", "ê", "e", "í", "i",
	"ó", "o", "ô", "o", "õ", "o", "ú", "u", "ü", "u", "ç", "c", "ñ", "n")

// fold lowercases and removes common Latin accents, so "Reembolso" and
// "reembólso" match.
func fold(s string) string { return accents.Replace(strings.ToLower(s)) }

// defaultFAQ is the embedded demo knowledge base.
var defaultFAQ = FAQ{
	{
		Keywords: []string{"reset", "password"},
		Answer: "To reset your password, open the sign-in page and choose \"Forgot password\". " +
			"We will e-mail you a link that stays valid for 30 minutes; open it on the same device.\n\n" +
			"If the e-mail does not arrive within five minutes, check your spam folder and make sure the address " +
			"on your account is the one you are reading. You can also reset it from the app: Settings > Account > Security > Reset password.\n\n" +
			"For security, every other session is signed out after a reset. Details: https://help.example.com/articles/reset-password?src=bot",
	},
	{
		Keywords: []string{"order", "track"},
		Answer:   "You can track your order at https://shop.example.com/orders: the tracking code appears as soon as the carrier collects the parcel.",
	},
	{
		Keywords: []string{"thanks", "solved"},
		Answer:   "Great, glad it worked! I'm closing this conversation; just write again if you need anything.",
		Solves:   true,
	},
	{
		Keywords: []string{"crypto", "payment", "pay", "bitcoin", "accept"},
		Answer:   "We might accept some payment methods.",
	},
}
