package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDemoRunsTheScript(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), nil, &out, io.Discard, func(string) string { return "" }))
	got := out.String()
	for _, want := range []string{
		"bot answers 1001 in 3 part(s)",
		"(own_echo)",
		"bot answers and resolves 1001",
		"(low_confidence)",
		"(customer_asked_human)",
		"Vou transferir", // the Portuguese customer gets the Portuguese notice
		"group:n2-billing",
		"1001 whatsapp  status=resolved",
	} {
		require.Contains(t, got, want)
	}
	require.Equal(t, 3, strings.Count(got, "Reassign("))
}

func TestUnknownVendorFails(t *testing.T) {
	var out bytes.Buffer
	require.ErrorContains(t, run(context.Background(), []string{"-vendor", "nope"}, &out, io.Discard, func(string) string { return "" }), "unknown -vendor")
}

func TestFAQConfidence(t *testing.T) {
	_, conf, _ := defaultFAQ.Answer("How do I RESET my password?")
	require.Equal(t, 1.0, conf)
	_, conf, _ = defaultFAQ.Answer("bitcoin?")
	require.Less(t, conf, 0.5)
	_, conf, ok := defaultFAQ.Answer("")
	require.Zero(t, conf)
	require.False(t, ok)
}
