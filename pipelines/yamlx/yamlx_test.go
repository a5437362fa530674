package yamlx

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorsNameFileLineField(t *testing.T) {
	d, err := Parse("f.yaml", []byte("a: 1\nb:\n  c: [x, 2]\n  d: yes\n"))
	require.NoError(t, err)
	top, err := d.Mapping(d.Root, "", []string{"a", "b"})
	require.NoError(t, err)
	_, err = d.String(top[0].Value, "a")
	require.NoError(t, err, "numbers are accepted as strings")
	b, err := d.Mapping(top[1].Value, "b", []string{"c"})
	assert.Nil(t, b)
	assert.EqualError(t, err, "f.yaml:4: b.d: unknown key (known: c)")
	b, err = d.Mapping(top[1].Value, "b", nil)
	require.NoError(t, err)
	_, err = d.Strings(b[0].Value, "b.c")
	require.NoError(t, err)
	_, err = d.Bool(b[1].Value, "b.d")
	assert.EqualError(t, err, `f.yaml:4: b.d: want true or false, got "yes"`, "YAML 1.1 yes is not a boolean here")
	_, err = d.Int(b[0].Value, "b.c")
	assert.EqualError(t, err, "f.yaml:3: b.c: want an integer, got a list")
}

func TestParseRejects(t *testing.T) {
	for in, want := range map[string]string{
		"- a\n":             "f.yaml:1: the top level must be a mapping",
		"a: [\n":            "f.yaml: not valid YAML",
		"a: 1\n---\nb: 2\n": "more than one YAML document",
		"a: 1\na: 2\n":      "", // duplicates are caught by Mapping
	} {
		_, err := Parse("f.yaml", []byte(in))
		if want == "" {
			require.NoError(t, err)
			continue
		}
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want)
	}
}
