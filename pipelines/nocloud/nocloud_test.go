package nocloud

import (
	"encoding/json"
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

func TestInsecureRegistries(t *testing.T) {
	none, err := InsecureRegistries(nil)
	require.NoError(t, err)
	assert.Empty(t, none)
	keys, err := DefaultUserKeys([]string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx qa"})
	require.NoError(t, err)
	extra, err := InsecureRegistries([]string{"10.87.0.1:5001", "registry.lab:5000"})
	require.NoError(t, err)
	// what cloud-init reads: one document with the keys and the file
	var doc struct {
		Keys  []string                                      `yaml:"ssh_authorized_keys"`
		Files []struct{ Path, Permissions, Content string } `yaml:"write_files"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(keys+extra), &doc))
	assert.Len(t, doc.Keys, 1)
	require.Len(t, doc.Files, 1)
	assert.Equal(t, "/etc/docker/daemon.json", doc.Files[0].Path)
	assert.Equal(t, "0644", doc.Files[0].Permissions)
	var daemon map[string][]string
	require.NoError(t, json.Unmarshal([]byte(doc.Files[0].Content), &daemon))
	assert.Equal(t, map[string][]string{"insecure-registries": {"10.87.0.1:5001", "registry.lab:5000"}}, daemon)

	for _, bad := range []string{"http://10.87.0.1:5001", "10.87.0.1:5001/owner", "", "a b", "reg:port"} {
		_, err := InsecureRegistries([]string{bad})
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "insecure-registry")
		assert.Contains(t, err.Error(), "host[:port]")
	}
}
