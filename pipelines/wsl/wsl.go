// Package wsl renders the files that make a root filesystem a WSL
// distribution, following Microsoft's guidance for custom distributions:
// /etc/wsl.conf (systemd, default user), /etc/wsl-distribution.conf (the
// out-of-box experience that creates the uid 1000 user, the Windows Terminal
// profile), the out-of-box script itself, and the clean-up that removes what
// fights WSL (resolv.conf, password hashes, networking units).
package wsl

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/ident"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// Config is the distribution's configuration.
type Config struct {
	DefaultUser string
	Version     string
}

// Check validates the inputs.
func (c Config) Check() error {
	if err := (ident.Admin{User: c.DefaultUser}).WithDefaults().Check(); err != nil {
		return err
	}
	return version.CheckLabel(c.Version)
}

// MaskedUnits fight WSL's own networking, DNS and /tmp handling.
var MaskedUnits = []string{
	"systemd-resolved.service", "systemd-networkd.service", "systemd-networkd.socket", "NetworkManager.service",
	"systemd-tmpfiles-setup.service", "systemd-tmpfiles-clean.service", "systemd-tmpfiles-clean.timer",
	"systemd-tmpfiles-setup-dev-early.service", "systemd-tmpfiles-setup-dev.service", "tmp.mount",
}

// WslConf is /etc/wsl.conf.
func (c Config) WslConf() string {
	// Microsoft's rules for distributions allow boot.systemd only: the user
	// comes from the out-of-box experience (wsl-distribution.conf)
	return "# UnisonOS on WSL\n[boot]\nsystemd=true\n"
}

// DistributionConf is /etc/wsl-distribution.conf (WSL 2.4.4+, .wsl files).
func (c Config) DistributionConf() string {
	return `# UnisonOS WSL distribution (wsl --install --from-file unisonos-<version>.wsl)
[oobe]
command = /usr/lib/wsl/oobe.sh
defaultUid = 1000
defaultName = UnisonOS

[shortcut]
icon = ` + IconPath + `

[windowsterminal]
profileTemplate = ` + TerminalProfilePath + `
`
}

// OOBEScript creates the default user (uid 1000) on first launch; it is
// idempotent and needs no password hash in the image. The proposed name is
// read from DefaultUserFile (written from Config.DefaultUser).
//
//go:embed oobe.sh
var OOBEScript string

// DefaultUserFile holds the user name the out-of-box script proposes.
const DefaultUserFile = "/usr/lib/wsl/default-user"

// TerminalProfilePath is the Windows Terminal profile template (mode 0640).
const TerminalProfilePath = "/usr/lib/wsl/terminal-profile.json"

// TerminalProfile is the Windows Terminal profile template.
func (c Config) TerminalProfile() string {
	b, _ := json.MarshalIndent(map[string]any{
		"profiles": []map[string]any{{"colorScheme": "One Half Dark", "font": map[string]string{"face": "Cascadia Mono"}}},
	}, "", "  ")
	return string(b) + "\n"
}

// FinalizeScript runs last in the root filesystem build, with MaskedUnits as
// its arguments. (/etc/resolv.conf is bind-mounted while a build step runs:
// the tarball excludes it.)
//
//go:embed finalize.sh
var FinalizeScript string

// Metadata is the bundle's metadata.json.
func (c Config) Metadata(flavor, commit string, built time.Time) (string, error) {
	b, err := json.MarshalIndent(map[string]string{
		"name": "unisonos-wsl", "version": c.Version, "flavor": flavor, "commit": commit,
		"build_date": built.UTC().Format(time.RFC3339), "default_user": c.DefaultUser,
		"rootfs": artifact.Name(artifact.WSLRootfs, c.Version), "wsl": artifact.Name(artifact.WSL, c.Version),
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
    wsl --manage UnisonOS --set-default-user <the user you created>

Verify first: compare the files' SHA-256 with the published .sha256 files.
The first launch creates your user (uid 1000). Then install the platform:

    sudo /opt/unison-platform/installer/install-wsl.sh

It creates /etc/unison/platform.env (mode 0600) with secrets generated on
your machine and starts the platform with systemd.
`, c.Version, artifact.Name(artifact.WSL, c.Version), artifact.Name(artifact.WSLRootfs, c.Version))
}

// CheckPackages validates package names before they reach apt-get (as
// arguments, never spliced into a script).
func CheckPackages(pkgs []string) error {
	for _, p := range pkgs {
		if !ident.Package(p) {
			return fmt.Errorf("packages: %q is not a Debian package name as apt takes it literally (lowercase letters, digits, '+', '-', '.'; no operator suffix, =version, /release or :arch)", p)
		}
	}
	return nil
}
