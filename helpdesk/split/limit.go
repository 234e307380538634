package split

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Measure is the unit a channel counts its maximum message length in.
type Measure int

const (
	// Runes counts Unicode code points ("characters" in most chat APIs).
	Runes Measure = iota
	// Graphemes counts user-perceived characters (Unicode extended grapheme
	// clusters): a flag, a family emoji or "e" + combining accent is one.
	Graphemes
	// UTF16 counts UTF-16 code units: characters outside the Basic
	// Multilingual Plane (most emoji) count two. Telegram counts this way.
	UTF16
	// Bytes counts UTF-8 bytes. Instagram counts this way.
	Bytes
	// SMSSegments counts SMS segments. With this measure Limit.Max is the
	// maximum number of segments one part may use (1: every part is one SMS).
	// See Limit for how the GSM-7 / UCS-2 encoding is chosen.
	SMSSegments
)

// String returns the measure's name.
func (m Measure) String() string {
	switch m {
	case Runes:
		return "runes"
	case Graphemes:
		return "graphemes"
	case UTF16:
		return "utf16"
	case Bytes:
		return "bytes"
	case SMSSegments:
		return "sms_segments"
	}
	return fmt.Sprintf("Measure(%d)", int(m))
}

func (m Measure) valid() bool { return m >= Runes && m <= SMSSegments }

// Len returns the length of s in the measure's unit.
//
// Invalid UTF-8 bytes are measured as the U+FFFD replacement character each
// (1 rune, 1 grapheme, 1 UTF-16 unit, 3 bytes, and they force UCS-2 in SMS),
// because JSON encoders such as encoding/json replace them with U+FFFD before
// the text reaches the channel. For SMSSegments, Len returns the number of
// segments s needs when sent as one SMS.
func (m Measure) Len(s string) int {
	switch m {
	case Runes:
		return utf8.RuneCountInString(s)
	case Graphemes:
		return graphemeCount(s)
	case UTF16:
		return utf16Len(s)
	case Bytes:
		return byteLen(s)
	case SMSSegments:
		return SMSInfo(s).Segments
	}
	return 0
}

// NoLimit as Limit.Max means the channel takes any length: Split returns the
// whole (trimmed) text as one part. The "email" preset uses it.
const NoLimit = math.MaxInt

// maxSMSSegments is the most segments a concatenated SMS can carry (the
// concatenation header counts parts in one octet).
const maxSMSSegments = 255

// Limit is a channel's maximum message length: Max units of Measure.
//
// For Measure SMSSegments, Max is the maximum number of segments per part.
// The encoding is chosen once for the whole text: GSM-7 when every character
// (including a part marker) is in the GSM 03.38 basic or extension table,
// otherwise UCS-2 for every part, because one character outside GSM-7 switches
// the whole message to UCS-2. Text that fits in Max segments as one message is
// one part (one segment holds 160 GSM-7 septets or 70 UCS-2 units). Otherwise
// every part holds at most Max×153 septets or Max×67 UCS-2 units: the room a
// segment has once the concatenation header is added. Extension characters
// (^ { } [ ] ~ \ | € and form feed) cost two septets; characters outside the
// Basic Multilingual Plane cost two UCS-2 units.
type Limit struct {
	// Max is the largest length of one part, in Measure units (segments for
	// SMSSegments). NoLimit means no split.
	Max int
	// Measure is the unit Max is counted in. The zero value is Runes.
	Measure Measure
	// Soft reports that the channel itself accepts longer messages and Max
	// is only a readability preference. Only soft limits may be exceeded
	// by the Merge policy of OnTooManyParts.
	Soft bool
}

// Unlimited reports whether the limit means "do not split".
func (l Limit) Unlimited() bool { return l.Max == NoLimit }

// Len returns the length of s in the limit's unit (segments for SMS).
func (l Limit) Len(s string) int { return l.Measure.Len(s) }

// String describes the limit, e.g. "4096 runes".
func (l Limit) String() string {
	if l.Unlimited() {
		return "no limit"
	}
	soft := ""
	if l.Soft {
		soft = " (soft)"
	}
	return fmt.Sprintf("%d %s%s", l.Max, l.Measure, soft)
}

func (l Limit) validate() error {
	switch {
	case !l.Measure.valid():
		return fmt.Errorf("%w: unknown measure %d", ErrInvalidLimit, int(l.Measure))
	case l.Max <= 0:
		return fmt.Errorf("%w: max %d must be positive", ErrInvalidLimit, l.Max)
	case l.Measure == SMSSegments && l.Max > maxSMSSegments && !l.Unlimited():
		return fmt.Errorf("%w: %d SMS segments per part (at most %d)", ErrInvalidLimit, l.Max, maxSMSSegments)
	}
	return nil
}

// presets is the one table of channel limits in agentdesk: the splitter's
// presets and the drivers' length checks both read it, so a part split for a
// channel always passes the driver's check for that channel.
//
// A row without a vendor is the channel's own limit, as its provider
// documents it (see Preset). A row with a vendor is that helpdesk's cap for
// the channel where it differs from the channel's: Chatwoot (the cloudchat
// driver) caps each channel in its dashboard (MESSAGE_MAX_LENGTH) and its
// driver refuses longer texts before sending; channel "*" is the vendor's cap
// for channels without a row of their own.
var presets = []struct {
	vendor, channel string
	limit           Limit
}{
	// WhatsApp Cloud API text body: 4096 characters.
	{"", "whatsapp", Limit{Max: 4096, Measure: Runes}},
	// Twilio's WhatsApp body: 1600 characters.
	{"", "whatsapp_twilio", Limit{Max: 1600, Measure: Runes}},
	// Messenger Send API message.text: 2000 characters.
	{"", "messenger", Limit{Max: 2000, Measure: Runes}},
	// Instagram messaging: "1000 bytes or less".
	{"", "instagram", Limit{Max: 1000, Measure: Bytes}},
	// Telegram sendMessage: 4096 characters after entity parsing, counted
	// in UTF-16 units (emoji outside the BMP count two), as Chatwoot's
	// dashboard counts them too (JavaScript string length).
	{"", "telegram", Limit{Max: 4096, Measure: UTF16}},
	// LINE text message: 2000 characters.
	{"", "line", Limit{Max: 2000, Measure: Runes}},
	// SMS: one segment per part (GSM-7 160/153, UCS-2 70/67), which every
	// provider accepts (Klaviyo sends 160, or 70 with one non-GSM
	// character).
	{"", "sms", Limit{Max: 1, Measure: SMSSegments}},
	// E-mail: one part.
	{"", "email", Limit{Max: NoLimit, Measure: Runes, Soft: true}},
	// Web chat and API channels take longer messages; 4096 (Sunshine
	// Conversations' text cap) keeps parts readable.
	{"", "web_chat", Limit{Max: 4096, Measure: Runes, Soft: true}},
	{"", "api", Limit{Max: 4096, Measure: Runes, Soft: true}},

	// Chatwoot (cloudchat) dashboard caps where they differ from the
	// channel's: Twilio SMS and Bandwidth SMS 320 characters (Twilio's
	// recommended maximum; it accepts 1600), e-mail 25,000, web widget,
	// API and every other channel 10,000. The server itself only caps
	// content at 150,000 characters and never splits.
	{"cloudchat", "sms", Limit{Max: 320, Measure: Runes}},
	{"cloudchat", "email", Limit{Max: 25000, Measure: Runes}},
	{"cloudchat", "web_chat", Limit{Max: 10000, Measure: Runes}},
	{"cloudchat", "api", Limit{Max: 10000, Measure: Runes}},
	{"cloudchat", "*", Limit{Max: 10000, Measure: Runes}},
}

// Preset returns the limit of a channel. Known channels:
//
//	whatsapp         4096 runes (WhatsApp Cloud API text body)
//	whatsapp_twilio  1600 runes (WhatsApp through Twilio)
//	messenger        2000 runes (Messenger Send API)
//	instagram        1000 bytes (Instagram messaging counts UTF-8 bytes)
//	telegram         4096 UTF-16 units (sendMessage text)
//	line             2000 runes
//	sms              1 segment per part (GSM-7 160/153, UCS-2 70/67)
//	email            NoLimit: one part
//	web_chat         4096 runes, soft (the widget takes longer messages)
//	api              4096 runes, soft (API channels take longer messages)
//
// Vendors document "characters" without always saying which unit they mean;
// where a channel rejects parts near the maximum, use a stricter measure
// (UTF16 counts emoji as two) or a lower Max. Unknown channels return false.
// PresetFor gives a helpdesk's own cap for a channel.
func Preset(channel string) (Limit, bool) {
	return lookup("", channel)
}

// PresetFor returns the limit of a channel as deployed by a helpdesk
// vendor (a driver's Vendor name, e.g. "cloudchat"): the vendor's own cap
// for the channel when it has one, else the channel's Preset, else the
// vendor's cap for any channel. Drivers that refuse texts longer than a
// channel allows read their limits here, so that a part split with
// PresetFor(vendor, channel) always passes the driver's check. Vendor ""
// is Preset. Chatwoot (cloudchat) differs from the channel presets on:
//
//	sms              320 runes (the dashboard's cap for Twilio and Bandwidth SMS)
//	email            25,000 runes
//	web_chat, api    10,000 runes
//	any other        10,000 runes (voice, other, unknown)
//
// It returns false only when neither the vendor nor the channel is known.
func PresetFor(vendor, channel string) (Limit, bool) {
	if vendor != "" {
		if l, ok := lookup(vendor, channel); ok {
			return l, true
		}
	}
	if l, ok := lookup("", channel); ok {
		return l, true
	}
	if vendor != "" {
		return lookup(vendor, "*")
	}
	return Limit{}, false
}

func lookup(vendor, channel string) (Limit, bool) {
	for _, p := range presets {
		if p.vendor == vendor && p.channel == channel {
			return p.limit, true
		}
	}
	return Limit{}, false
}

func graphemeCount(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && (i+1 == len(s) || s[i+1] < utf8.RuneSelf) {
			if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			i++
			n++
			continue
		}
		cl, _, _, _ := uniseg.FirstGraphemeClusterInString(s[i:], -1)
		i += len(cl)
		n++
	}
	return n
}

func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func byteLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += 3
		} else {
			n += size
		}
		i += size
	}
	return n
}
