package escalation_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/escalation"
)

func TestBusinessHoursNextOpen(t *testing.T) {
	bh, err := escalation.CompileHours("America/Sao_Paulo", []escalation.Window{
		{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Open: "09:00", Close: "18:00"},
		{Days: []string{"sat"}, Open: "22:00", Close: "02:00"},
	})
	require.NoError(t, err)
	sp, err := time.LoadLocation("America/Sao_Paulo")
	require.NoError(t, err)
	at := func(d, h, m int) time.Time { return time.Date(2026, 6, d, h, m, 0, 0, sp) } // 2026-06-01 is a Monday
	for _, tc := range []struct {
		name     string
		in, want time.Time
	}{
		{"open", at(1, 10, 0), at(1, 10, 0)},
		{"before opening", at(1, 7, 30), at(1, 9, 0)},
		{"after closing", at(1, 18, 0), at(2, 9, 0)},
		{"friday night waits for the saturday window", at(5, 19, 0), at(6, 22, 0)},
		{"past midnight of a spanning window", at(7, 1, 0), at(7, 1, 0)},
		{"sunday morning after it", at(7, 3, 0), at(8, 9, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := bh.NextOpen(tc.in)
			require.True(t, got.Equal(tc.want), "got %v want %v", got, tc.want)
			require.True(t, bh.IsOpen(got))
		})
	}
	_, err = escalation.CompileHours("Nowhere/Land", nil)
	var ve *escalation.ValidationError
	require.ErrorAs(t, err, &ve)
}
