package split

import (
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestPreset(t *testing.T) {
	tests := []struct {
		channel string
		want    Limit
		ok      bool
	}{
		{"whatsapp", Limit{Max: 4096, Measure: Runes}, true},
		{"whatsapp_twilio", Limit{Max: 1600, Measure: Runes}, true},
		{"messenger", Limit{Max: 2000, Measure: Runes}, true},
		{"instagram", Limit{Max: 1000, Measure: Bytes}, true},
		{"telegram", Limit{Max: 4096, Measure: UTF16}, true},
		{"line", Limit{Max: 2000, Measure: Runes}, true},
		{"sms", Limit{Max: 1, Measure: SMSSegments}, true},
		{"email", Limit{Max: NoLimit, Measure: Runes, Soft: true}, true},
		{"web_chat", Limit{Max: 4096, Measure: Runes, Soft: true}, true},
		{"api", Limit{Max: 4096, Measure: Runes, Soft: true}, true},
		{"fax", Limit{}, false},
		{"WhatsApp", Limit{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			got, ok := Preset(tt.channel)
			require.Equal(t, tt.ok, ok)
			require.Empty(t, cmp.Diff(tt.want, got))
			if ok {
				_, err := New(got)
				require.NoError(t, err)
			}
		})
	}
	email, _ := Preset("email")
	require.True(t, email.Unlimited())
	long := strings.Repeat("Uma frase longa de e-mail. ", 5000)
	parts, err := Split(long, email)
	require.NoError(t, err)
	require.Equal(t, []string{strings.TrimSpace(long)}, parts)
}

func TestMeasureLen(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want map[Measure]int
	}{
		{"ascii", "hello", map[Measure]int{Runes: 5, Graphemes: 5, UTF16: 5, Bytes: 5, SMSSegments: 1}},
		{"empty", "", map[Measure]int{Runes: 0, Graphemes: 0, UTF16: 0, Bytes: 0, SMSSegments: 0}},
		{"crlf", "a\r\nb", map[Measure]int{Runes: 4, Graphemes: 3, UTF16: 4, Bytes: 4, SMSSegments: 1}},
		{"accents", "ação", map[Measure]int{Runes: 4, Graphemes: 4, UTF16: 4, Bytes: 6, SMSSegments: 1}},
		{"combining", "e\u0301", map[Measure]int{Runes: 2, Graphemes: 1, UTF16: 2, Bytes: 3, SMSSegments: 1}},
		{"skin tone", "👍🏽", map[Measure]int{Runes: 2, Graphemes: 1, UTF16: 4, Bytes: 8, SMSSegments: 1}},
		{"family", "👨‍👩‍👧‍👦", map[Measure]int{Runes: 7, Graphemes: 1, UTF16: 11, Bytes: 25, SMSSegments: 1}},
		{"flag", "🇧🇷", map[Measure]int{Runes: 2, Graphemes: 1, UTF16: 4, Bytes: 8, SMSSegments: 1}},
		{"invalid byte", "a\xffb", map[Measure]int{Runes: 3, Graphemes: 3, UTF16: 3, Bytes: 5, SMSSegments: 1}},
		{"gsm 161", strings.Repeat("a", 161), map[Measure]int{Runes: 161, SMSSegments: 2}},
		{"ucs2 71", strings.Repeat("ã", 71), map[Measure]int{Runes: 71, SMSSegments: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for m, want := range tt.want {
				require.Equal(t, want, m.Len(tt.s), "%s", m)
				require.Equal(t, want, Limit{Max: 1, Measure: m}.Len(tt.s), "%s", m)
			}
		})
	}
}

func TestSMSInfo(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want SMS
	}{
		{"160 septets", strings.Repeat("a", 160), SMS{Units: 160, Segments: 1}},
		{"161 septets", strings.Repeat("a", 161), SMS{Units: 161, Segments: 2}},
		{"306 septets", strings.Repeat("a", 306), SMS{Units: 306, Segments: 2}},
		{"307 septets", strings.Repeat("a", 307), SMS{Units: 307, Segments: 3}},
		{"extension chars cost two", "^{}[]~\\|€\f", SMS{Units: 20, Segments: 1}},
		{"GSM accents", "àèéìòùÄÖÑÜÇÉ¿¡ß", SMS{Units: 15, Segments: 1}},
		{"ç is not GSM", "ç", SMS{UCS2: true, Units: 1, Segments: 1}},
		{"backtick is not GSM", "`", SMS{UCS2: true, Units: 1, Segments: 1}},
		{"curly quote", "it’s", SMS{UCS2: true, Units: 4, Segments: 1}},
		{"70 UCS-2", strings.Repeat("ã", 70), SMS{UCS2: true, Units: 70, Segments: 1}},
		{"71 UCS-2", strings.Repeat("ã", 71), SMS{UCS2: true, Units: 71, Segments: 2}},
		{"emoji is two units", "ok 👍", SMS{UCS2: true, Units: 5, Segments: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Empty(t, cmp.Diff(tt.want, SMSInfo(tt.s)))
		})
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name  string
		limit Limit
		opts  []Option
		want  error
	}{
		{"zero max", Limit{}, nil, ErrInvalidLimit},
		{"negative max", Limit{Max: -5}, nil, ErrInvalidLimit},
		{"unknown measure", Limit{Max: 10, Measure: 42}, nil, ErrInvalidLimit},
		{"too many sms segments", Limit{Max: 300, Measure: SMSSegments}, nil, ErrInvalidLimit},
		{"negative max parts", Limit{Max: 10}, []Option{MaxParts(-1)}, ErrInvalidOption},
		{"unknown policy", Limit{Max: 10}, []Option{OnTooManyParts(7)}, ErrInvalidOption},
		{"marker with one verb", Limit{Max: 10}, []Option{PartMarker("(%d)")}, ErrInvalidOption},
		{"marker with %s", Limit{Max: 10}, []Option{PartMarker("(%s/%d)")}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.limit, tt.opts...)
			require.ErrorIs(t, err, tt.want)
			_, err = Split("some text", tt.limit, tt.opts...)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestEmptyAndWhitespace(t *testing.T) {
	for _, text := range []string{"", " ", "\n\n\t ", "\u3000\u2029"} {
		parts, err := Split(text, Limit{Max: 10})
		require.NoError(t, err)
		require.Empty(t, parts)
	}
	parts, err := Split("  \n  hi  \n", Limit{Max: 10})
	require.NoError(t, err)
	require.Equal(t, []string{"hi"}, parts)
}

// Real-shaped answers, with the exact parts a customer would receive.
func TestRealAnswers(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit Limit
		opts  []Option
		want  []string
	}{
		{
			name: "portuguese numbered list",
			text: "Olá! Entendi que você quer trocar a senha da sua conta. É bem simples:\n\n" +
				"1. Acesse o aplicativo e toque em \"Perfil\".\n" +
				"2. Vá em Configurações → Segurança → Alterar senha.\n" +
				"3. Digite a senha atual e depois a nova senha duas vezes.\n" +
				"4. Toque em Salvar. Você receberá um e-mail de confirmação.\n\n" +
				"Se não receber o e-mail em até 10 minutos, verifique a caixa de spam. Posso ajudar em mais alguma coisa?",
			limit: Limit{Max: 160},
			want:  []string{"Olá! Entendi que você quer trocar a senha da sua conta. É bem simples:", "1. Acesse o aplicativo e toque em \"Perfil\".\n2. Vá em Configurações → Segurança → Alterar senha.\n3. Digite a senha atual e depois a nova senha duas vezes.", "4. Toque em Salvar. Você receberá um e-mail de confirmação.", "Se não receber o e-mail em até 10 minutos, verifique a caixa de spam. Posso ajudar em mais alguma coisa?"},
		},
		{
			name: "link heavy",
			text: "You can find everything in our help center: [Returns policy](https://help.example.com/articles/returns-policy?lang=en), " +
				"[Shipping times](https://help.example.com/articles/shipping), and the status page https://status.example.com/incidents/2026-11. " +
				"Write to returns@example.com with your order number, or read https://help.example.com/articles/refund-timeline#card-refunds for card refunds.",
			limit: Limit{Max: 120},
			want:  []string{"You can find everything in our help center: [Returns policy](https://help.example.com/articles/returns-policy?lang=en),", "[Shipping times](https://help.example.com/articles/shipping), and the status page", "https://status.example.com/incidents/2026-11. Write to returns@example.com with your order", "number, or read https://help.example.com/articles/refund-timeline#card-refunds for card refunds."},
		},
		{
			name: "code block",
			text: "To call the API with your token:\n\n" +
				"```bash\n" +
				"curl -s https://api.example.com/v2/orders \\\n" +
				"  -H \"Authorization: Bearer $TOKEN\" \\\n" +
				"  -H \"Accept: application/json\"\n" +
				"```\n\n" +
				"The answer is a JSON list; `next_cursor` gives the next page.",
			limit: Limit{Max: 100, Measure: UTF16},
			want:  []string{"To call the API with your token:\n\n```bash\ncurl -s https://api.example.com/v2/orders \\\n```", "```bash\n  -H \"Authorization: Bearer $TOKEN\" \\\n  -H \"Accept: application/json\"\n```", "The answer is a JSON list; `next_cursor` gives the next page."},
		},
		{
			name:  "whatsapp full of emoji",
			text:  strings.Repeat("Obrigado pela paciência! 🙏🏽 Seu pedido 📦 chegou ✅ 🇧🇷 👨‍👩‍👧‍👦 ❤️ ", 6),
			limit: Limit{Max: 120, Measure: Runes},
			want:  []string{"Obrigado pela paciência! 🙏🏽 Seu pedido 📦 chegou ✅ 🇧🇷 👨\u200d👩\u200d👧\u200d👦 ❤️ Obrigado pela paciência!", "🙏🏽 Seu pedido 📦 chegou ✅ 🇧🇷 👨\u200d👩\u200d👧\u200d👦 ❤️ Obrigado pela paciência!", "🙏🏽 Seu pedido 📦 chegou ✅ 🇧🇷 👨\u200d👩\u200d👧\u200d👦 ❤️ Obrigado pela paciência!", "🙏🏽 Seu pedido 📦 chegou ✅ 🇧🇷 👨\u200d👩\u200d👧\u200d👦 ❤️ Obrigado pela paciência!", "🙏🏽 Seu pedido 📦 chegou ✅ 🇧🇷 👨\u200d👩\u200d👧\u200d👦 ❤️ Obrigado pela paciência! 🙏🏽 Seu pedido 📦 chegou ✅ 🇧🇷 👨\u200d👩\u200d👧\u200d👦 ❤️"},
		},
		{
			name: "sms forced to UCS-2 by one emoji",
			text: "Hi Ana, your order 4521 has shipped and should arrive on Friday between 9am and 5pm. " +
				"Track it at example.com/t/4521 and reply STOP to opt out. Thanks 😊",
			limit: Limit{Max: 1, Measure: SMSSegments},
			want:  []string{"Hi Ana, your order 4521 has shipped and should arrive on Friday", "between 9am and 5pm.", "Track it at example.com/t/4521 and reply STOP to opt out. Thanks 😊"},
		},
		{
			name: "sms in GSM-7 uses 153 per part",
			text: "Hi Ana, your order 4521 has shipped and should arrive on Friday between 9am and 5pm. " +
				"Track it at example.com/t/4521 and reply STOP to opt out. Thanks for shopping with us, and see you soon!",
			limit: Limit{Max: 1, Measure: SMSSegments},
			want:  []string{"Hi Ana, your order 4521 has shipped and should arrive on Friday between 9am and 5pm.", "Track it at example.com/t/4521 and reply STOP to opt out. Thanks for shopping with us, and see you soon!"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitAndCheck(t, tt.text, tt.limit, tt.opts...)
			require.Empty(t, cmp.Diff(tt.want, texts(parts)), "%#v", texts(parts))
		})
	}
}

func TestIsSpaceMatchesUnicode(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		want := unicode.IsSpace(r) && r != 0xA0 && r != 0x2007 && r != 0x202F
		if isSpace(r) != want {
			t.Fatalf("isSpace(%U) = %v", r, !want)
		}
	}
}
