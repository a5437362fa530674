package main

import (
	"context"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// toolsPackages are installed once into the shared tools container; every
// artifact step starts from it, so it is built (and cached) a single time.
var toolsPackages = []string{
	"xorriso", "mtools", "dosfstools", "grub-pc-bin", "grub-efi-amd64-bin",
	"qemu-utils", "qemu-system-x86", "ovmf", "e2fsprogs", "fdisk",
	"libguestfs-tools", "linux-image-amd64", "busybox-static", "cpio",
	"ca-certificates", "curl", "jq", "python3", "git", "pigz",
}

// Toolbox is the cached tools container shared by every build step.
type Toolbox struct {
	// The tools container: xorriso, qemu-img, qemu-system-x86_64 (TCG), OVMF,
	// libguestfs (direct backend, forced TCG), e2fsprogs/debugfs, grub, mtools, git.
	Container *dagger.Container
}

// Returns the shared tools container (xorriso, qemu, OVMF, libguestfs, debugfs, grub), built once and cached.
func (m *UnisonPlatform) Toolbox() *Toolbox {
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

// tools is the tools container; rtar (reproducible tar) is on its PATH.
func (m *UnisonPlatform) tools() *dagger.Container {
	return amd64().From(m.ToolsImage).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c",
			"apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends " +
				strings.Join(toolsPackages, " ") + " >/dev/null && rm -rf /var/lib/apt/lists/*"}).
		// libguestfs must never try KVM: it hangs on machines whose /dev/kvm is unusable.
		WithEnvVariable("LIBGUESTFS_BACKEND", "direct").
		WithEnvVariable("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg").
		WithNewFile("/usr/local/bin/rtar", script("rtar.sh"), dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
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
