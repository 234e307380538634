// Package split cuts an answer into parts that each fit a channel's maximum
// message length, so that every part can be sent as one chat message.
//
// A Limit is a maximum and the unit it is counted in (Measure): runes,
// grapheme clusters, UTF-16 code units, UTF-8 bytes or SMS segments. Preset
// returns the limit of a known channel. New validates a limit and options
// once; the returned Splitter is safe for concurrent use.
//
//	s, err := split.New(split.Limit{Max: 1600, Measure: split.Runes}, split.PartMarker(" (%d/%d)"))
//	parts, err := s.Split(answer)
//
// # Where cuts go
//
// Each part is filled as far as the limit allows. Within the room of a part,
// a cut goes to the best of these places, best first:
//
//  1. a paragraph break (a blank line, U+2029, or the line break before a
//     code fence or heading, or after a closing code fence);
//  2. a line break;
//  3. the end of a sentence: whitespace after . ! ? … ‼ ⁉, also when closing
//     quotes, brackets or emphasis marks follow the punctuation ("Done.)"),
//     whitespace before a Spanish ¿ or ¡, and directly after the CJK
//     full-width 。！？ or before ¿ ¡ that follow a sentence end without space;
//  4. after a clause: whitespace after ; : ；：;
//  5. whitespace between words;
//  6. between grapheme clusters, when a word alone is longer than a part.
//
// A better kind of place is used when its last occurrence lies in the second
// half of the part's room (for a paragraph break, the last two thirds);
// otherwise the latest place of the next kinds is preferred, so that a line
// break near the start does not waste a part. Inside a code block, only
// line breaks are good places; a space inside a code line is used only when
// nothing else fits.
//
// A cut never falls inside a grapheme cluster (emoji ZWJ sequences, flags,
// skin tones, combining accents), a URL, an e-mail address, a markdown link
// or image "[text](url)", or an inline code span (CommonMark rules: a run of
// n backticks up to the next run of exactly n, not across a blank line),
// nor right after a list bullet or heading mark, nor where the next part
// would start with "```" or "~~~" that was not a code fence. When such a
// piece is longer than a part can hold, Split returns *UnbreakableError, or
// with HardCut(true) cuts the piece between grapheme clusters. A grapheme
// cluster or a code fence line longer than a part is always an error. A
// numbered or bulleted list item is moved whole to the next part when it
// would be cut and fits in one part.
//
// A fenced code block (``` or ~~~) that must be cut is closed at the end of
// one part ("\n```", the opening run repeated) and reopened at the start of
// the next with the same opening line, language tag included ("```go\n").
// Both count inside the limit. A fence left open by the text itself stays
// open in the last part. Markdown structure (fences, list items, headings)
// is recognised at lines that follow "\n".
//
// # Whitespace
//
// Nothing is invented or reordered, and only whitespace is dropped:
//
//   - leading and trailing whitespace of the whole text is dropped (text that
//     is empty or whitespace only gives zero parts and a nil error), except
//     whitespace joined to a mark in one grapheme cluster, which stays;
//   - at a cut, the run of whitespace around the cut point is dropped, except
//     the spaces and tabs that follow the run's last line break: that
//     indentation starts the next part (it matters for nested list items and
//     code). Indentation that alone does not fit in a part is dropped too;
//   - cuts between grapheme clusters or after 。！？ drop nothing.
//
// Whitespace is what unicode.IsSpace reports, except the no-break spaces
// U+00A0, U+2007 and U+202F, which are never cut at. So for parts p1…pn,
// the original text is w0 + p1 + w1 + p2 + … + pn + wn where every wi is
// whitespace, once the reopened and closed code fences and part markers are
// removed from the parts. SplitParts returns each part's offsets in the text.
//
// # Invalid UTF-8
//
// Invalid bytes never cause a panic and are kept byte for byte. They are
// measured as U+FFFD (see Measure.Len) because that is what JSON encoders
// send in their place.
//
// # Options
//
// MaxParts caps the number of parts; above it, Split returns
// *TooManyPartsError, or with OnTooManyParts(Merge) and a soft limit uses
// fewer, longer parts (the smallest room that needs no more than MaxParts).
// PartMarker adds "(1/3)"-style markers that count inside the limit; a
// marker next to a code fence goes on its own line so the fence still
// renders. Balance (on by default) avoids a tiny last part by moving the
// last cut earlier when both parts still fit.
//
// # SMS
//
// With Measure SMSSegments the encoding is decided once for the whole text:
// one character outside GSM-7 (an emoji, "ç", a curly quote, a backtick)
// makes every part UCS-2, so parts hold 67 units instead of 153 septets.
// SMSInfo reports the encoding, length and segment count of any text.
package split
