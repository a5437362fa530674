package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/autoinstall"
	"github.com/project-unisonOS/unison-platform/pipelines/grub"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
)

// Builds unisonos-baremetal-<version>.iso: the full Ubuntu Server
// live-server ISO remastered with xorriso, with the autoinstall payload
// embedded (NoCloud user-data/meta-data, the platform bundle and models.json
// under /nocloud, autoinstall.yaml at the root) and every GRUB kernel line
// patched to start the unattended install. Returns a directory with the ISO
// and its .sha256 (dagger call baremetal-iso ... export --path out/).
//
// Inputs are validated before any download or build. The base ISO is checked
// against its pinned SHA-256 first. Byte-reproducible: timestamps come from
// --commit-time.
func (m *UnisonPlatform) BaremetalIso(
	ctx context.Context,
	// Version: names the ISO and derives the volume ID (at most 32 characters in all).
	// +optional
	// +default="0.0.0-dev"
	version string,
	// SSH public keys of the admin user (ed25519 recommended); required for stable versions (vX.Y.Z).
	// +optional
	sshAuthorizedKeys []string,
	// A file of SSH public keys, one per line (added to --ssh-authorized-keys).
	// +optional
	sshAuthorizedKeysFile *dagger.File,
	// crypt(3) hash of the admin password ($6$/$y$, mkpasswd -m sha-512), as a secret; never a plain password.
	// +optional
	passwordHash *dagger.Secret,
	// Host name of the installed system.
	// +optional
	// +default="unisonos"
	hostname string,
	// Admin user name.
	// +optional
	// +default="unison"
	adminUser string,
	// Extra Ubuntu packages to install.
	// +optional
	packages []string,
	// Locale.
	// +optional
	// +default="en_US.UTF-8"
	locale string,
	// Keyboard layout.
	// +optional
	// +default="us"
	keyboard string,
	// Time zone.
	// +optional
	// +default="Etc/UTC"
	timezone string,
	// Model flavor of the bundle (images/models.yaml).
	// +optional
	// +default="default"
	flavor string,
	// Platform version in the compatibility matrix; default: derived from version, else the newest.
	// +optional
	platformVersion string,
	// Commit SHA recorded in the bundle metadata.
	// +optional
	// +default="unknown"
	commit string,
	// Commit time, RFC 3339: SOURCE_DATE_EPOCH of the ISO and the bundle.
	// +optional
	// +default="1970-01-01T00:00:00Z"
	commitTime string,
	// Volume ID override (default: "UnisonOS <version> amd64", at most 32 characters).
	// +optional
	volumeId string,
	// Base ISO file (e.g. a local copy or a stand-in); default: the pinned Ubuntu 24.04 live-server download.
	// +optional
	baseIso *dagger.File,
	// Expected SHA-256 of --base-iso (checked when given).
	// +optional
	baseIsoSha256 string,
	// Build inputs (ubuntu.yaml pins, autoinstall template, models.yaml, compat.yaml).
	// +defaultPath="/images"
	images *dagger.Directory,
	// The installers.
	// +defaultPath="/installer"
	installer *dagger.Directory,
) (*dagger.Directory, error) {
	// 1. every input, before anything expensive
	volid := volumeId
	if volid == "" {
		var err error
		if volid, err = iso.VolumeID(version); err != nil {
			return nil, err
		}
	} else if err := iso.CheckVolumeID(volid); err != nil {
		return nil, err
	}
	keys, err := collectKeys(ctx, sshAuthorizedKeys, sshAuthorizedKeysFile)
	if err != nil {
		return nil, err
	}
	hash := ""
	if passwordHash != nil {
		if hash, err = passwordHash.Plaintext(ctx); err != nil {
			return nil, err
		}
		hash = strings.TrimSpace(hash)
	}
	bundleName := "unison-platform-bundle.tar.gz"
	tmpl, err := images.File("autoinstall/user-data.yaml.tmpl").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("images/autoinstall/user-data.yaml.tmpl: %w", err)
	}
	userData, err := autoinstall.Render(tmpl, autoinstall.Config{
		Hostname: hostname, Username: adminUser, SSHAuthorizedKeys: keys, PasswordHash: hash,
		ExtraPackages: packages, Locale: locale, KeyboardLayout: keyboard, Timezone: timezone,
		Stable: iso.IsStable(version), BundleFile: bundleName,
	})
	if err != nil {
		return nil, err
	}
	tree, created, err := m.bundleTree(ctx, bundleOpts{Version: version, Flavor: flavor, PlatformVersion: platformVersion,
		Commit: commit, CommitTime: commitTime, Images: images, Installer: installer})
	if err != nil {
		return nil, err
	}

	// 2. the base ISO, verified before use
	base, err := m.verifiedPin(ctx, images, "live_server_iso", "base-iso", baseIso, baseIsoSha256)
	if err != nil {
		return nil, err
	}

	// 3. GRUB configs: extracted with xorriso, patched in Go
	cfgs := m.tools().WithMountedFile("/in/base.iso", base).
		WithExec([]string{"sh", "-c", `set -e; mkdir -p /cfg
xorriso -osirrox on -indev /in/base.iso -extract /boot/grub /cfg/grub >/dev/null 2>&1 || true
ls /cfg/grub/grub.cfg >/dev/null 2>&1 || { echo "base ISO has no /boot/grub/grub.cfg: not an Ubuntu live-server ISO" >&2; exit 1; }`}).
		Directory("/cfg/grub")
	stage := dag.Directory()
	maps := []string{}
	for _, name := range []string{"grub.cfg", "loopback.cfg"} {
		entries, err := cfgs.Glob(ctx, name)
		if err != nil {
			return nil, err
		}
		if len(entries) == 0 {
			if name == "grub.cfg" {
				return nil, fmt.Errorf("base ISO: no /boot/grub/grub.cfg")
			}
			continue
		}
		orig, err := cfgs.File(name).Contents(ctx)
		if err != nil {
			return nil, err
		}
		patched, _, err := grub.Patch(orig, "")
		if err != nil {
			return nil, fmt.Errorf("base ISO /boot/grub/%s: %w", name, err)
		}
		stage = stage.WithNewFile("boot/grub/"+name, patched)
		maps = append(maps, "-map", "/stage/boot/grub/"+name, "/boot/grub/"+name)
	}

	// 4. remaster: replay the base's boot setup, map the payload
	instanceID := "unisonos-" + version
	stage = stage.
		WithNewFile("nocloud/user-data", userData).
		WithNewFile("nocloud/meta-data", autoinstall.MetaData(instanceID, hostname)).
		WithFile("nocloud/models.json", tree.File("models.json")).
		WithFile("nocloud/"+bundleName, m.bundleTar(tree, created, version)).
		WithNewFile("autoinstall.yaml", autoinstall.AutoinstallYAML(userData))
	maps = append(maps, "-map", "/stage/nocloud", "/nocloud", "-map", "/stage/autoinstall.yaml", "/autoinstall.yaml")
	out := iso.FileName(version)
	script := `set -e
find /stage -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
find /stage -type d -exec chmod 0755 {} +; find /stage -type f -exec chmod 0644 {} +
xorriso -indev /in/base.iso -outdev "/out/$OUT" -volid "$VOLID" "$@" -boot_image any replay 2>/tmp/xorriso.log || { cat /tmp/xorriso.log >&2; exit 1; }
cd /out && sha256sum "$OUT" > "$OUT.sha256"`
	return m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", fmt.Sprint(created.Unix())).
		WithEnvVariable("OUT", out).
		WithEnvVariable("VOLID", volid).
		WithMountedFile("/in/base.iso", base).
		WithDirectory("/stage", stage).
		// a mounted output is its own snapshot: no copy of the ISO out of the container's root filesystem
		WithMountedDirectory("/out", dag.Directory()).
		WithExec(append([]string{"sh", "-c", script, "remaster"}, maps...)).
		Directory("/out"), nil
}
