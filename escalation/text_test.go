package escalation

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

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
	require.Equal(t, strings.Repeat("e", scanLimit/2-1)+"a", normalizeString(strings.Repeat("é", scanLimit/2-1)+"aé"), "cut before a split rune")
	for _, s := range []string{"", "abc", "Não é", "bad\xff\xfeutf8", "a\u0301", long + "é\xff", strings.Repeat("é", scanLimit), "a" + strings.Repeat("é", scanLimit)} {
		_, n := normalize(nil, s)
		require.Equal(t, utf8.RuneCountInString(s), n, "rune count of %q", s)
	}
}

func TestNormalizeAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = normalize(buf[:0], "Olá! Não consigo acessar minha conta, QUERO falar com um atendente humano.")
	})
	require.Zero(t, allocs)
}

func TestWordForm(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "",
		"¿¡!!":                                "",
		"Olá! Quero falar  com um ATENDENTE.": "ola quero falar com um atendente",
		"¿Puedo hablar con un agente?":        "puedo hablar con un agente",
		"pedido #123-456, R$ 10,50":           "pedido 123 456 r 10 50",
		"a\u0301gua “viva” — já":              "agua viva ja",
		"cliente_vip ÑANDÚ Straße Ωμέγα 東京":  "cliente_vip nandu strasse ωμέγα 東京",
		"bad\xffutf8 tab\tnew\nline\x00ctrl": "badutf8 tab new linectrl",
	} {
		require.Equal(t, want, wordForm(in), "wordForm(%q)", in)
	}
}

func TestAutomaton(t *testing.T) {
	var ps patternSet
	he := ps.add("he", false)
	she := ps.add("SHE", true)
	hers := ps.add("hers", false)
	his := ps.add("his", true)
	phrase := ps.add("falar com humano", true)
	accent := ps.add("atenção", true)
	require.Equal(t, she, ps.add("she!", true), "identical word forms share an id")
	require.Equal(t, -1, ps.add("?!", true))
	a := buildAutomaton(ps.list)
	scan := func(text string) []int {
		bits := make([]uint64, 1)
		a.scan(text, bits)
		var ids []int
		for id := range ps.list {
			if hasBit(bits, id) {
				ids = append(ids, id)
			}
		}
		return ids
	}
	require.Equal(t, []int{he, she}, scan("She said"))
	require.Equal(t, []int{he, hers}, scan("ushers")) // "she" inside a word: no boundary
	require.Equal(t, []int{he, his}, scan("his, he"))
	require.Equal(t, []int{phrase}, scan("Quero FALAR  com\n humano!"))
	require.Equal(t, []int{phrase}, scan("falar-com-humano"))
	require.Equal(t, []int{accent}, scan("ATENÇÃO"))
	require.Equal(t, []int{accent}, scan("atenc\u0327a\u0303o")) // decomposed accents
	require.Empty(t, scan("falar com humanos"))
	require.Empty(t, scan(""))

	empty := buildAutomaton(nil)
	require.Equal(t, 8, empty.scan("anything", nil))
}

func TestAutomatonRuneCount(t *testing.T) {
	a := buildAutomaton([]string{" x "})
	bits := make([]uint64, 1)
	long := strings.Repeat("a", scanLimit+100)
	for _, s := range []string{"", "abc", "Não é", "bad\xff\xfeutf8", "a\u0301", long + "é\xff", strings.Repeat("é", scanLimit), "a" + strings.Repeat("é", scanLimit)} {
		require.Equal(t, utf8.RuneCountInString(s), a.scan(s, bits), "rune count of %q", s)
	}
}

func TestAutomatonAllocs(t *testing.T) {
	var ps patternSet
	for _, p := range DefaultHumanPhrases {
		ps.add(p, true)
	}
	a := buildAutomaton(ps.list)
	bits := make([]uint64, (len(ps.list)+63)/64)
	allocs := testing.AllocsPerRun(100, func() {
		a.scan("Olá! Não consigo acessar minha conta, QUERO falar com um atendente humano. ÑANDÚ 東京", bits)
	})
	require.Zero(t, allocs)
}

// TestAutomatonMatchesNaive compares the automaton with a naive search in
// the word form of random texts over a small alphabet, where overlaps,
// separator runs and case changes are frequent.
func TestAutomatonMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "A", " ", "  ", ",", "á", "c\u0327", "\n"}
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := range 500 {
		var ps patternSet
		for range 1 + rng.IntN(12) {
			ps.add(word(1+rng.IntN(5)), rng.IntN(2) == 0)
		}
		a := buildAutomaton(ps.list)
		text := word(rng.IntN(60))
		bits := make([]uint64, 1)
		a.scan(text, bits)
		padded := " " + wordForm(text) + " "
		for id, p := range ps.list {
			require.Equal(t, strings.Contains(padded, p), hasBit(bits, id), "round %d: pattern %q in %q", round, p, padded)
		}
	}
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

func TestIsNormalTag(t *testing.T) {
	for _, tag := range []string{"", "vip", "cliente_vip", "VIP", " vip", "vip ", "a  b", "a b", "ação", "a\tb", "x\x00", "l2:billing", "prioridade-alta"} {
		if isNormalTag(tag) {
			require.Equal(t, tag, normalizeString(tag), "isNormalTag(%q) but normalize changes it", tag)
		} else {
			require.Contains(t, []string{"", "VIP", " vip", "vip ", "a  b", "ação", "a\tb", "x\x00"}, tag)
		}
	}
}

// TestAutomatonLargeTable covers configurations whose table needs 32-bit
// entries.
func TestAutomatonLargeTable(t *testing.T) {
	var ps patternSet
	for i := range 3000 {
		ps.add(fmt.Sprintf("keyword%d x%dy", i, i*7), i%2 == 0)
	}
	a := buildAutomaton(ps.list)
	require.Nil(t, a.trans16)
	require.NotNil(t, a.trans)
	bits := make([]uint64, (len(ps.list)+63)/64)
	text := "Olá KEYWORD42 x294y, keyword43 x301y; keyword2999 x20993y!"
	require.Equal(t, utf8.RuneCountInString(text), a.scan(text, bits))
	padded := " " + wordForm(text) + " "
	for id, p := range ps.list {
		require.Equal(t, strings.Contains(padded, p), hasBit(bits, id), p)
	}
	require.True(t, hasBit(bits, ps.ids[" keyword42 x294y "]))

	small := buildAutomaton([]string{" a "})
	require.NotNil(t, small.trans16)
	require.Nil(t, small.trans)
}
