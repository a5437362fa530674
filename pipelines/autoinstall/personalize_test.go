package autoinstall

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestPersonalize(t *testing.T) {
	public, err := Render(tmpl(t), Config{Public: true, Stable: true, Timezone: "Europe/Berlin", ExtraPackages: []string{"htop"}})
	require.NoError(t, err)
	got, err := Personalize(tmpl(t), public, Config{Hostname: "edge-01", SSHAuthorizedKeys: []string{key}, Stable: true})
	require.NoError(t, err)
	golden.Equal(t, filepath.Join("testdata", "personalized.user-data.golden"), []byte(got))
	var doc map[string]map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(got), &doc))
	ai := doc["autoinstall"]
	assert.Nil(t, ai["interactive-sections"], "unattended")
	assert.Equal(t, "Europe/Berlin", ai["timezone"], "the published form values stay")
	assert.Contains(t, ai["packages"], "htop")
	assert.Equal(t, false, ai["ssh"].(map[string]any)["allow-pw"])
	assert.Contains(t, got, key)
	assert.Contains(t, got, `hostname: "edge-01"`)
	// the same late-commands as published
	pub, err := LateCommands(public)
	require.NoError(t, err)
	per, err := LateCommands(got)
	require.NoError(t, err)
	assert.Equal(t, pub, per)
	again, err := Personalize(tmpl(t), public, Config{Hostname: "edge-01", SSHAuthorizedKeys: []string{key}, Stable: true})
	require.NoError(t, err)
	assert.Equal(t, got, again, "deterministic")

	_, err = Personalize(tmpl(t), got, Config{SSHAuthorizedKeys: []string{key}})
	assert.ErrorContains(t, err, "personalized already")
	// access the rewrite would carry over: refused before anything is rendered
	for name, tc := range map[string]struct{ from, to, want string }{
		"top-level users":      {"autoinstall:\n", "users: [{name: eve, ssh_authorized_keys: [x]}]\nautoinstall:\n", `top-level key "users"`},
		"top-level ssh_pwauth": {"autoinstall:\n", "ssh_pwauth: true\nautoinstall:\n", `top-level key "ssh_pwauth"`},
		"anchor reused":        {"  ssh:\n", "  early-commands: &e [\"true\"]\n  ssh:\n", "YAML anchor &e"},
		"merge key":            {"  ssh:\n", "  ssh:\n    <<: {allow-pw: true}\n", "YAML merge key <<"},
	} {
		require.Contains(t, public, tc.from, name)
		_, err := Personalize(tmpl(t), strings.Replace(public, tc.from, tc.to, 1), Config{Hostname: "edge-01", SSHAuthorizedKeys: []string{key}, Stable: true})
		assert.ErrorContains(t, err, "iso: /nocloud/user-data: autoinstall user-data: ", name)
		assert.ErrorContains(t, err, tc.want, name)
	}
	_, err = Personalize(tmpl(t), public, Config{Stable: true, PasswordHash: hash})
	assert.ErrorContains(t, err, "stable releases require at least one SSH key")
	_, err = Personalize(tmpl(t), "#cloud-config\nfoo: [", Config{SSHAuthorizedKeys: []string{key}})
	assert.ErrorContains(t, err, "not valid YAML")
	_, err = Personalize(tmpl(t), "#cloud-config\nfoo: 1\n", Config{SSHAuthorizedKeys: []string{key}})
	assert.ErrorContains(t, err, "no autoinstall section")
}
