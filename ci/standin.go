package main

import (
	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// Stand-ins: small inputs with the real Ubuntu layouts, built inside the
// pipeline so tests and offline demos need no download. Production builds
// use the pinned Ubuntu images of images/ubuntu.yaml instead.

// standinSDE fixes every timestamp of the stand-ins: they are byte-reproducible.
const standinSDE = "1700000000"

// probeBoot returns the stand-in kernel and probe initrd (vmlinuz, initrd.gz).
func (m *UnisonPlatform) probeBoot() *dagger.Directory {
	return runScript(m.tools(), "probe-initrd.sh").Directory("/out")
}

// Builds a 15 MB stand-in for the Ubuntu 24.04 live-server ISO, for tests and offline demos.
//
// Same boot layout (BIOS and UEFI GRUB, El Torito, casper/), a busybox probe
// instead of the installer. Byte-reproducible.
func (m *UnisonPlatform) StandinIso() *dagger.File {
	c := m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", standinSDE).
		WithMountedDirectory("/in", m.probeBoot())
	return runScript(c, "standin-iso.sh").File("/out/base.iso").WithName("ubuntu-24.04.3-live-server-amd64-standin.iso")
}

// dockerStandin stands in for Ubuntu's docker.io in the stand-in cloud image
// (Debian's minimal root has no Docker and the boot test has no network).
const dockerStandin = `#!/bin/sh
# stand-in image only: a fake docker CLI that answers like Docker with compose v2
echo "docker $*" >> /var/log/docker-standin.log
[ "$1 $2" = "compose version" ] && echo "Docker Compose version v2.24.6 (stand-in)"
exit 0
`

// Builds a stand-in for the Ubuntu 24.04 cloud image (qcow2), for tests and offline demos.
//
// Debian with systemd on an ext4 root labelled cloudimg-rootfs, in a GPT disk
// with Ubuntu's partition layout (root is #1 but not first on disk). Boot it
// with the probe kernel and initrd (probe-boot).
func (m *UnisonPlatform) StandinCloudImage() *dagger.File {
	rootfs := amd64().From(m.ToolsImage).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends systemd-sysv udev python3 >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*"}).
		WithNewFile("/usr/local/bin/docker", dockerStandin, dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		// networking like a cloud image: DHCP on the first NIC (qa-smoke forwards ports to it)
		WithNewFile("/etc/systemd/network/20-wired.network", "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n").
		WithExec([]string{"systemctl", "enable", "systemd-networkd.service"}).
		Rootfs()
	c := m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", standinSDE).
		WithMountedDirectory("/rootfs", rootfs)
	return runScript(c, "standin-cloud.sh").File("/out/cloud.qcow2").WithName("ubuntu-24.04-server-cloudimg-amd64-standin.qcow2")
}

// Returns the kernel (vmlinuz) and busybox probe initrd (initrd.gz) that boot the stand-in images in QEMU.
func (m *UnisonPlatform) ProbeBoot() *dagger.Directory {
	return m.probeBoot()
}
