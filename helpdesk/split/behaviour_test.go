package split

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rivo/uniseg"
	"github.com/stretchr/testify/require"
)

// Where cuts go, one preference at a time.
func TestCutPreferences(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit Limit
		want  []string
	}{
		{
			name:  "paragraph over line",
			text:  "First paragraph line one\nline two.\n\nSecond paragraph is here.",
			limit: Limit{Max: 50},
			want:  []string{"First paragraph line one\nline two.", "Second paragraph is here."},
		},
		{
			name:  "line over sentence",
			text:  "Hello there. How are you\ntoday my friend? Fine thanks.",
			limit: Limit{Max: 45},
			want:  []string{"Hello there. How are you", "today my friend? Fine thanks."},
		},
		{
			name:  "sentence over clause",
			text:  "We shipped it. It arrives; tomorrow at noon or later",
			limit: Limit{Max: 40},
			want:  []string{"We shipped it. It arrives;", "tomorrow at noon or later"},
		},
		{
			name:  "sentence after closing quote",
			text:  "She said \"it works.\" Then she left the room quietly and slowly",
			limit: Limit{Max: 30},
			want:  []string{"She said \"it works.\"", "Then she left the room quietly", "and slowly"},
		},
		{
			name:  "spanish inverted marks start a sentence",
			text:  "Muchas gracias por escribir ¿Necesitas algo más de nosotros?",
			limit: Limit{Max: 40},
			want:  []string{"Muchas gracias por escribir", "¿Necesitas algo más de nosotros?"},
		},
		{
			name:  "spanish without space",
			text:  "Tu pedido ya fue enviado.¡Gracias por comprar con nosotros!",
			limit: Limit{Max: 40},
			want:  []string{"Tu pedido ya fue enviado.", "¡Gracias por comprar con nosotros!"},
		},
		{
			name:  "portuguese ellipsis",
			text:  "Estamos verificando… Aguarde só um instante, por favor, obrigado",
			limit: Limit{Max: 40},
			want:  []string{"Estamos verificando…", "Aguarde só um instante, por favor,", "obrigado"},
		},
		{
			name:  "cjk full stop without space",
			text:  "ご注文ありがとうございます。商品は明日発送されます。",
			limit: Limit{Max: 16},
			want:  []string{"ご注文ありがとうございます。", "商品は明日発送されます。"},
		},
		{
			name:  "clause over word",
			text:  "There are two options: refund or exchange in thirty days",
			limit: Limit{Max: 30},
			want:  []string{"There are two options:", "refund or exchange in thirty", "days"},
		},
		{
			name:  "word",
			text:  "one two three four five six seven eight nine ten",
			limit: Limit{Max: 20},
			want:  []string{"one two three four", "five six seven eight", "nine ten"},
		},
		{
			name:  "grapheme clusters when a word is too long",
			text:  strings.Repeat("é", 12),
			limit: Limit{Max: 5, Measure: Graphemes},
			want:  []string{"ééééé", "ééééé", "éé"},
		},
		{
			name:  "combining accents are never split",
			text:  strings.Repeat("e\u0301", 6),
			limit: Limit{Max: 5, Measure: Runes},
			want:  []string{"e\u0301e\u0301", "e\u0301e\u0301", "e\u0301e\u0301"},
		},
		{
			name:  "emoji sequences are never split",
			text:  "👨‍👩‍👧‍👦🇧🇷👍🏽👨‍👩‍👧‍👦",
			limit: Limit{Max: 12, Measure: UTF16},
			want:  []string{"👨‍👩‍👧‍👦", "🇧🇷👍🏽", "👨‍👩‍👧‍👦"},
		},
		{
			name:  "no-break space joins words",
			text:  "Total: R$\u00a0149,90 today",
			limit: Limit{Max: 16},
			want:  []string{"Total: R$\u00a0149,90", "today"},
		},
		{
			name:  "no cut right after a list bullet",
			text:  "- verylongitemwordthatdoesnotfit",
			limit: Limit{Max: 20},
			want:  []string{"- verylongitemwordth", "atdoesnotfit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitAndCheck(t, tt.text, tt.limit, Balance(false))
			require.Empty(t, cmp.Diff(tt.want, texts(parts)), "%#v", texts(parts))
		})
	}
}

// URLs, e-mail addresses, links and code spans are never cut; a part ends
// before them instead.
func TestNeverInside(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"url", "Open https://example.com/a/very/long/path?x=1 now", 42, []string{"Open", "https://example.com/a/very/long/path?x=1", "now"}},
		{"email", "Escreva para atendimento.cliente@example.com.br hoje", 40, []string{"Escreva para", "atendimento.cliente@example.com.br hoje"}},
		{"markdown link with spaces", "Veja [a nossa política de trocas](https://ex.com/t) aqui", 48, []string{"Veja", "[a nossa política de trocas](https://ex.com/t)", "aqui"}},
		{"code span with spaces", "Run `git push --force-with-lease` carefully please", 30, []string{"Run", "`git push --force-with-lease`", "carefully please"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitAndCheck(t, tt.text, Limit{Max: tt.max}, Balance(false))
			require.Empty(t, cmp.Diff(tt.want, texts(parts)), "%#v", texts(parts))
		})
	}
}

func TestUnbreakable(t *testing.T) {
	url := "https://example.com/" + strings.Repeat("x", 180)
	tests := []struct {
		name string
		text string
		kind string
	}{
		{"url", "see " + url + " ok", "url"},
		{"email", strings.Repeat("a", 120) + "@example.com", "email"},
		{"link", "[" + strings.Repeat("word ", 30) + "](https://x.com)", "link"},
		{"code span", "`" + strings.Repeat("code ", 30) + "`", "code span"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Split(tt.text, Limit{Max: 100})
			require.ErrorIs(t, err, ErrUnbreakable)
			var ue *UnbreakableError
			require.True(t, errors.As(err, &ue))
			require.Equal(t, tt.kind, ue.Kind)
			require.True(t, strings.HasPrefix(tt.text[ue.Offset:], ue.Text))

			parts := splitAndCheck(t, tt.text, Limit{Max: 100}, HardCut(true))
			require.Greater(t, len(parts), 1)
		})
	}
	// A grapheme cluster larger than the limit is an error even with HardCut.
	_, err := Split("ok 👨‍👩‍👧‍👦", Limit{Max: 10, Measure: Bytes}, HardCut(true))
	var ue *UnbreakableError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "grapheme cluster", ue.Kind)
	require.Equal(t, 3, ue.Offset)
	// Tiny limits end, they never loop.
	for max := 1; max <= 8; max++ {
		for _, m := range []Measure{Runes, Graphemes, UTF16, Bytes} {
			_, _ = Split("a 👍🏽 b\n```go\nx\n```\n- item", Limit{Max: max, Measure: m}, HardCut(true), PartMarker("(%d/%d)"))
		}
	}
}

func TestCodeFence(t *testing.T) {
	text := "Example:\n\n```python\nfor i in range(3):\n    print(i)\n    print(i * 2)\n    print(i * 3)\n```\n\nDone."
	parts := splitAndCheck(t, text, Limit{Max: 50}, Balance(false))
	want := []string{
		"Example:\n\n```python\nfor i in range(3):\n```",
		"```python\n    print(i)\n    print(i * 2)\n```",
		"```python\n    print(i * 3)\n```\n\nDone.",
	}
	require.Empty(t, cmp.Diff(want, texts(parts)), "%#v", texts(parts))
	// Tilde fences with longer runs are closed with the same run.
	parts = splitAndCheck(t, "~~~~\nline one is here\nline two is here\n~~~~", Limit{Max: 30})
	require.Equal(t, []string{"~~~~\nline one is here\n~~~~", "~~~~\nline two is here\n~~~~"}, texts(parts))
}

func TestListItemsStayWhole(t *testing.T) {
	text := "Passos:\n1. Abra o aplicativo no celular.\n2. Toque em Perfil e depois em Segurança.\n3. Escolha Alterar senha e confirme."
	parts := splitAndCheck(t, text, Limit{Max: 70}, Balance(false))
	want := []string{
		"Passos:\n1. Abra o aplicativo no celular.",
		"2. Toque em Perfil e depois em Segurança.",
		"3. Escolha Alterar senha e confirme.",
	}
	require.Empty(t, cmp.Diff(want, texts(parts)), "%#v", texts(parts))
	// A nested item keeps its indentation at the start of a part.
	parts = splitAndCheck(t, "- parent item text\n  - child item text", Limit{Max: 20})
	require.Equal(t, []string{"- parent item text", "  - child item text"}, texts(parts))
}

func TestWhitespaceRule(t *testing.T) {
	text := "  \n Um.  Dois.\n\n\t  Três.\r\n    Quatro.  \n"
	s, err := New(Limit{Max: 12}, Balance(false))
	require.NoError(t, err)
	parts, err := s.SplitParts(text)
	require.NoError(t, err)
	want := []Part{
		{Text: "Um.  Dois.", Start: 4, End: 14},
		{Text: "\t  Três.", Start: 16, End: 25},
		{Text: "    Quatro.", Start: 27, End: 38},
	}
	require.Empty(t, cmp.Diff(want, parts))
	// Rebuild: only whitespace lies outside the parts.
	var b strings.Builder
	prev := 0
	for _, p := range parts {
		require.Empty(t, strings.TrimSpace(text[prev:p.Start]))
		b.WriteString(text[p.Start:p.End])
		prev = p.End
	}
	require.Empty(t, strings.TrimSpace(text[prev:]))
}

func TestMaxParts(t *testing.T) {
	text := strings.Repeat("Uma frase curta aqui. ", 20)
	_, err := Split(text, Limit{Max: 100}, MaxParts(3))
	var tm *TooManyPartsError
	require.ErrorAs(t, err, &tm)
	require.ErrorIs(t, err, ErrTooManyParts)
	require.Equal(t, 5, tm.Parts)
	require.Equal(t, 3, tm.Max)

	// Merge only applies to soft limits.
	_, err = Split(text, Limit{Max: 100}, MaxParts(3), OnTooManyParts(Merge))
	require.ErrorIs(t, err, ErrTooManyParts)

	soft := Limit{Max: 100, Soft: true}
	parts, err := Split(text, soft, MaxParts(3), OnTooManyParts(Merge))
	require.NoError(t, err)
	require.Len(t, parts, 3)
	require.Equal(t, strings.TrimSpace(text), strings.Join(parts, " "))
	for _, p := range parts {
		require.LessOrEqual(t, len(p), 160)
	}
	parts, err = Split(text, soft, MaxParts(1), OnTooManyParts(Merge))
	require.NoError(t, err)
	require.Equal(t, []string{strings.TrimSpace(text)}, parts)
}

func TestPartMarker(t *testing.T) {
	text := strings.Repeat("palavra ", 200)
	for _, format := range []string{" (%d/%d)", "[%d de %d] ", "%d/%d"} {
		parts := splitAndCheck(t, text, Limit{Max: 40}, PartMarker(format))
		require.Greater(t, len(parts), 9) // two-digit counts fit too
		require.True(t, strings.HasSuffix(parts[0].Text, fmt.Sprintf(format, 1, len(parts))))
		parts = splitAndCheck(t, text, Limit{Max: 40}, PartMarkerPrefix(format))
		require.True(t, strings.HasPrefix(parts[len(parts)-1].Text, fmt.Sprintf(format, len(parts), len(parts))))
	}
	// One part: no marker.
	parts, err := Split("short", Limit{Max: 40}, PartMarker(" (%d/%d)"))
	require.NoError(t, err)
	require.Equal(t, []string{"short"}, parts)
	// A marker that leaves no room.
	_, err = Split(text, Limit{Max: 6}, PartMarker(" (%d/%d)"))
	require.ErrorIs(t, err, ErrInvalidLimit)
}

func TestBalance(t *testing.T) {
	text := "This first sentence is fairly long and it fills a part. " +
		"The second sentence is also long and fills most of one. Bye now!"
	off := texts(splitAndCheck(t, text, Limit{Max: 60}, Balance(false)))
	on := texts(splitAndCheck(t, text, Limit{Max: 60}))
	require.Equal(t, []string{
		"This first sentence is fairly long and it fills a part.",
		"The second sentence is also long and fills most of one.",
		"Bye now!",
	}, off)
	require.Equal(t, []string{
		"This first sentence is fairly long and it fills a part.",
		"The second sentence is also long",
		"and fills most of one. Bye now!",
	}, on)

	// A last part that can start at a paragraph does, when both fit.
	text = "Intro line.\n\nA paragraph that goes on for a while with detail. And more words."
	require.Equal(t, []string{"Intro line.", "A paragraph that goes on for a while with detail. And more words."},
		texts(splitAndCheck(t, text, Limit{Max: 70})))
}

func TestInvalidUTF8(t *testing.T) {
	text := "caf\xe9 com p\xe3o \xff\xfe " + strings.Repeat("ok \xc3 ", 20)
	for _, m := range []Measure{Runes, Graphemes, UTF16, Bytes, SMSSegments} {
		max := 30
		if m == SMSSegments {
			max = 1
		}
		parts := splitAndCheck(t, text, Limit{Max: max, Measure: m})
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.Text)
		}
		// Every invalid byte is kept.
		require.Equal(t, strings.Count(text, "\xc3"), strings.Count(b.String(), "\xc3"))
		require.Equal(t, 1, strings.Count(b.String(), "\xff\xfe"))
	}
}

func TestSMSParts(t *testing.T) {
	gsm := strings.Repeat("Hello there friend. ", 20) // 400 septets
	parts := splitAndCheck(t, gsm, Limit{Max: 1, Measure: SMSSegments})
	for _, p := range parts {
		require.LessOrEqual(t, SMSInfo(p.Text).Units, 153)
		require.False(t, SMSInfo(p.Text).UCS2)
	}
	require.Len(t, parts, 3)

	// One emoji anywhere makes every part UCS-2 sized (67), even parts
	// without it, because the message is encoded once.
	ucs := gsm + "🙂"
	parts = splitAndCheck(t, ucs, Limit{Max: 1, Measure: SMSSegments})
	for _, p := range parts {
		require.LessOrEqual(t, utf16Len(p.Text), 67)
	}
	require.Len(t, parts, 7)

	// Fits in one: 160 septets or 70 UCS-2 units.
	one := strings.Repeat("a", 160)
	require.Equal(t, []string{one}, texts(splitAndCheck(t, one, Limit{Max: 1, Measure: SMSSegments})))
	one = strings.Repeat("ã", 70)
	require.Equal(t, []string{one}, texts(splitAndCheck(t, one, Limit{Max: 1, Measure: SMSSegments})))
	require.Len(t, splitAndCheck(t, one+"ã", Limit{Max: 1, Measure: SMSSegments}), 2)

	// Extension characters cost two septets.
	ext := strings.Repeat("{", 80)
	require.Len(t, splitAndCheck(t, ext, Limit{Max: 1, Measure: SMSSegments}), 1)
	require.Len(t, splitAndCheck(t, ext+"{", Limit{Max: 1, Measure: SMSSegments}), 2)

	// Two segments per part.
	parts = splitAndCheck(t, gsm, Limit{Max: 2, Measure: SMSSegments})
	require.Len(t, parts, 2)
	for _, p := range parts {
		require.LessOrEqual(t, SMSInfo(p.Text).Units, 306)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, err := New(Limit{Max: 100, Measure: Graphemes}, PartMarker(" (%d/%d)"))
	require.NoError(t, err)
	text := strings.Repeat("Olá 👋🏽 tudo bem? Veja https://example.com/x e `code`. ", 50)
	want, err := s.Split(text)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				got, err := s.Split(text)
				if err != nil || !cmp.Equal(want, got) {
					t.Error("concurrent split differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

// joinedAt's quick pre-check must never hide a join next to whitespace.
func TestJoinedAtMatchesUniseg(t *testing.T) {
	spaces := []rune{' ', '\n', '\u3000'}
	for r := rune(1); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		for _, sp := range spaces {
			for _, s := range []string{string(sp) + string(r), string(r) + string(sp)} {
				i := len(string(sp))
				if s[0] != string(sp)[0] {
					i = len(string(r))
				}
				cl, _, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
				if want := len(cl) > i; joinedAt(s, i) != want {
					t.Fatalf("joinedAt(%q, %d) = %v, uniseg says %v", s, i, !want, want)
				}
			}
		}
	}
}

// Allocations follow the number of parts (the result slices), not the
// number of bytes: a 256× longer text costs a handful more allocations.
func TestAllocationsFollowParts(t *testing.T) {
	s, err := New(Limit{Max: 1000})
	require.NoError(t, err)
	small := strings.Repeat("Your order shipped today. Track it any time.\n\n", 90)
	large := strings.Repeat(small, 256)
	allocs := func(text string) float64 {
		return testing.AllocsPerRun(5, func() { _, _ = s.Split(text) })
	}
	a, b := allocs(small), allocs(large)
	require.LessOrEqual(t, a, 8.0)
	require.LessOrEqual(t, b, a+12) // slices of parts grow by doubling
}

func TestSpaceAtBytes(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := "a" + string(r) + "b"
		n := len(string(r))
		require.Equal(t, isSpace(r), isSpaceAt(s, 1), "%U", r)
		require.Equal(t, isSpace(r), isSpaceBefore(s, 1+n), "%U", r)
	}
}
