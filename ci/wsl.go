package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/wsl"
)

// Builds the WSL distribution of UnisonOS from the base OS image
// (--os-image): a root filesystem with Docker and compose v2 from the
// distribution, the platform bundle at /opt/unisonos, /etc/wsl.conf
// (systemd, default user) and /etc/wsl-distribution.conf (out-of-box script
// creating the uid 1000 user), following Microsoft's guidance for custom
// distributions (no resolv.conf, no password hashes, conflicting units masked).
//
// Returns a directory with unisonos-wsl-rootfs-<version>.tar.gz (wsl --import),
// unisonos-<version>.wsl (wsl --install --from-file), the bundle
// unisonos-wsl-<version>.tar.gz (metadata.json, README, install-wsl.sh,
// platform bundle) and a .sha256 for each. Byte-reproducible.
func (m *UnisonPlatform) WslBundle(
	ctx context.Context,
	// Version label.
	// +optional
	// +default="0.0.0-dev"
	version string,
	// Default user created by the out-of-box script (uid 1000).
	// +optional
	// +default="unison"
	defaultUser string,
	// Packages for Docker and compose v2; default: what the distribution ships
	// (Ubuntu: docker.io docker-compose-v2; Debian: docker.io docker-compose).
	// +optional
	packages []string,
	// Model flavor of the bundle.
	// +optional
	// +default="default"
	flavor string,
	// Platform version in the compatibility matrix; default: derived from version, else the newest.
	// +optional
	platformVersion string,
	// Commit SHA recorded in metadata.json.
	// +optional
	// +default="unknown"
	commit string,
	// Commit time, RFC 3339: build date and SOURCE_DATE_EPOCH.
	// +optional
	// +default="1970-01-01T00:00:00Z"
	commitTime string,
	// Build inputs (models.yaml, compat.yaml).
	// +defaultPath="/images"
	images *dagger.Directory,
	// The installers.
	// +defaultPath="/installer"
	installer *dagger.Directory,
) (*dagger.Directory, error) {
	cfg := wsl.Config{DefaultUser: defaultUser, Version: version}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	tree, created, err := m.bundleTree(ctx, bundleOpts{Version: version, Flavor: flavor, PlatformVersion: platformVersion,
		Commit: commit, CommitTime: commitTime, Images: images, Installer: installer})
	if err != nil {
		return nil, err
	}
	platformBundle := m.bundleTar(tree, created, version)
	sde := fmt.Sprint(created.Unix())

	// the root filesystem, built as a container from the base OS image
	pk := strings.Join(packages, " ")
	root := dag.Container().From(m.OsImage).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c", `set -e
. /etc/os-release
PK="` + pk + `"
if [ -z "$PK" ]; then
  case "$ID" in ubuntu) PK="docker.io docker-compose-v2" ;; *) PK="docker.io docker-compose" ;; esac
fi
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends ca-certificates curl sudo systemd systemd-sysv dbus iproute2 $PK >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/*`}).
		WithDirectory("/opt/unisonos", tree).
		WithNewFile("/etc/wsl.conf", cfg.WslConf()).
		WithNewFile("/etc/wsl-distribution.conf", cfg.DistributionConf()).
		WithNewFile("/usr/lib/wsl/oobe.sh", cfg.OOBEScript(), dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("/usr/lib/wsl/terminal-profile.json", cfg.TerminalProfile()).
		WithNewFile("/etc/unison/platform.env", string(bundle.Input{Flavor: flavor}.EnvTemplate()), dagger.ContainerWithNewFileOpts{Permissions: 0o600}).
		WithExec([]string{"sh", "-c", wsl.FinalizeScript})

	name := func(kind string) string { return wsl.FileName(kind, version) }
	script := `set -e
mkdir -p /out
cd /rootfs
find opt/unisonos usr/lib/wsl etc/wsl.conf etc/wsl-distribution.conf etc/unison -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
` + reproducibleTar + ` --xattrs --xattrs-include='security.capability' \
  --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* --exclude=./run/* --exclude=./tmp/* \
  --exclude=./var/log/* --exclude=./var/cache/apt/* --exclude=./var/lib/apt/lists/* \
  --exclude=./var/cache/ldconfig/aux-cache --exclude='./var/cache/debconf/*-old' --exclude=./etc/resolv.conf \
  --exclude=./.dockerenv -cf - . | gzip -n -6 > "/out/$ROOTFS"
cp "/out/$ROOTFS" "/out/$WSLFILE"
mkdir -p /b/unisonos-wsl
cp /meta/* /b/unisonos-wsl/
cp /in/unison-platform-bundle.tar.gz /b/unisonos-wsl/
install -m 0755 /opt-installer/install-wsl.sh /opt-installer/common.sh /b/unisonos-wsl/
find /b -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
chmod 0644 /b/unisonos-wsl/metadata.json /b/unisonos-wsl/README.md /b/unisonos-wsl/unison-platform-bundle.tar.gz
cd /b && ` + reproducibleTarGz + ` -cf - unisonos-wsl | gzip -n -9 > "/out/$BUNDLE"
cd /out && for f in "$ROOTFS" "$WSLFILE" "$BUNDLE"; do sha256sum "$f" > "$f.sha256"; done`
	meta, err := cfg.Metadata(flavor, commit, created)
	if err != nil {
		return nil, err
	}
	return m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", sde).
		WithEnvVariable("ROOTFS", name("rootfs")).
		WithEnvVariable("WSLFILE", name("wsl")).
		WithEnvVariable("BUNDLE", name("bundle")).
		WithMountedDirectory("/rootfs", root.Rootfs()).
		WithMountedFile("/in/unison-platform-bundle.tar.gz", platformBundle).
		WithMountedDirectory("/opt-installer", installer).
		WithDirectory("/meta", dag.Directory().WithNewFile("metadata.json", meta).WithNewFile("README.md", cfg.Readme())).
		WithMountedDirectory("/out", dag.Directory()). // its own snapshot: no copy out of the root filesystem
		WithExec([]string{"sh", "-c", script}).
		Directory("/out"), nil
}
