package buildconfig

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example"

// The example in docs is a valid file, read back field by field.
func TestExample(t *testing.T) {
	data, err := os.ReadFile("../../docs/examples/unison.yaml")
	require.NoError(t, err)
	c, err := Parse("unison.yaml", data)
	require.NoError(t, err)
	assert.Equal(t, "v1.2.3", c.Version)
	assert.Equal(t, "light", c.Flavor)
	assert.Equal(t, Admin{User: "unison", Hostname: "edge-01", SSHAuthorizedKeys: []string{key}}, c.Admin)
	assert.Equal(t, []string{"de_DE.UTF-8", "de", "Europe/Berlin"}, []string{c.Locale, c.Keyboard, c.Timezone})
	assert.Equal(t, []string{"htop", "nvme-cli"}, c.Packages)
	assert.Equal(t, []string{"iommu=pt"}, c.KernelArgs)
}

// Every bad file names file:line and the field, and says what to do.
func TestRejects(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"mistyped key", "version: v1.0.0\nhostnme: a\n", `unison.yaml:2: hostnme: unknown key (known:`},
		{"mistyped admin key", "admin:\n  hostnme: a\n", `unison.yaml:2: admin.hostnme: unknown key; did you mean "hostname"?`},
		{"mistyped near a key", "timezon: UTC\n", `unison.yaml:1: timezon: unknown key; did you mean "timezone"?`},
		{"password in the file", "admin:\n  user: ops\n  password: hunter2\n", `unison.yaml:3: admin.password: a password never goes in a build file: pass --password-hash env:VAR`},
		{"hash in the file", "password-hash: $6$x\n", `unison.yaml:1: password-hash: a password hash is a secret`},
		{"wrong type", "packages: htop\n", `unison.yaml:1: packages: want a list of strings, got "htop"`},
		{"public not a bool", "public: yes please\n", `unison.yaml:1: public: want true or false`},
		{"duplicate key", "flavor: a\nflavor: b\n", `unison.yaml:2: flavor: duplicate key`},
		{"bad version", "version: v1 2\n", `unison.yaml:1: version: version "v1 2"`},
		{"bad host name", "admin:\n  hostname: Edge_01\n", `unison.yaml:2: admin.hostname: "Edge_01" is not a valid host name`},
		{"reserved user", "admin:\n  user: root\n", `unison.yaml:2: admin.user: "root" is a system account`},
		{"bad key", "admin:\n  ssh-authorized-keys:\n    - not a key\n", `unison.yaml:2: admin.ssh-authorized-keys: key 1 is not an OpenSSH public key line`},
		{"bad locale", "locale: german\n", `unison.yaml:1: locale: "german" is not a locale like en_US.UTF-8`},
		{"bad time zone", "timezone: Mars Base\n", `unison.yaml:1: timezone: "Mars Base" is not a time zone`},
		{"package Ubuntu lacks", "packages: [docker-compose-plugin]\n", `unison.yaml:1: packages: "docker-compose-plugin" is not in Ubuntu's archive: use docker-compose-v2`},
		{"apt operator", "packages: [apparmor-]\n", `unison.yaml:1: packages: "apparmor-" is not a Debian package name`},
		{"kernel argument with a space", "locale: en_US.UTF-8\nkernel-arguments: [quiet splash]\n", `unison.yaml:2: kernel-arguments: "quiet splash" is not one kernel argument`},
		{"public with an admin", "public: true\nadmin:\n  user: ops\n", `unison.yaml:2: admin: a public build carries no operator credentials`},
		{"not a mapping", "- a\n", `unison.yaml:1: the top level must be a mapping`},
		{"two documents", "flavor: a\n---\nflavor: b\n", `more than one YAML document`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("unison.yaml", []byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A file with nothing in it sets nothing (a file kept for later).
func TestEmpty(t *testing.T) {
	for _, s := range []string{"", "# to fill in\n", "---\n", "\n\n"} {
		c, err := Parse("unison.yaml", []byte(s))
		require.NoError(t, err, "%q", s)
		got, err := c.Merge(Flags{Flavor: "light"})
		require.NoError(t, err)
		assert.Equal(t, Flags{Flavor: "light"}, got, "%q", s)
	}
	_, err := Parse("unison.yaml", []byte("---\nflavor: a\n---\n"))
	assert.ErrorContains(t, err, "more than one YAML document")
}

// Flags override the file; a flag that contradicts it is an error naming both.
func TestMerge(t *testing.T) {
	c, err := Parse("unison.yaml", []byte("version: v1.0.0\nflavor: light\nadmin:\n  hostname: edge-01\n  ssh-authorized-keys: ['"+key+"']\npackages: [htop]\ntimezone: Europe/Berlin\n"))
	require.NoError(t, err)
	got, err := c.Merge(Flags{Version: "v1.0.1", Hostname: "edge-02", Packages: []string{"nvme-cli"}})
	require.NoError(t, err)
	assert.Equal(t, Flags{Version: "v1.0.1", Flavor: "light", Hostname: "edge-02", Keys: []string{key},
		Timezone: "Europe/Berlin", Packages: []string{"nvme-cli"}}, got)

	_, err = c.Merge(Flags{Public: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unison.yaml:3: admin: conflicts with --public")

	pub, err := Parse("unison.yaml", []byte("public: true\n"))
	require.NoError(t, err)
	_, err = pub.Merge(Flags{PasswordHash: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unison.yaml:1: public: true conflicts with the admin flags")
	got, err = pub.Merge(Flags{Version: "v2.0.0"})
	require.NoError(t, err)
	assert.True(t, got.Public)

	var none *Config
	got, err = none.Merge(Flags{Flavor: "full"})
	require.NoError(t, err)
	assert.Equal(t, Flags{Flavor: "full"}, got)
}

// Any input: an error or a config, never a panic; an error names the file.
func FuzzParse(f *testing.F) {
	f.Add("version: v1.0.0\nadmin:\n  user: ops\n")
	f.Add("packages: [a, b]\npublic: true\n")
	f.Add("admin: [x]\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse("f.yaml", []byte(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if c.Public && c.Admin.Set() {
			t.Fatalf("public build with an admin accepted: %q", s)
		}
	})
}
