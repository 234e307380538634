package split

import (
	"fmt"
	"strings"
)

// Option configures a Splitter.
type Option func(*options) error

// TooManyPartsPolicy says what happens when a text needs more parts than
// MaxParts allows.
type TooManyPartsPolicy int

const (
	// Fail returns a *TooManyPartsError (the default).
	Fail TooManyPartsPolicy = iota
	// Merge uses fewer, longer parts, so each part may exceed Max. It applies
	// only to soft limits (Limit.Soft); with a hard limit Split still fails
	// with *TooManyPartsError, because the channel would reject the parts.
	Merge
)

type options struct {
	maxParts int
	policy   TooManyPartsPolicy
	marker   marker
	balance  bool
	hardCut  bool
}

// MaxParts caps the number of parts (0, the default, means no cap). What
// happens above the cap is set by OnTooManyParts.
func MaxParts(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("%w: MaxParts(%d)", ErrInvalidOption, n)
		}
		o.maxParts = n
		return nil
	}
}

// OnTooManyParts sets the policy used when MaxParts is exceeded.
func OnTooManyParts(p TooManyPartsPolicy) Option {
	return func(o *options) error {
		if p != Fail && p != Merge {
			return fmt.Errorf("%w: policy %d", ErrInvalidOption, int(p))
		}
		o.policy = p
		return nil
	}
}

// PartMarker appends a marker to every part when a text is split in two or
// more parts. format holds two %d verbs, the part number and the count, and
// its own separator: " (%d/%d)" gives "… text (1/3)". The marker counts
// inside the limit. A text that fits in one part gets no marker.
func PartMarker(format string) Option {
	return func(o *options) error {
		m, err := parseMarker(format)
		if err != nil {
			return err
		}
		o.marker = m
		return nil
	}
}

// PartMarkerPrefix is PartMarker with the marker put before the text of
// every part: "(%d/%d) " gives "(1/3) text…".
func PartMarkerPrefix(format string) Option {
	return func(o *options) error {
		m, err := parseMarker(format)
		if err != nil {
			return err
		}
		m.prefix = true
		o.marker = m
		return nil
	}
}

// Balance avoids a tiny last part. The last cut is chosen again among the
// places that keep both final parts within the limit and the last part at
// least a quarter of it (the part before too, unless it ends at a paragraph
// break): the best kind of place (see the package documentation), and of
// those the one closest to the middle. The number of parts never grows.
// On by default.
func Balance(on bool) Option {
	return func(o *options) error {
		o.balance = on
		return nil
	}
}

// HardCut decides what happens when a URL, e-mail address, markdown link or
// inline code span is longer than one part can hold. Off (the default):
// Split returns *UnbreakableError. On: the piece is cut between grapheme
// clusters, as late as the limit allows. A single grapheme cluster larger
// than the limit is always an error.
func HardCut(on bool) Option {
	return func(o *options) error {
		o.hardCut = on
		return nil
	}
}

// marker is a parsed part-marker format: lit[0] %d lit[1] %d lit[2].
type marker struct {
	on     bool
	prefix bool
	lit    [3]string
}

func parseMarker(format string) (marker, error) {
	var m marker
	var lits []string
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			b.WriteByte(format[i])
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if i+1 < len(format) && format[i+1] == 'd' {
			lits = append(lits, b.String())
			b.Reset()
			i++
			continue
		}
		return m, fmt.Errorf("%w: marker %q: only %%d and %%%% are allowed", ErrInvalidOption, format)
	}
	lits = append(lits, b.String())
	if len(lits) != 3 {
		return m, fmt.Errorf("%w: marker %q needs exactly two %%d (part, count)", ErrInvalidOption, format)
	}
	m.on = true
	copy(m.lit[:], lits)
	return m, nil
}

func (m marker) literal() string { return m.lit[0] + m.lit[1] + m.lit[2] }
