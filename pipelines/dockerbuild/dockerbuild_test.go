package dockerbuild

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseArgs(t *testing.T) {
	a, err := ParseArgs([]string{"# from the workflow input\nGO_VERSION=1.26\n\nFLAVOR=light", "EMPTY="})
	require.NoError(t, err)
	assert.Equal(t, []Arg{{"GO_VERSION", "1.26"}, {"FLAVOR", "light"}, {"EMPTY", ""}}, a)
	for in, want := range map[string]string{
		"nonsense":      `"nonsense" is not NAME=VALUE`,
		"1X=2":          "is not NAME=VALUE",
		"A=1\nA=2":      "A given twice",
		"NPM_TOKEN=abc": "NPM_TOKEN looks like a secret",
	} {
		_, err := ParseArgs([]string{in})
		assert.ErrorContains(t, err, want, in)
	}
}

func TestParseSecrets(t *testing.T) {
	s, err := ParseSecrets("npm=s3cr3t=with=equals\r\n# comment\n\npip.conf=[global]\n")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"npm": "s3cr3t=with=equals", "pip.conf": "[global]"}, s)
	assert.Equal(t, []string{"npm", "pip.conf"}, IDs(s))
	_, err = ParseSecrets("just-a-token-value-without-id")
	require.ErrorContains(t, err, "line 1 is not ID=VALUE")
	assert.NotContains(t, err.Error(), "just-a-token", "a malformed line is never echoed")
	_, err = ParseSecrets("a=1\na=2")
	require.ErrorContains(t, err, "id a given twice")
}
