package autoinstall

import (
	"errors"
	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEKEYEXAMPLEKEYEXAMPLEKEYEXAMPLEKEY ops@unison"

// a sha512crypt hash (of a random password) with a 16-character salt
const hash = "$6$Qm4y7Zk1rT2pW9xL$3wV5n8mJ0kH2fG4dS6aQ8zX1cV3bN5mL7kJ9hG1fD3sA5pO7iU9yT1rE3wQ5zX7cV9bN1mL3kJ5hG7fD9sA1."

func tmpl(t *testing.T) string {
	b, err := os.ReadFile("../../images/autoinstall/user-data.yaml.tmpl")
	require.NoError(t, err)
	return string(b)
}

func TestRenderGolden(t *testing.T) {
	for name, c := range map[string]Config{
		"stable-keys":        {Hostname: "unison-01", SSHAuthorizedKeys: []string{key}, Stable: true, ExtraPackages: []string{"htop"}, Timezone: "Europe/Berlin"},
		"beta-keys-password": {SSHAuthorizedKeys: []string{key}, PasswordHash: hash},
		"nightly-password":   {PasswordHash: hash},
		"stable-public":      {Public: true, Stable: true},
		"stable-offline":     {SSHAuthorizedKeys: []string{key}, Stable: true, Offline: true},
		"kernel-args":        {SSHAuthorizedKeys: []string{key}, KernelArgs: []string{"iommu=pt", "console=ttyS0,115200n8", "quiet"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Render(tmpl(t), c)
			require.NoError(t, err)
			golden.Equal(t, filepath.Join("testdata", name+".user-data.golden"), []byte(got))
			var doc map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(AutoinstallYAML(got)), &doc))
			ai := doc["autoinstall"].(map[string]any)
			ssh := ai["ssh"].(map[string]any)
			assert.Equal(t, len(c.SSHAuthorizedKeys) == 0 && !c.Public, ssh["allow-pw"], "password SSH only without keys")
			if c.Offline {
				// Docker from the medium, before the platform installer needs it
				assert.NotContains(t, ai["packages"], "docker.io")
				assert.NotContains(t, ai["packages"], "docker-compose-v2")
				late, err := LateCommands(got)
				require.NoError(t, err)
				debs := slices.IndexFunc(late, func(l string) bool { return strings.HasSuffix(l, OfflineDebsCommand) })
				install := slices.IndexFunc(late, func(l string) bool { return strings.Contains(l, "install-docker.sh") })
				require.GreaterOrEqual(t, debs, 0, "the offline late-command")
				assert.Less(t, debs, install)
			} else {
				assert.NotContains(t, got, OfflineDebsCommand)
			}
			if c.Public {
				assert.Equal(t, []any{"identity", "ssh"}, ai["interactive-sections"])
				assert.NotContains(t, got, "ssh-ed25519", "no operator key in a public image")
				assert.Nil(t, ai["identity"])
				assert.Nil(t, ai["user-data"])
			}
		})
	}
}

func TestInputRejections(t *testing.T) {
	tests := map[string]struct {
		c     Config
		field string
		want  string
	}{
		"stable without keys":          {Config{Stable: true, PasswordHash: hash}, "ssh-authorized-keys", "stable releases require at least one SSH key"},
		"no way to log in":             {Config{}, "ssh-authorized-keys", "no way to log in"},
		"plain password":               {Config{SSHAuthorizedKeys: []string{key}, PasswordHash: "unison"}, "password-hash", "never a plain password"},
		"md5 hash":                     {Config{SSHAuthorizedKeys: []string{key}, PasswordHash: "$1$abcdefgh$abcdefghijklmnopqrstuv"}, "password-hash", "crypt(3) hash"},
		"placeholder hash":             {Config{SSHAuthorizedKeys: []string{key}, PasswordHash: "$6$CHANGEMEsalt$abcdef"}, "password-hash", "placeholder"},
		"short salt (example hash)":    {Config{SSHAuthorizedKeys: []string{key}, PasswordHash: "$6$x$abcdefghijk"}, "password-hash", "too short"},
		"bad key":                      {Config{SSHAuthorizedKeys: []string{"not a key"}}, "ssh-authorized-keys", "not an OpenSSH public key"},
		"docker-compose-plugin":        {Config{SSHAuthorizedKeys: []string{key}, ExtraPackages: []string{"docker-compose-plugin"}}, "packages", "use docker-compose-v2"},
		"docker-ce":                    {Config{SSHAuthorizedKeys: []string{key}, ExtraPackages: []string{"docker-ce"}}, "packages", "use docker.io"},
		"bad package name":             {Config{SSHAuthorizedKeys: []string{key}, ExtraPackages: []string{"Bad Name"}}, "packages", "not a Debian package name"},
		"bad hostname":                 {Config{Hostname: "Unison_01", SSHAuthorizedKeys: []string{key}}, "hostname", "not a valid host name"},
		"root user":                    {Config{Username: "root", SSHAuthorizedKeys: []string{key}}, "admin-user", "system account or reserved name"},
		"nobody as admin":              {Config{Username: "nobody", SSHAuthorizedKeys: []string{key}}, "admin-user", "system account or reserved name"},
		"www-data as admin":            {Config{Username: "www-data", SSHAuthorizedKeys: []string{key}}, "admin-user", "system account or reserved name"},
		"sha256crypt hash":             {Config{SSHAuthorizedKeys: []string{key}, PasswordHash: "$5$saltsaltsalt$abcdefghijk"}, "password-hash", "weaker method"},
		"apt remove suffix":            {Config{SSHAuthorizedKeys: []string{key}, ExtraPackages: []string{"apparmor-"}}, "packages", "operator suffix"},
		"apt version pin":              {Config{SSHAuthorizedKeys: []string{key}, ExtraPackages: []string{"ufw=0.36"}}, "packages", "=version"},
		"key with escape":              {Config{SSHAuthorizedKeys: []string{key + "\x1b]0;owned\x07"}}, "ssh-authorized-keys", "key 1"},
		"bad locale":                   {Config{Locale: "english", SSHAuthorizedKeys: []string{key}}, "locale", "not a locale"},
		"bad timezone":                 {Config{Timezone: "Mars Base", SSHAuthorizedKeys: []string{key}}, "timezone", "not a time zone"},
		"bad keyboard":                 {Config{KeyboardLayout: "US-Intl!", SSHAuthorizedKeys: []string{key}}, "keyboard", "not a keyboard layout"},
		"public with a key":            {Config{Public: true, SSHAuthorizedKeys: []string{key}}, "admin", "carries no operator credentials"},
		"public with a password":       {Config{Public: true, PasswordHash: hash}, "admin", "personalize-iso"},
		"public, bad timezone":         {Config{Public: true, Timezone: "Mars Base"}, "timezone", "not a time zone"},
		"offline with docker.io":       {Config{SSHAuthorizedKeys: []string{key}, Offline: true, ExtraPackages: []string{"docker.io"}}, "packages", "comes from the medium in an offline build"},
		"kernel argument with a space": {Config{SSHAuthorizedKeys: []string{key}, KernelArgs: []string{"quiet splash"}}, "kernel-arguments", "not one kernel argument"},
		"kernel argument with a quote": {Config{SSHAuthorizedKeys: []string{key}, KernelArgs: []string{`x="1"`}}, "kernel-arguments", "no spaces, quotes"},
		"kernel argument with a $":     {Config{SSHAuthorizedKeys: []string{key}, KernelArgs: []string{"x=$(reboot)"}}, "kernel-arguments", "not one kernel argument"},
		"kernel argument ending in :":  {Config{SSHAuthorizedKeys: []string{key}, KernelArgs: []string{"a:"}}, "kernel-arguments", "not one kernel argument"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Render(tmpl(t), tc.c)
			require.Error(t, err)
			var ie *InputError
			require.True(t, errors.As(err, &ie), "%T %v", err, err)
			assert.Equal(t, tc.field, ie.Field)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Validation runs on the rendered document, so an edited template is held
// to the same rules.
func TestValidateRejectsEditedTemplates(t *testing.T) {
	good, err := Render(tmpl(t), Config{SSHAuthorizedKeys: []string{key}, Stable: true})
	require.NoError(t, err)
	require.NoError(t, Validate(good, true))
	tests := map[string]struct{ from, to, want string }{
		"version 2":            {"version: 1", "version: 2", "version must be 1"},
		"unknown key":          {"  updates: security", "  updates: security\n  frobnicate: true", `unknown top-level key "frobnicate"`},
		"allow-pw with keys":   {"allow-pw: false", "allow-pw: true", "allow-pw must be false"},
		"no ufw package":       {"    - \"ufw\"\n", "", "packages must include ufw"},
		"compose plugin":       {"    - \"docker-compose-v2\"\n", "    - \"docker-compose-v2\"\n    - \"docker-compose-plugin\"\n", `"docker-compose-plugin" is not in Ubuntu's archive`},
		"firewall not enabled": {"ENABLED=yes", "ENABLED=no", "enable the firewall"},
		"no unattended":        {`Unattended-Upgrade "1"`, `Unattended-Upgrade "0"`, "unattended upgrades"},
		"service not enabled":  {"systemctl enable unison-platform.service", "true", "enable unison-platform.service"},
		"git clone":            {"    - mkdir -p /target/opt", "    - mkdir -p /target/opt\n    - git clone https://example.com/x /target/opt/x", "work offline"},
		"no bundle from cdrom": {"/cdrom/nocloud/", "/tmp/", "install the platform bundle from the install medium"},
		"not cloud-config":     {"#cloud-config\n", "", "#cloud-config"},
		"stable without keys":  {"ssh_authorized_keys:", "x_keys:", "stable releases require"},
		"no docker":            {"    - \"docker.io\"\n", "", "packages must include docker.io (or late-commands install it from the medium"},
		"password SSH left to the installer": {"/etc/ssh/sshd_config.d/05-unisonos-keys-only.conf", "/tmp/x.conf",
			"late-commands must write /etc/ssh/sshd_config.d/05-unisonos-keys-only.conf (PasswordAuthentication no) on stable and public media"},
		// what cloud-init and subiquity act on but the rules above would not see
		"top-level cloud-config key": {"autoinstall:\n", "ssh_pwauth: true\nautoinstall:\n", `top-level key "ssh_pwauth": only autoinstall: is allowed`},
		"top-level users":            {"autoinstall:\n", "users: [{name: x, plain_text_passwd: x}]\nautoinstall:\n", `top-level key "users"`},
		"top-level key after":        {"autoinstall:\n", "autoinstall:\n  x: 1\nruncmd: [id]\nz:\n", `top-level key "runcmd"`},
		"second document":            {"#cloud-config\n", "#cloud-config\nautoinstall: {version: 1}\n---\n", "a second YAML document"},
		"anchor":                     {"allow-pw: false", "allow-pw: &pw false", "YAML anchor &pw"},
		"anchor and alias":           {"  ssh:\n", "  x-ssh: &s {allow-pw: true}\n  ssh:\n", "YAML anchor &s"},
		"merge key":                  {"  ssh:\n", "  ssh:\n    <<: {allow-pw: true}\n", "YAML merge key <<"},
		"tagged merge key":           {"  ssh:\n", "  ssh:\n    !!merge <<: {allow-pw: true}\n", "YAML merge key <<"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, good, tc.from)
			err := Validate(strings.Replace(good, tc.from, tc.to, 1), true)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// offline: Docker comes from the medium; without that late-command it must come from the archive
	offline, err := Render(tmpl(t), Config{SSHAuthorizedKeys: []string{key}, Stable: true, Offline: true})
	require.NoError(t, err)
	require.NoError(t, Validate(offline, true))
	err = Validate(strings.Replace(offline, OfflineDebsCommand, "/bin/true", 1), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "packages must include docker.io")
	public, err := Render(tmpl(t), Config{Public: true, Stable: true})
	require.NoError(t, err)
	for name, tc := range map[string]struct{ from, to, want string }{
		"storage asked":     {"    - ssh\n", "    - ssh\n    - storage\n", `not "storage"`},
		"no identity asked": {"    - identity\n", "", "identity or user-data is required"},
		"no ssh asked":      {"    - ssh\n", "", "stable releases require"},
		"password SSH":      {"allow-pw: false", "allow-pw: true", "allow-pw must be false when the installer asks"},
	} {
		require.Contains(t, public, tc.from, name)
		err := Validate(strings.Replace(public, tc.from, tc.to, 1), true)
		assert.ErrorContains(t, err, tc.want, name)
	}
	err = Validate(strings.Replace(good, "autoinstall:", "autoinstall: [", 1), true)
	assert.ErrorContains(t, err, "not valid YAML")
}

func TestMetaDataAndRootFile(t *testing.T) {
	assert.Equal(t, "instance-id: unisonos-v1.2.3\nlocal-hostname: unison\n", MetaData("unisonos-v1.2.3", "unison"))
	ud, err := Render(tmpl(t), Config{SSHAuthorizedKeys: []string{key}})
	require.NoError(t, err)
	root := AutoinstallYAML(ud)
	assert.NotContains(t, root, "#cloud-config")
	assert.True(t, strings.HasPrefix(strings.TrimLeft(root, "#\n "), "UnisonOS") || strings.Contains(root, "autoinstall:"))
}

func FuzzQuote(f *testing.F) {
	f.Add("plain")
	f.Add("a\"b\\c\nd: e # f")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8Valid(s) {
			return
		}
		var got string
		if err := yaml.Unmarshal([]byte("k: "+quote(s)), &map[string]*string{"k": &got}); err != nil {
			t.Fatalf("quote(%q) is not valid YAML: %v", s, err)
		}
	})
}

func utf8Valid(s string) bool {
	return strings.ToValidUTF8(s, "") == s
}

// The kernel arguments' late-commands, run by a real shell against a target
// directory: the grub.d file they write gives update-grub the distribution's
// own default command line followed by the arguments.
func TestKernelArgsLateCommands(t *testing.T) {
	got, err := Render(tmpl(t), Config{SSHAuthorizedKeys: []string{key}, KernelArgs: []string{"iommu=pt", "console=ttyS0,115200n8"}})
	require.NoError(t, err)
	late, err := LateCommands(got)
	require.NoError(t, err)
	target := t.TempDir()
	var ran int
	for _, l := range late {
		if !strings.Contains(l, "grub.d") {
			continue
		}
		ran++
		out, err := exec.Command("sh", "-c", strings.ReplaceAll(l, "/target/", target+"/")).CombinedOutput()
		require.NoError(t, err, "%s: %s", l, out)
	}
	require.Equal(t, 2, ran, "mkdir and the grub.d file")
	assert.Contains(t, late[len(late)-1], "curtin in-target --target=/target -- update-grub", "update-grub runs last")
	cfg := filepath.Join(target, "etc/default/grub.d/90-unisonos-kernel.cfg")
	out, err := exec.Command("bash", "-c", "GRUB_CMDLINE_LINUX_DEFAULT='quiet splash'; . \"$0\"; echo \"$GRUB_CMDLINE_LINUX_DEFAULT\"", cfg).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, "quiet splash iommu=pt console=ttyS0,115200n8\n", string(out))
	none, err := Render(tmpl(t), Config{SSHAuthorizedKeys: []string{key}})
	require.NoError(t, err)
	assert.NotContains(t, none, "grub.d", "no kernel arguments: no grub.d file")
}
