package split

import (
	"math/rand"
	"strings"
	"syscall"
	"testing"
	"time"
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
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		if _, err := s.Split(text); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportCPU(b, cpu0, n, len(text))
	b.ReportMetric(float64(len(parts)), "parts/op")
}

// cpuTime is the process's user CPU time. On a shared machine wall-clock
// ns/op swings with other load; CPU time per op is steadier, so benchmarks
// report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano())
}

func reportCPU(b *testing.B, cpu0 time.Duration, n, size int) {
	if n == 0 {
		return
	}
	per := float64(cpuTime()-cpu0) / float64(n)
	b.ReportMetric(per, "cpu-ns/op")
	if per > 0 {
		b.ReportMetric(float64(size)/per*1e9/1e6, "cpu-MB/s")
	}
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

// supportAnswer is a realistic 4 KB answer: Portuguese prose with accents,
// a numbered list, links, an e-mail address and a few emoji.
var supportAnswer = func() string {
	var sb strings.Builder
	sb.WriteString("Olá, Mariana! 😊 Obrigado por entrar em contato com a nossa equipe de atendimento.\n\n")
	for sb.Len() < 4096 {
		sb.WriteString("Verifiquei o seu pedido e ele já foi enviado pela transportadora; o prazo de entrega é de até cinco dias úteis. " +
			"Você pode acompanhar a entrega pelo link [rastreamento](https://loja.example.com.br/pedidos/48213/rastreio) ou pelo aplicativo.\n\n" +
			"Para solicitar a troca, siga estes passos:\n" +
			"1. Acesse Minha conta → Pedidos.\n" +
			"2. Toque em \"Solicitar troca\" e escolha o motivo.\n" +
			"3. Imprima a etiqueta e leve o pacote a uma agência dos Correios. 📦\n\n" +
			"Se preferir, escreva para trocas@loja.example.com.br e responderemos em até 24 horas. 🙏🏽\n\n")
	}
	return sb.String()[:4096]
}()

// A realistic 4 KB answer for Messenger (2000 per part) with markers.
func BenchmarkSplit4KBSupportAnswer(b *testing.B) {
	benchSplit(b, supportAnswer, Limit{Max: 2000, Measure: Runes}, PartMarker(" (%d/%d)"))
}

// The same answer in Instagram parts (1000 bytes).
func BenchmarkSplit4KBSupportAnswerInstagram(b *testing.B) {
	l, _ := Preset("instagram")
	benchSplit(b, supportAnswer, l)
}

// A dense 4 KB generated answer (emoji, links, code, lists in every line)
// for Messenger (2000 per part) with markers: a worst case.
func BenchmarkSplit4KBDenseAnswer(b *testing.B) {
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
		b.Run(sizeName(size), func(b *testing.B) {
			s, _ := New(Limit{Max: 1000})
			parts, _ := s.Split(text)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			cpu0 := cpuTime()
			n := 0
			for b.Loop() {
				_, _ = s.Split(text)
				n++
			}
			reportCPU(b, cpu0, n, size)
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
