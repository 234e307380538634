package split

import (
	"math/rand"
	"strings"
	"testing"
)

var (
	benchASCII = strings.Repeat("Thanks for reaching out. Your order was shipped today and should arrive within five business days; "+
		"you can track it from the Orders page at any time. If anything looks wrong, reply to this message and we will fix it.\n\n", 400)
	benchMixed = strings.Repeat("Olá, João! Sua solicitação de reembolso foi aprovada ✅ e o valor de R$ 149,90 será estornado em até 10 dias úteis. 😊 "+
		"Você também receberá uma confirmação por e-mail. Obrigado pela paciência 🙏🏽 — equipe de atendimento 🇧🇷.\n\n", 300)
)

func benchSplit(b *testing.B, text string, l Limit, opts ...Option) {
	s, err := New(l, opts...)
	if err != nil {
		b.Fatal(err)
	}
	parts, err := s.Split(text)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Split(text); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(parts)), "parts/op")
}

func BenchmarkSplitASCIIProse(b *testing.B) {
	benchSplit(b, benchASCII, Limit{Max: 4096, Measure: Runes})
}

func BenchmarkSplitMixedText(b *testing.B) {
	benchSplit(b, benchMixed, Limit{Max: 4096, Measure: Runes})
}

func BenchmarkSplitMixedGraphemes(b *testing.B) {
	benchSplit(b, benchMixed, Limit{Max: 4096, Measure: Graphemes})
}

func BenchmarkSplitMixedUTF16(b *testing.B) {
	benchSplit(b, benchMixed, Limit{Max: 4096, Measure: UTF16})
}

// A typical 4 KB answer for Messenger (2000 per part) with markers.
func BenchmarkSplit4KBAnswer(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	var sb strings.Builder
	for sb.Len() < 4096 {
		sb.WriteString(genText(r, 60))
		sb.WriteString("\n\n")
	}
	text := sb.String()[:4096]
	benchSplit(b, text, Limit{Max: 2000, Measure: Runes}, PartMarker(" (%d/%d)"))
}

func BenchmarkSplitSMS(b *testing.B) {
	benchSplit(b, benchMixed[:2000], Limit{Max: 1, Measure: SMSSegments})
}

// Allocations should follow the number of parts, not the bytes.
func BenchmarkSplitAllocsPerPart(b *testing.B) {
	for _, size := range []int{1 << 12, 1 << 16, 1 << 20} {
		text := strings.Repeat(benchASCII, size/len(benchASCII)+1)[:size]
		b.Run(strings.TrimSpace(strings.Repeat(" ", 0))+sizeName(size), func(b *testing.B) {
			s, _ := New(Limit{Max: 1000})
			parts, _ := s.Split(text)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var allocs float64
			for b.Loop() {
				_, _ = s.Split(text)
			}
			_ = allocs
			b.ReportMetric(float64(len(parts)), "parts/op")
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return "1MB"
	case n >= 1<<16:
		return "64KB"
	}
	return "4KB"
}
