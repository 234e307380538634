package split

import (
	"strings"
	"testing"
)

// Adversarial shapes: each must split (or fail with a typed error) in time
// linear in its length. The test checks results; the benchmark of the same
// name shows the speed.
var adversarial = []struct {
	name string
	unit string
}{
	{"space+combining", "a \u0301"},
	{"lone backticks", "` a ``"},
	{"open brackets", "[a b "},
	{"unclosed link destinations", "[a](b "},
	{"one long word", "x"},
	{"family emoji", "👨‍👩‍👧‍👦"},
	{"cjk full stops", "日本語。"},
	{"fence lines", "```\na b\n"},
	{"list items", "- a b c d\n  cont\n"},
	{"prepend marks", "\u0600 "},
	{"url and cjk", "https://例え.jp/パス。"},
}

func adversarialText(unit string, size int) string {
	return strings.Repeat(unit, size/len(unit)+1)
}

func TestAdversarialInputs(t *testing.T) {
	for _, a := range adversarial {
		t.Run(a.name, func(t *testing.T) {
			text := adversarialText(a.unit, 20000)
			for _, m := range []Measure{Runes, Graphemes, Bytes} {
				splitAndCheck(t, text, Limit{Max: 1000, Measure: m}, PartMarker(" (%d/%d)"))
				splitAndCheck(t, text, Limit{Max: 1000, Measure: m}, HardCut(true))
			}
		})
	}
	// A cluster of 100k combining marks is one grapheme: an error in runes,
	// one part in graphemes.
	zalgo := "a" + strings.Repeat("\u0301", 100000)
	_, err := Split(zalgo, Limit{Max: 4096})
	require := func(ok bool, msg string) {
		if !ok {
			t.Fatal(msg)
		}
	}
	var ue *UnbreakableError
	require(errorsAs(err, &ue) && ue.Kind == "grapheme cluster", "zalgo in runes must be unbreakable")
	parts, err := Split(zalgo, Limit{Max: 4096, Measure: Graphemes})
	require(err == nil && len(parts) == 1, "zalgo in graphemes is one part")
}

func BenchmarkSplitAdversarial(b *testing.B) {
	for _, a := range adversarial {
		b.Run(a.name, func(b *testing.B) {
			text := adversarialText(a.unit, 1<<18)
			s, _ := New(Limit{Max: 4096}, HardCut(true))
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = s.Split(text)
			}
		})
	}
}
