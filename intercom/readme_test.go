package intercom_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/intercom"
)

// The README's setup steps show the Custom Action body users paste: it
// must be ActionBodyTemplate, the shape the driver parses.
func TestReadmeShowsActionTemplate(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip("README.md not found")
	}
	readme := string(data)
	i := strings.Index(readme, "\n## Intercom\n")
	require.GreaterOrEqual(t, i, 0, "README has an Intercom section")
	section := readme[i:]
	start := strings.Index(section, "```json\n")
	require.GreaterOrEqual(t, start, 0)
	block := section[start+len("```json\n"):]
	block = block[:strings.Index(block, "```")]
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(block, " \n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "   "))
	}
	require.Equal(t, intercom.ActionBodyTemplate, strings.Join(lines, "\n"))
}
