package main

import (
	"context"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// The package sets of the tools containers. Each kind of step starts from
// the tools image with only what it runs, so a cold build of one artifact
// waits for its own few packages, not for every tool of the module; each
// set is installed once and cached.
var (
	// isoPackages remaster, read and seed ISOs (openssl: the SHA-256 of the
	// written ISO with the CPU's SHA extensions).
	isoPackages = []string{"xorriso", "openssl"}
	// diskPackages read partition tables and write into disk images.
	diskPackages = []string{"qemu-utils", "e2fsprogs", "fdisk", "jq"}
	// packPackages compress root filesystems on every core and hash them with the CPU's SHA extensions.
	packPackages = []string{"pigz", "openssl"}
	// gitPackages read the checkout's commit time.
	gitPackages = []string{"git", "ca-certificates"}
	// toolsPackages are the full set: QA boots (QEMU, OVMF, a kernel for
	// probe boots), the stand-ins (GRUB images), release verification and SBOMs.
	toolsPackages = []string{
		"xorriso", "mtools", "dosfstools", "grub-pc-bin", "grub-efi-amd64-bin",
		"qemu-utils", "qemu-system-x86", "ovmf", "e2fsprogs", "fdisk",
		"linux-image-amd64", "busybox-static", "cpio",
		"ca-certificates", "curl", "jq", "python3", "git", "pigz",
	}
)

// Toolbox is the full tools container (QA, stand-ins, release checks).
type Toolbox struct {
	// The tools container: xorriso, qemu-img, qemu-system-x86_64 (TCG), OVMF,
	// e2fsprogs/debugfs, grub, mtools, git.
	Container *dagger.Container
}

// Returns the full tools container (xorriso, qemu, OVMF, debugfs, grub), built once and cached.
func (l *Lab) Toolbox() *Toolbox {
	m := l.Root
	return &Toolbox{Container: m.tools()}
}

// amd64 is an empty container for linux/amd64: the artifacts are amd64 (the
// kernel, GRUB and WSL packages exist only there), so on an arm64 host the
// engine emulates instead of building for the wrong architecture.
func amd64() *dagger.Container {
	return dag.Container(dagger.ContainerOpts{Platform: "linux/amd64"})
}

// archiver is the small container of the archive steps (the bundle): the
// tools image as it comes (tar, gzip, find), rtar on its PATH; no package
// install, so a cold bundle build does not wait for the tools container.
func (m *UnisonPlatform) archiver() *dagger.Container {
	return amd64().From(m.ToolsImage).
		WithNewFile("/usr/local/bin/rtar", script("rtar.sh"), dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithWorkdir("/work").
		With(m.nonce)
}

// tools is the full tools container (QA boots, stand-ins, release checks).
func (m *UnisonPlatform) tools() *dagger.Container { return m.withPackages(toolsPackages) }

// isoTools runs xorriso: remastering, reading and seeding ISOs.
func (m *UnisonPlatform) isoTools() *dagger.Container { return m.withPackages(isoPackages) }

// diskTools runs qemu-img, sfdisk and debugfs on disk images.
func (m *UnisonPlatform) diskTools() *dagger.Container { return m.withPackages(diskPackages) }

// packer compresses root filesystems with pigz (and hashes them with OpenSSL).
func (m *UnisonPlatform) packer() *dagger.Container { return m.withPackages(packPackages) }

// gitTools reads the module's git checkout.
func (m *UnisonPlatform) gitTools() *dagger.Container { return m.withPackages(gitPackages) }

// withPackages is the tools image with pkgs installed; rtar (reproducible
// tar) and sha256 (FILE.sha256 files, with OpenSSL when pkgs have it) are
// on its PATH.
func (m *UnisonPlatform) withPackages(pkgs []string) *dagger.Container {
	return amd64().From(m.ToolsImage).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c",
			"apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends " +
				strings.Join(pkgs, " ") + " >/dev/null && rm -rf /var/lib/apt/lists/*"}).
		WithNewFile("/usr/local/bin/rtar", script("rtar.sh"), dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("/usr/local/bin/sha256", script("sha256.sh"), dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithWorkdir("/work").
		With(m.nonce)
}

// nonce makes every later step of c a new one when the module was called
// with --cache-nonce (reproducibility checks); else it changes nothing.
func (m *UnisonPlatform) nonce(c *dagger.Container) *dagger.Container {
	if m.CacheNonce == "" {
		return c
	}
	return c.WithEnvVariable("UNISON_CACHE_NONCE", m.CacheNonce)
}

// Reports the versions of the main tools in the tools container.
func (t *Toolbox) Versions(ctx context.Context) (string, error) {
	return runScript(t.Container, "tools-versions.sh").Stdout(ctx)
}
