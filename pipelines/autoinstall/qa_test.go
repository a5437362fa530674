package autoinstall

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestQAVariant(t *testing.T) {
	const qaKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQAKEYQAKEYQAKEYQAKEYQAKEYQAKEYQAKEYQAKEYQ unison-qa"
	for name, c := range map[string]Config{
		"keys (user-data)":            {Hostname: "edge-01", SSHAuthorizedKeys: []string{key}, Stable: true},
		"password and key (identity)": {SSHAuthorizedKeys: []string{key}, PasswordHash: hash},
		"password only (identity)":    {PasswordHash: hash},
	} {
		ud, err := Render(tmpl(t), c)
		require.NoError(t, err, name)
		got, user, err := QAVariant(ud, qaKey)
		require.NoError(t, err, name)
		assert.Equal(t, "unison", user, name)
		var doc map[string]map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(got), &doc))
		ai := doc["autoinstall"]
		assert.Equal(t, "poweroff", ai["shutdown"], name)
		if len(c.SSHAuthorizedKeys) > 0 {
			assert.Contains(t, got, key, name)
		}
		assert.Contains(t, got, qaKey, name)
		pub, _ := LateCommands(ud)
		qa, _ := LateCommands(got)
		assert.Equal(t, pub, qa, "the same late-commands")
	}
	public, err := Render(tmpl(t), Config{Public: true})
	require.NoError(t, err)
	_, _, err = QAVariant(public, qaKey)
	assert.ErrorContains(t, err, "personalize it first")
	_, _, err = QAVariant("#cloud-config\nx: 1\n", qaKey)
	assert.ErrorContains(t, err, "no autoinstall section")
}
