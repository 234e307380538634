package split

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// FuzzSplit checks the same promises as TestProperties on arbitrary text,
// including invalid UTF-8, with the limit and options taken from the input.
func FuzzSplit(f *testing.F) {
	seeds := []string{
		"",
		"Olá! Tudo bem? 😊\n\n1. Abra o app.\n2. Toque em Perfil.",
		"See [the docs](https://example.com/a_(b)) and `code span` or mail ana@example.com.",
		"```go\nfunc main() {\n\tprintln(\"hi\")\n}\n```\nDone.",
		"👨‍👩‍👧‍👦🇧🇷👍🏽e\u0301\u0301 ¿Qué? ¡Sí! 日本語。中文！",
		"a\xffb\xfe\xfd c\r\n\r\nd",
		"~~~~\ncode\n~~~\n~~~~\n`` ` ``",
	}
	r := rand.New(rand.NewSource(7))
	for range 8 {
		seeds = append(seeds, genText(r, 40))
	}
	for i, s := range seeds {
		f.Add(s, uint16(20+i*13), uint8(i))
	}
	f.Fuzz(func(t *testing.T, text string, max uint16, flags uint8) {
		measure := Measure(flags % 5)
		l := Limit{Max: int(max%500) + 1, Measure: measure}
		if measure == SMSSegments {
			l.Max = int(max%3) + 1
		}
		var opts []Option
		if flags&0x08 != 0 {
			opts = append(opts, PartMarker(" (%d/%d)"))
		}
		if flags&0x10 != 0 {
			opts = append(opts, Balance(false))
		}
		if flags&0x20 != 0 {
			opts = append(opts, HardCut(true))
		}
		if flags&0x40 != 0 {
			opts = append(opts, PartMarkerPrefix("%d/%d "))
		}
		// A split must end: crash loudly (saving the input) if one does not.
		watchdog := time.AfterFunc(10*time.Second, func() {
			panic(fmt.Sprintf("Split did not finish: %q with %v", text, l))
		})
		defer watchdog.Stop()
		splitAndCheck(t, text, l, opts...)
	})
}
