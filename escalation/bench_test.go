package escalation

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// benchConfig has 50 routes (30 tag routes, 15 keyword routes, 5 pattern
// routes) and 20 spam rules, about what a large helpdesk configures.
func benchConfig() Config {
	c := Config{
		MinConfidence: 0.6, MaxBotMessages: 10, MaxMessages: 40, MaxChars: 20000, MaxMessageChars: 4000,
		DefaultTarget: n2, BotGroupIDs: []string{botGroup},
	}
	for i := range 30 {
		c.TagRoutes = append(c.TagRoutes, TagRoute{
			Tags:   []string{fmt.Sprintf("produto_%d", i), fmt.Sprintf("fila_%d", i)},
			Target: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: fmt.Sprintf("g%d", i)},
		})
	}
	for i := range 15 {
		c.ContentRoutes = append(c.ContentRoutes, ContentRoute{
			Keywords: []string{fmt.Sprintf("assunto %d", i), fmt.Sprintf("tema especial %d", i), fmt.Sprintf("palavra%d", i)},
			Target:   helpdesk.Target{Kind: helpdesk.TargetGroup, ID: fmt.Sprintf("k%d", i)},
		})
	}
	for i, p := range []string{`nota fiscal \d{4,}`, `boleto( vencido)? #\d+`, `cnpj \d{2}\.\d{3}`, `reembolso de r\$ ?\d+`, `protocolo [a-z]{2}\d{6}`} {
		c.ContentRoutes = append(c.ContentRoutes, ContentRoute{
			Pattern: p, Target: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: fmt.Sprintf("p%d", i)},
		})
	}
	for i := range 8 {
		c.Spam = append(c.Spam, SpamRule{Sender: fmt.Sprintf("promo%d@spam-company.com", i)})
	}
	for i := range 6 {
		c.Spam = append(c.Spam, SpamRule{Domain: fmt.Sprintf("spam%d.example", i)})
	}
	for _, s := range []string{`limited special offer`, `oferta imperdivel`, `ganhe \d+% de desconto`, `you have won`} {
		c.Spam = append(c.Spam, SpamRule{Subject: s})
	}
	c.Spam = append(c.Spam, SpamRule{Body: `clique aqui para (resgatar|ganhar)`}, SpamRule{Body: `bitcoin giveaway`})
	return c
}

const benchText = "Olá, bom dia! Comprei um produto na semana passada e até agora não recebi. " +
	"Já verifiquei o rastreamento e aparece como entregue, mas não chegou nada aqui em casa. " +
	"Vocês podem verificar o que aconteceu, por favor? Obrigada."

func benchState(text string) State {
	ev := customerMsg(text)
	ev.Message.Subject = "Pedido não entregue"
	return State{
		Event: ev, BotMessages: 2, CustomerMessages: 3, Chars: 900,
		Tags: []string{"whatsapp", "novo_cliente", "prioridade_normal", "loja_sp"}, Language: "pt-BR",
	}
}

func BenchmarkDecide(b *testing.B) {
	p := mustNew(b, benchConfig(), WithAvailability(AvailabilityFunc(func(context.Context, helpdesk.Target) (bool, error) { return true, nil })))
	ctx := context.Background()
	answer := Answer{Text: "Sinto muito! Vou verificar o status da entrega.", Confidence: 0.85}
	cases := []struct {
		name   string
		state  State
		reason Reason
	}{
		{"reply", benchState(benchText), ReasonAnswered},
		{"asks-human", benchState(benchText + " Quero falar com um atendente."), ReasonCustomerAskedHuman},
		{"tag-route", func() State { s := benchState(benchText); s.Tags = append(s.Tags, "fila_27"); return s }(), ReasonTagRoute},
		{"pattern-route", benchState(benchText + " Protocolo AB123456."), ReasonContentRoute},
		{"spam", func() State { s := benchState(benchText); s.Event.Message.Subject = "Limited special offer"; return s }(), ReasonSpam},
		{"long-message-3KB", benchState(strings.Repeat(benchText+" ", 12)), ReasonAnswered},
	}
	for _, c := range cases {
		require.Equal(b, c.reason, p.Decide(ctx, c.state, answer).Reason, c.name)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				p.Decide(ctx, c.state, answer)
			}
			reportCPU(b, cpu)
		})
	}
}

func BenchmarkRoundRobinPick(b *testing.B) {
	rr := NewRoundRobin(nil, 10)
	agents := make([]Agent, 20)
	for i := range agents {
		agents[i] = Agent{ID: fmt.Sprintf("agent-%02d", i), Online: i%4 != 0, Open: i % 12}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rr.Pick(ctx, "n2", agents); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(benchText)))
	cpu := cpuTime()
	for b.Loop() {
		buf, _ = normalize(buf[:0], benchText)
	}
	reportCPU(b, cpu)
}

func BenchmarkScan(b *testing.B) {
	p := mustNew(b, benchConfig())
	text := benchText
	bits := make([]uint64, p.nwords)
	b.SetBytes(int64(len(text)))
	cpu := cpuTime()
	for b.Loop() {
		p.ac.scan(text, bits)
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's CPU time so far. On a shared machine wall-clock
// ns/op counts time the benchmark spent descheduled; reportCPU adds the CPU
// time per operation, which does not (run with -cpu 1 so the process's CPU
// time is the benchmark's).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
