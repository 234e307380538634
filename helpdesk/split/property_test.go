package split

import (
	"math/rand"
	"testing"
)

// TestProperties splits generated answers with generated limits and options
// and checks every promise: parts within the limit by its measure, nothing
// lost or reordered (only whitespace dropped, as documented), no cut inside
// a grapheme cluster, URL, e-mail address, link or code span (without
// HardCut), code fences balanced in every part.
func TestProperties(t *testing.T) {
	for seed := int64(1); seed <= 1000; seed++ {
		r := rand.New(rand.NewSource(seed))
		text := genText(r, 5+r.Intn(400))
		l := genLimit(r)
		opts := genOptions(r)
		t.Logf("seed %d", seed)
		splitAndCheck(t, text, l, opts...)
	}
}
