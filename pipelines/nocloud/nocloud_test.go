package nocloud

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestMetaData(t *testing.T) {
	m, err := MetaData("unison-qa-1", "unison")
	require.NoError(t, err)
	assert.Equal(t, "instance-id: unison-qa-1\nlocal-hostname: unison\n", m)
	for _, bad := range [][2]string{{"", "h"}, {"a b", "h"}, {"i", "h\nusers: []"}, {"i", "-h"}} {
		_, err := MetaData(bad[0], bad[1])
		assert.Error(t, err, bad)
	}
}

func TestDefaultUserKeys(t *testing.T) {
	key := `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2r9C6gk0ZbFnHq9QzPuJZ6xKXnJ5yqX1z3vYb0Jc0A qa: "x"`
	u, err := DefaultUserKeys([]string{key, " ssh-rsa AAAAB3 second "})
	require.NoError(t, err)
	require.Contains(t, u, "#cloud-config\n")
	var doc map[string][]string
	require.NoError(t, yaml.Unmarshal([]byte(u), &doc))
	assert.Equal(t, map[string][]string{"ssh_authorized_keys": {key, "ssh-rsa AAAAB3 second"}}, doc)
	_, err = DefaultUserKeys(nil)
	require.ErrorContains(t, err, "at least one")
	_, err = DefaultUserKeys([]string{"a\nusers: []"})
	require.ErrorContains(t, err, "not one public key line")
}
