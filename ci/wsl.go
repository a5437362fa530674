package main

import (
	"context"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/offline"
	"github.com/project-unisonOS/unison-platform/pipelines/wsl"
)

// Builds the WSL distribution of UnisonOS: a root filesystem (wsl --import), a .wsl file and the WSL bundle, with .sha256 each.
//
// A door into `build ... wsl`: the root filesystem comes from the base OS
// image (--os-image) with Docker and compose v2 from the distribution, the
// platform bundle at /opt/unison-platform, /etc/wsl.conf and
// /etc/wsl-distribution.conf (out-of-box script creating the uid 1000
// user), following Microsoft's guidance for custom distributions (no
// resolv.conf, no password hashes, conflicting units masked).
// Byte-reproducible.
func (m *UnisonPlatform) WslBundle(
	ctx context.Context,
	// Version label, e.g. v1.2.3; default 0.0.0-dev.
	// +optional
	version string,
	// Model flavor of the bundle; default: default.
	// +optional
	flavor string,
	// Commit SHA recorded in metadata.json; default: HEAD of the module's git checkout.
	// +optional
	commit string,
	// Commit time, RFC 3339: build date and SOURCE_DATE_EPOCH; default: HEAD's commit time.
	// +optional
	commitTime string,
	// User the out-of-box script proposes to create (uid 1000); default: unison.
	// +optional
	adminUser string,
	// Packages for Docker and compose v2; default: what the distribution ships (Ubuntu: docker.io docker-compose-v2).
	// +optional
	packages []string,
	// A build file (docs/examples/unison.yaml): version, flavor, admin.user; the flags given here override its values.
	// +optional
	config *dagger.File,
) (*dagger.Directory, error) {
	b, err := m.open(ctx, door{identity: identity{Version: version, Flavor: flavor, Commit: commit, CommitTime: commitTime},
		User: adminUser, Config: config})
	if err != nil {
		return nil, err
	}
	return b.Wsl(ctx, packages)
}

// Builds the WSL distribution of this build: root filesystem tarball, .wsl file and WSL bundle, .sha256 each.
func (b *Build) Wsl(
	ctx context.Context,
	// Packages for Docker and compose v2; default: what the distribution ships (Ubuntu: docker.io docker-compose-v2).
	// +optional
	packages []string,
) (*dagger.Directory, error) {
	return b.wsl(ctx, packages, nil)
}

// wsl builds the WSL distribution from the bundle tree (rendered here when nil).
func (b *Build) wsl(ctx context.Context, packages []string, tree *dagger.Directory) (*dagger.Directory, error) {
	if err := b.noKernelArgs("the WSL distribution", "it runs WSL's kernel"); err != nil {
		return nil, err
	}
	cfg := wsl.Config{DefaultUser: b.AdminUser, Version: b.Version}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := wsl.CheckPackages(packages); err != nil {
		return nil, err
	}
	meta, err := cfg.Metadata(b.Flavor, b.Commit, b.created())
	if err != nil {
		return nil, err
	}
	tree, err = b.treeOr(ctx, tree)
	if err != nil {
		return nil, err
	}
	osr, err := osRelease(ctx, b.Root.OsImage)
	if err != nil {
		return nil, err
	}
	if len(packages) == 0 {
		// what the distribution ships, as an offline medium carries it
		if packages, err = offline.Packages(osr); err != nil {
			return nil, err
		}
	}
	sources, err := b.Root.aptSources(ctx, osr)
	if err != nil {
		return nil, err
	}
	c := b.Root.packer().
		WithEnvVariable("SOURCE_DATE_EPOCH", b.epoch()).
		WithEnvVariable("ROOTFS", artifact.Name(artifact.WSLRootfs, b.Version)).
		WithEnvVariable("WSLFILE", artifact.Name(artifact.WSL, b.Version)).
		WithEnvVariable("BUNDLE", artifact.Name(artifact.WSLBundle, b.Version)).
		WithEnvVariable("BUNDLE_DIR", bundle.InstallDir).
		WithMountedFile("/in/base.tar.gz", b.wslBaseTar(cfg, packages, sources)).
		WithMountedDirectory("/ov"+bundle.InstallDir, tree).
		WithMountedFile("/in/unison-platform-bundle.tar.gz", b.bundleTar(tree)).
		WithMountedDirectory("/opt-installer", b.Root.Installer).
		WithDirectory("/meta", dag.Directory().WithNewFile("metadata.json", meta).WithNewFile("README.md", cfg.Readme())).
		WithMountedDirectory("/out", dag.Directory()) // its own snapshot: no copy out of the root filesystem
	return runScript(c, "wsl-pack.sh").Directory("/out"), nil
}

// wslBaseTar is the root filesystem without the platform bundle as the
// first gzip member of the tarball (wsl-base.sh): it depends on the OS
// image, the packages and the commit time, not on the bundle, so a new
// bundle reuses it from the cache and compresses only itself.
func (b *Build) wslBaseTar(cfg wsl.Config, packages []string, sources *dagger.File) *dagger.File {
	c := b.Root.packer().
		WithEnvVariable("SOURCE_DATE_EPOCH", b.epoch()).
		WithEnvVariable("BUNDLE_DIR", bundle.InstallDir).
		WithMountedDirectory("/rootfs", b.wslBase(cfg, packages, sources))
	return runScript(c, "wsl-base.sh").File("/out/base.tar.gz")
}

// wslBase builds the root filesystem, all but the platform bundle, as a
// container from the base OS image; packages from the pinned archive.
func (b *Build) wslBase(cfg wsl.Config, packages []string, sources *dagger.File) *dagger.Directory {
	c := b.Root.withAptPin(amd64().From(b.Root.OsImage), sources).WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").With(b.Root.nonce)
	c = runScript(c, "wsl-rootfs.sh", packages...).
		WithNewFile("/etc/wsl.conf", cfg.WslConf()).
		WithNewFile("/etc/wsl-distribution.conf", cfg.DistributionConf()).
		WithNewFile("/usr/lib/wsl/oobe.sh", wsl.OOBEScript, dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithNewFile(wsl.DefaultUserFile, cfg.DefaultUser+"\n").
		WithNewFile(wsl.TerminalProfilePath, cfg.TerminalProfile(), dagger.ContainerWithNewFileOpts{Permissions: 0o640}).
		WithNewFile(wsl.IconPath, string(wsl.Icon()))
	// no platform.env in the image: install-wsl.sh creates it on the machine, with its own secrets
	return runText(c, "wsl-finalize.sh", wsl.FinalizeScript, wsl.MaskedUnits...).Rootfs()
}
