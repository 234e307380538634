package split

import (
	"math/rand"
	"strings"
)

// Pieces of generated answers: prose in English, Portuguese and Spanish,
// emoji of every kind, CJK, combining accents, links, code and lists.
var (
	genWords = []string{
		"the", "order", "was", "shipped", "today", "refund", "account", "password",
		"olá", "você", "não", "está", "ação", "informações", "já", "pedido", "reembolso",
		"señor", "mañana", "cómo", "aquí", "niño", "ç", "Ñandú",
		"e\u0301", "a\u0300\u0301", "n\u0303o",
		"😊", "👍🏽", "👨‍👩‍👧‍👦", "🇧🇷", "🇵🇹", "❤️", "🏳️‍🌈", "👩🏾‍💻",
		"日本語", "中文", "한국어",
		"R$ 10,50", "100%", "{x}", "[1]", "a|b", "€5", "^_^", "~ok~",
		"supercalifragilisticexpialidocious", "https://example.com/a/b?c=d&e=f#g",
		"www.example.org/path", "suporte@example.com.br", "ana.silva+1@mail.example.com",
		"[clique aqui](https://example.com/reset?token=abc)", "[doc](https://ex.com/p_(x))",
		"`git status`", "`a b c`", "``x ` y``", "\u00a0", "a\u00a0b",
	}
	genPunct = []string{".", "!", "?", "…", ",", ";", ":", ".\"", "?)", "!»", "。", "！"}
	genSeps  = []string{" ", " ", " ", " ", "  ", "\n", "\n\n", "\n\n\n", "\t", "\r\n", "\u3000", "\u2029", " ¿", " ¡"}
)

// genText builds a random answer-shaped text of about n words.
func genText(r *rand.Rand, n int) string {
	var b strings.Builder
	if r.Intn(10) == 0 {
		b.WriteString(strings.Repeat(" \n", r.Intn(3)))
	}
	for i := 0; i < n; i++ {
		switch k := r.Intn(100); {
		case k < 3:
			b.WriteString("\n\n")
			for j := range r.Intn(5) + 1 {
				if r.Intn(2) == 0 {
					b.WriteString("- ")
				} else {
					b.WriteString(string(rune('1'+j)) + ". ")
				}
				for range r.Intn(12) + 1 {
					b.WriteString(genWords[r.Intn(len(genWords))])
					b.WriteByte(' ')
				}
				b.WriteString("\n")
				if r.Intn(4) == 0 {
					b.WriteString("   - nested item\n")
				}
			}
			b.WriteString("\n")
		case k < 5:
			fenceCh := "```"
			if r.Intn(4) == 0 {
				fenceCh = "~~~~"
			}
			lang := []string{"", "go", "json", "bash"}[r.Intn(4)]
			b.WriteString("\n\n" + fenceCh + lang + "\n")
			for range r.Intn(12) + 1 {
				b.WriteString(strings.Repeat("\t", r.Intn(3)))
				for range r.Intn(8) + 1 {
					b.WriteString([]string{"x", ":=", "fmt.Println(\"olá\")", "{", "}", "return", "err", "😊", "// comentário"}[r.Intn(9)])
					b.WriteByte(' ')
				}
				b.WriteString("\n")
			}
			if r.Intn(8) != 0 {
				b.WriteString(fenceCh + "\n\n")
			}
		case k < 12:
			b.WriteString(genPunct[r.Intn(len(genPunct))])
			b.WriteString(genSeps[r.Intn(len(genSeps))])
		case k < 25:
			b.WriteString(genSeps[r.Intn(len(genSeps))])
			b.WriteString(genWords[r.Intn(len(genWords))])
		default:
			b.WriteString(genWords[r.Intn(len(genWords))])
			b.WriteByte(' ')
		}
	}
	if r.Intn(10) == 0 {
		b.WriteString(" \n ")
	}
	return b.String()
}

func genLimit(r *rand.Rand) Limit {
	switch r.Intn(6) {
	case 0:
		return Limit{Max: 1 + r.Intn(3), Measure: SMSSegments}
	case 1:
		return Limit{Max: 60 + r.Intn(400), Measure: Bytes}
	default:
		return Limit{Max: 40 + r.Intn(400), Measure: Measure(r.Intn(4))}
	}
}

func genOptions(r *rand.Rand) []Option {
	var opts []Option
	if r.Intn(3) == 0 {
		opts = append(opts, PartMarker(" (%d/%d)"))
	} else if r.Intn(6) == 0 {
		opts = append(opts, PartMarkerPrefix("[%d de %d] "))
	}
	if r.Intn(4) == 0 {
		opts = append(opts, Balance(false))
	}
	if r.Intn(3) == 0 {
		opts = append(opts, HardCut(true))
	}
	return opts
}
