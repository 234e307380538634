package escalation

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		"   ":                               "",
		"Olá, QUERO falar com   Atendente!": "ola, quero falar com atendente!",
		"Não\tconsigo\n\nacessar":           "nao consigo acessar",
		"AÇÃO çà ÉÊË ñ ü ß Œuvre Łódź":  "acao ca eee n u ss oeuvre lodz",
		"Decomposed: a\u0301gua":        "decomposed: agua",
		"\u00a0nbsp\u2003em\u2028line ": "nbsp em line",
		"ΑΒΓ Ωμέγα":                     "αβγ ωμέγα",
		"ctrl\x00\x01chars\x7f":         "ctrlchars",
		"bad\xffutf8":                   "badutf8",
		"Pedido #123456":                "pedido #123456",
	} {
		require.Equal(t, want, normalizeString(in), "normalize(%q)", in)
	}
	long := strings.Repeat("a", scanLimit+100)
	require.Len(t, normalizeString(long), scanLimit)
}

func TestNormalizeAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf = normalize(buf[:0], "Olá! Não consigo acessar minha conta, QUERO falar com um atendente humano.")
	})
	require.Zero(t, allocs)
}

func TestAutomaton(t *testing.T) {
	var ps patternSet
	he := ps.add("he", false)
	she := ps.add("she", true)
	hers := ps.add("hers", false)
	his := ps.add("his", true)
	phrase := ps.add("falar com humano", true)
	require.Equal(t, she, ps.add("she", true), "identical patterns share an id")
	a := buildAutomaton(ps.list)
	scan := func(text string) []int {
		bits := make([]uint64, 1)
		a.scan([]byte(text), bits)
		var ids []int
		for id := range ps.list {
			if hasBit(bits, id) {
				ids = append(ids, id)
			}
		}
		return ids
	}
	require.Equal(t, []int{he, she}, scan("she said"))
	require.Equal(t, []int{he, hers}, scan("ushers")) // "she" inside a word: no boundary
	require.Equal(t, []int{he, his}, scan("his he"))
	require.Equal(t, []int{phrase}, scan("quero falar com humano!"))
	require.Empty(t, scan("falar com humanos"))
	require.Empty(t, scan(""))

	empty := buildAutomaton(nil)
	empty.scan([]byte("anything"), nil)
}

// TestAutomatonMatchesNaive compares the automaton with a naive search on
// random texts over a small alphabet, where overlaps are frequent.
func TestAutomatonMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab c"[rng.IntN(4)]
		}
		return string(b)
	}
	for round := range 200 {
		var ps patternSet
		for range 1 + rng.IntN(12) {
			w := strings.TrimSpace(word(1 + rng.IntN(5)))
			if w != "" {
				ps.add(w, rng.IntN(2) == 0)
			}
		}
		a := buildAutomaton(ps.list)
		text := []byte(word(rng.IntN(60)))
		bits := make([]uint64, 1)
		a.scan(text, bits)
		for id, p := range ps.list {
			require.Equal(t, naiveFind(text, p), hasBit(bits, id), "round %d: pattern %+v in %q", round, p, text)
		}
	}
}

func naiveFind(text []byte, p acPattern) bool {
	for i := 0; i+len(p.text) <= len(text); i++ {
		if !bytes.HasPrefix(text[i:], []byte(p.text)) {
			continue
		}
		if p.words {
			end := i + len(p.text)
			if i > 0 && isWordByte(p.text[0]) && isWordByte(text[i-1]) {
				continue
			}
			if end < len(text) && isWordByte(p.text[len(p.text)-1]) && isWordByte(text[end]) {
				continue
			}
		}
		return true
	}
	return false
}

func TestRequiredLiteral(t *testing.T) {
	for pattern, want := range map[string]string{
		`limited special offer`:  "limited special offer",
		`pedido #?\d{6}`:         "pedido ",
		`(?:order|pedido) \d+`:   " ",
		`(?:order|pedido)\d+`:    "",
		`(unsubscribe)+ now`:     "unsubscribe",
		`x{2,3}yz`:               "yz",
		`(?i)Offer`:              "",
		`^promo`:                 "promo",
		`a*`:                     "",
		`(clique aqui){1} ja`:    "clique aqui",
		`[0-9]+ reais de bonus!`: " reais de bonus!",
	} {
		re, lit, err := compilePattern(pattern)
		require.NoError(t, err)
		require.Equal(t, want, lit, pattern)
		if lit != "" {
			// Every match contains the literal.
			for _, s := range []string{"limited special offer", "pedido #123456", "unsubscribe now", "xxyz", "promo",
				"clique aqui ja", "10 reais de bonus!"} {
				if re.MatchString(s) {
					require.Contains(t, s, lit, "%s matched %q", pattern, s)
				}
			}
		}
	}
	_, _, err := compilePattern(`(`)
	require.Error(t, err)
}
