package split

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestPresetFor(t *testing.T) {
	tests := []struct {
		vendor, channel string
		want            Limit
		ok              bool
	}{
		// Chatwoot's own caps.
		{"cloudchat", "sms", Limit{Max: 320, Measure: Runes}, true},
		{"cloudchat", "email", Limit{Max: 25000, Measure: Runes}, true},
		{"cloudchat", "web_chat", Limit{Max: 10000, Measure: Runes}, true},
		{"cloudchat", "api", Limit{Max: 10000, Measure: Runes}, true},
		{"cloudchat", "voice", Limit{Max: 10000, Measure: Runes}, true},
		{"cloudchat", "", Limit{Max: 10000, Measure: Runes}, true},
		// Where Chatwoot has no cap of its own, the channel's.
		{"cloudchat", "whatsapp", Limit{Max: 4096, Measure: Runes}, true},
		{"cloudchat", "telegram", Limit{Max: 4096, Measure: UTF16}, true},
		{"cloudchat", "instagram", Limit{Max: 1000, Measure: Bytes}, true},
		// A vendor without rows, and no vendor, are the channel presets.
		{"zendesk", "sms", Limit{Max: 1, Measure: SMSSegments}, true},
		{"zendesk", "voice", Limit{}, false},
		{"", "web_chat", Limit{Max: 4096, Measure: Runes, Soft: true}, true},
		{"", "*", Limit{}, false},
		{"", "", Limit{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.vendor+"/"+tt.channel, func(t *testing.T) {
			got, ok := PresetFor(tt.vendor, tt.channel)
			require.Equal(t, tt.ok, ok)
			require.Empty(t, cmp.Diff(tt.want, got))
			if ok {
				_, err := New(got)
				require.NoError(t, err)
			}
		})
	}
	_, ok := Preset("*")
	require.False(t, ok, "the vendor wildcard is not a channel")
}

// Every generic SMS part (one segment, at most 160 characters) fits
// Chatwoot's 320-character SMS cap, so a bot splitting with Preset("sms")
// is never refused by the cloudchat driver.
func TestChannelPartsFitVendorCaps(t *testing.T) {
	for _, p := range presets {
		if p.vendor == "" || p.channel == "*" {
			continue
		}
		generic, ok := Preset(p.channel)
		if !ok || generic.Unlimited() {
			continue
		}
		var longest int
		switch generic.Measure {
		case SMSSegments:
			longest = 160 * generic.Max
		case Runes, Graphemes, UTF16:
			longest = generic.Max
		default:
			continue
		}
		require.LessOrEqual(t, longest, p.limit.Max, "%s %s", p.vendor, p.channel)
	}
}
