package driver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk/driver"
)

type tolerantMsg struct {
	Text   string `json:"text"`
	Public bool   `json:"public"`
	Author struct {
		Type       string `json:"type"`
		ExternalID string `json:"externalId"`
	} `json:"author"`
	Files []struct {
		URL string `json:"url"`
	} `json:"files"`
}

func TestDecodeTolerant(t *testing.T) {
	needed := []string{"text", "public?", "author.type", "files.*.url", "account#"}
	cases := []struct {
		name, body, field string
		ok                bool
	}{
		{"clean", `{"text":"hi","public":true,"author":{"type":"user"}}`, "", true},
		{"an unneeded field of another type is skipped", `{"text":"hi","author":{"type":"user","externalId":42}}`, "", true},
		{"a needed string that is a number", `{"text":5,"author":{"externalId":42}}`, "text", false},
		{"a needed boolean that is a string", `{"text":"hi","public":"yes","author":{"externalId":42}}`, "public", false},
		{"a needed field inside arrays", `{"text":"hi","files":[{"url":"a"},{"url":3}],"author":{"externalId":1}}`, "files.*.url", false},
		{"keys match case-insensitively", `{"TEXT":7,"author":{"externalId":1}}`, "text", false},
		{"string or number", `{"text":"hi","account":12,"author":{"externalId":1}}`, "", true},
		{"null is not malformed", `{"text":null,"author":{"externalId":1}}`, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m tolerantMsg
			err := driver.DecodeTolerant([]byte(tc.body), &m, needed)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			var de *driver.DecodeError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tc.field, de.Field)
		})
	}
	var m tolerantMsg
	err := driver.DecodeTolerant([]byte(`{"text":"secret-token-xyz"`), &m, needed)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret-token", "the body is never quoted")
	require.Contains(t, err.Error(), "offset")
	require.EqualError(t, driver.DecodeTolerant([]byte(`[1,2]`), &m, needed), "not a JSON object")
}
