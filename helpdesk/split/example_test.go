package split_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk/split"
)

// A WhatsApp answer longer than one message. The limit is lowered here to
// keep the example short; split.Preset("whatsapp") gives the real 4096.
func Example_whatsApp() {
	answer := "Olá, Maria! 😊 Seu pedido #4521 foi enviado hoje.\n\n" +
		"Para acompanhar:\n" +
		"1. Abra https://loja.example.com/pedidos\n" +
		"2. Toque em \"Rastrear\" 📦\n" +
		"3. Pronto! Você verá cada etapa da entrega.\n\n" +
		"Qualquer dúvida, é só responder esta mensagem. 👍🏽"
	parts, err := split.Split(answer, split.Limit{Max: 200, Measure: split.Runes}, split.PartMarker(" (%d/%d)"))
	if err != nil {
		panic(err)
	}
	for _, p := range parts {
		fmt.Printf("%s\n---\n", p)
	}
	// Output:
	// Olá, Maria! 😊 Seu pedido #4521 foi enviado hoje.
	//
	// Para acompanhar:
	// 1. Abra https://loja.example.com/pedidos
	// 2. Toque em "Rastrear" 📦
	// 3. Pronto! Você verá cada etapa da entrega. (1/2)
	// ---
	// Qualquer dúvida, é só responder esta mensagem. 👍🏽 (2/2)
	// ---
}

// An SMS answer: one emoji switches the whole text to UCS-2, so each part
// holds 67 units instead of 153 septets.
func Example_sms() {
	limit, _ := split.Preset("sms")
	answer := "Your refund of $49.90 was approved today and will reach your card in 5 to 10 business days. " +
		"Reply HELP for more options or call us at 555-0100. Thank you! 🙏"
	parts, err := split.Split(answer, limit)
	if err != nil {
		panic(err)
	}
	info := split.SMSInfo(answer)
	fmt.Println("UCS-2:", info.UCS2, "units:", info.Units, "as one SMS:", info.Segments, "segments")
	for _, p := range parts {
		fmt.Printf("%d %q\n", split.SMSInfo(p).Units, p)
	}
	// Output:
	// UCS-2: true units: 157 as one SMS: 3 segments
	// 65 "Your refund of $49.90 was approved today and will reach your card"
	// 25 "in 5 to 10 business days."
	// 65 "Reply HELP for more options or call us at 555-0100. Thank you! 🙏"
}

// A code block that does not fit in one part is closed and reopened with its
// language tag.
func ExampleSplitter_Split_codeFence() {
	s, err := split.New(split.Limit{Max: 60, Measure: split.UTF16})
	if err != nil {
		panic(err)
	}
	answer := "Run this:\n\n```bash\ncurl -X POST https://api.example.com/v1/reset\necho done\n```"
	parts, err := s.Split(answer)
	if err != nil {
		panic(err)
	}
	for _, p := range parts {
		fmt.Printf("%s\n---\n", p)
	}
	// Output:
	// Run this:
	// ---
	// ```bash
	// curl -X POST https://api.example.com/v1/reset
	// ```
	// ---
	// ```bash
	// echo done
	// ```
	// ---
}

// A URL longer than a part is never cut unless HardCut allows it.
func ExampleHardCut() {
	url := "https://example.com/" + strings.Repeat("a", 60)
	_, err := split.Split("See "+url, split.Limit{Max: 40})
	var ue *split.UnbreakableError
	fmt.Println(errors.As(err, &ue), ue.Kind, ue.Offset)

	parts, _ := split.Split("See "+url, split.Limit{Max: 40}, split.HardCut(true))
	fmt.Println(len(parts), parts[0])
	// Output:
	// true url 4
	// 3 See
}

// Channel presets.
func ExamplePreset() {
	for _, ch := range []string{"whatsapp", "instagram", "telegram", "sms", "email"} {
		l, ok := split.Preset(ch)
		fmt.Println(ch, ok, l)
	}
	// Output:
	// whatsapp true 4096 runes
	// instagram true 1000 bytes
	// telegram true 4096 utf16
	// sms true 1 sms_segments
	// email true no limit
}
