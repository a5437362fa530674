// Package wsl renders the files that make a root filesystem a WSL
// distribution, following Microsoft's guidance for custom distributions:
// /etc/wsl.conf (systemd, default user), /etc/wsl-distribution.conf (the
// out-of-box experience that creates the uid 1000 user, the Windows Terminal
// profile), the out-of-box script itself, and the clean-up that removes what
// fights WSL (resolv.conf, password hashes, networking units).
package wsl

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/project-unisonOS/unison-platform/pipelines/ident"
)

// Config is the distribution's configuration.
type Config struct {
	DefaultUser string
	Version     string
}

// Check validates the inputs.
func (c Config) Check() error {
	if !ident.User(c.DefaultUser) {
		return fmt.Errorf("default-user %q: lowercase letters, digits, '_' and '-', at most 32, not root", c.DefaultUser)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`).MatchString(c.Version) {
		return fmt.Errorf("version %q: letters, digits, '.', '_', '+', '-' only", c.Version)
	}
	return nil
}

// MaskedUnits fight WSL's own networking, DNS and /tmp handling.
var MaskedUnits = []string{
	"systemd-resolved.service", "systemd-networkd.service", "systemd-networkd.socket", "NetworkManager.service",
	"systemd-tmpfiles-setup.service", "systemd-tmpfiles-clean.service", "systemd-tmpfiles-clean.timer",
	"systemd-tmpfiles-setup-dev-early.service", "systemd-tmpfiles-setup-dev.service", "tmp.mount",
}

// WslConf is /etc/wsl.conf.
func (c Config) WslConf() string {
	return fmt.Sprintf(`# UnisonOS on WSL
[boot]
systemd=true

[user]
default=%s

[network]
generateResolvConf=true
`, c.DefaultUser)
}

// DistributionConf is /etc/wsl-distribution.conf (WSL 2.4.4+, .wsl files).
func (c Config) DistributionConf() string {
	return `# UnisonOS WSL distribution (wsl --install --from-file unisonos-<version>.wsl)
[oobe]
command = /usr/lib/wsl/oobe.sh
defaultUid = 1000
defaultName = UnisonOS

[windowsterminal]
profileTemplate = /usr/lib/wsl/terminal-profile.json
`
}

// OOBEScript creates the default user (uid 1000) on first launch; it is
// idempotent and needs no password hash in the image.
func (c Config) OOBEScript() string {
	return `#!/bin/sh
# UnisonOS out-of-box experience: creates the uid 1000 user on first launch.
set -eu
DEFAULT_USER=${UNISON_WSL_USER:-` + c.DefaultUser + `}
if getent passwd 1000 >/dev/null; then
  echo "UnisonOS: user $(getent passwd 1000 | cut -d: -f1) (uid 1000) already exists"
  exit 0
fi
NAME=$DEFAULT_USER
if [ -t 0 ]; then
  printf 'UnisonOS: name of your Linux user [%s]: ' "$DEFAULT_USER"
  read -r answer || answer=""
  [ -n "$answer" ] && NAME=$answer
fi
case $NAME in ''|root|*[!a-z0-9_-]*) echo "UnisonOS: invalid user name '$NAME'" >&2; exit 1 ;; esac
groupadd -f docker
useradd --create-home --uid 1000 --shell /bin/bash --groups sudo,docker "$NAME"
if [ -t 0 ]; then
  echo "UnisonOS: set a password for $NAME (used by sudo)"
  passwd "$NAME"
else
  # non-interactive first launch: no password exists, so sudo must not ask for one
  echo "$NAME ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-unisonos-user
  chmod 0440 /etc/sudoers.d/90-unisonos-user
fi
echo "UnisonOS: created $NAME (uid 1000). Install the platform: sudo /opt/unisonos/installer/install-wsl.sh"
`
}

// TerminalProfile is the Windows Terminal profile template.
func (c Config) TerminalProfile() string {
	b, _ := json.MarshalIndent(map[string]any{
		"profiles": []map[string]any{{"colorScheme": "One Half Dark", "font": map[string]string{"face": "Cascadia Mono"}}},
	}, "", "  ")
	return string(b) + "\n"
}

// FinalizeScript runs last in the root filesystem build.
// (/etc/resolv.conf is bind-mounted while a build step runs: the tarball excludes it.)
var FinalizeScript = `set -e
# no password hashes: lock every account that has one
awk -F: 'BEGIN{OFS=":"} { if ($2 != "*" && $2 != "!" && $2 != "!*" && $2 != "") $2 = "!"; print }' /etc/shadow > /etc/shadow.new
cat /etc/shadow.new > /etc/shadow && rm -f /etc/shadow.new /etc/shadow- /etc/gshadow-
for u in ` + strings.Join(MaskedUnits, " ") + `; do ln -sfn /dev/null /etc/systemd/system/$u; done
rm -f /boot/vmlinuz* /boot/initrd* /.dockerenv
: > /etc/machine-id
`

// Metadata is the bundle's metadata.json.
func (c Config) Metadata(flavor, commit string, built time.Time) (string, error) {
	b, err := json.MarshalIndent(map[string]string{
		"name": "unisonos-wsl", "version": c.Version, "flavor": flavor, "commit": commit,
		"build_date": built.UTC().Format(time.RFC3339), "default_user": c.DefaultUser,
		"rootfs": FileName("rootfs", c.Version), "wsl": FileName("wsl", c.Version),
	}, "", "  ")
	return string(b) + "\n", err
}

// Readme is the bundle's README.md.
func (c Config) Readme() string {
	return fmt.Sprintf(`# UnisonOS %[1]s for WSL

Modern format (WSL 2.4.4 and later):

    wsl --install --from-file %[2]s

Classic format:

    wsl --import UnisonOS C:\WSL\UnisonOS %[3]s
    wsl -d UnisonOS -u root /usr/lib/wsl/oobe.sh

Verify first: compare the files' SHA-256 with the published .sha256 files.
The first launch creates your user (uid 1000). Then install the platform:

    sudo /opt/unisonos/installer/install-wsl.sh

and replace every CHANGE_ME in /etc/unison/platform.env.
`, c.Version, FileName("wsl", c.Version), FileName("rootfs", c.Version))
}

// FileName names the WSL outputs.
func FileName(kind, version string) string {
	switch kind {
	case "rootfs":
		return "unisonos-wsl-rootfs-" + version + ".tar.gz"
	case "wsl":
		return "unisonos-" + version + ".wsl"
	default:
		return "unisonos-wsl-" + version + ".tar.gz"
	}
}
