package hubspot

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The read-back recognises the bot's messages by its actor, or by the
// app id of its own earlier sends when HubSpot names no actor; never a
// customer's message or another app's.
func TestOwnMessage(t *testing.T) {
	const bot, app = "A-71260648", "4242"
	msg := func(direction, clientType, appID string, senders ...string) Message {
		m := Message{Direction: direction}
		m.Client.ClientType, m.Client.IntegrationAppID = clientType, json.Number(appID)
		for _, s := range senders {
			m.Senders = append(m.Senders, Actor{ActorID: s})
		}
		return m
	}
	tests := []struct {
		name string
		m    Message
		app  string
		want bool
	}{
		{"bot actor", msg("OUTGOING", "INTEGRATION", app, bot), app, true},
		{"bot actor, app unknown", msg("OUTGOING", "HUBSPOT", "", bot), "", true},
		{"bot actor among several", msg("OUTGOING", "HUBSPOT", "", "A-1", bot), "", true},
		{"comment without actor, own app", msg("OUTGOING", "INTEGRATION", app), app, true},
		{"comment without actor, app unknown", msg("OUTGOING", "INTEGRATION", app), "", false},
		{"another app", msg("OUTGOING", "INTEGRATION", "99", "I-99"), app, false},
		{"a human agent", msg("OUTGOING", "HUBSPOT", "", "A-71260700"), app, false},
		{"the customer", msg("INCOMING", "INTEGRATION", app, "V-555"), app, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ownMessage(tc.m, bot, tc.app))
		})
	}
}

// Only a page sorted newest first, as asked, lets older messages end the
// read-back.
func TestNewestFirst(t *testing.T) {
	at := func(s ...string) []Message {
		var out []Message
		for _, c := range s {
			out = append(out, Message{CreatedAt: c})
		}
		return out
	}
	tests := []struct {
		name string
		page []Message
		want bool
	}{
		{"empty", nil, true},
		{"one", at("2026-12-01T10:00:00Z"), true},
		{"newest first", at("2026-12-01T10:00:02.5Z", "2026-12-01T10:00:01Z", "2026-12-01T10:00:00Z"), true},
		{"same second", at("2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"), true},
		{"oldest first", at("2026-12-01T10:00:00Z", "2026-12-01T10:00:01Z"), false},
		{"unreadable time", at("yesterday", "2026-12-01T10:00:00Z"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, newestFirst(tc.page))
		})
	}
}
