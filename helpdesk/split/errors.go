package split

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is.
var (
	// ErrInvalidLimit means a Limit cannot be used: Max ≤ 0, an unknown
	// Measure, too many SMS segments, or a part marker or code-fence
	// reopening that leaves no room for text.
	ErrInvalidLimit = errors.New("split: invalid limit")
	// ErrInvalidOption means an Option was given a value it cannot take.
	ErrInvalidOption = errors.New("split: invalid option")
	// ErrTooManyParts is matched by *TooManyPartsError.
	ErrTooManyParts = errors.New("split: too many parts")
	// ErrUnbreakable is matched by *UnbreakableError.
	ErrUnbreakable = errors.New("split: unbreakable text longer than the limit")
)

// TooManyPartsError is returned when the text needs more parts than
// MaxParts allows and the policy cannot merge them.
type TooManyPartsError struct {
	Parts int   // parts the text needs
	Max   int   // MaxParts
	Limit Limit // the limit the parts were measured against
}

func (e *TooManyPartsError) Error() string {
	return fmt.Sprintf("split: text needs %d parts of at most %s, more than the %d allowed", e.Parts, e.Limit, e.Max)
}

// Is makes errors.Is(err, ErrTooManyParts) true.
func (e *TooManyPartsError) Is(target error) bool { return target == ErrTooManyParts }

// UnbreakableError is returned when a piece of text that must not be cut is
// longer than one part can hold: a URL, an e-mail address, a markdown link or
// inline code span (unless HardCut is on), or a single grapheme cluster
// (always).
type UnbreakableError struct {
	Offset int    // byte offset of the piece in the text
	Kind   string // "url", "email", "link", "code span", "grapheme cluster", "code fence"
	Text   string // the start of the piece, at most 64 bytes
}

func (e *UnbreakableError) Error() string {
	return fmt.Sprintf("split: %s at byte %d does not fit in one part: %q", e.Kind, e.Offset, e.Text)
}

// Is makes errors.Is(err, ErrUnbreakable) true.
func (e *UnbreakableError) Is(target error) bool { return target == ErrUnbreakable }
