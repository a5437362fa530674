package main

import (
	"context"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/offline"
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

// Builds a 20 MB stand-in for the Ubuntu 24.04 live-server ISO, for tests and offline demos.
//
// Same boot layout (BIOS GRUB; UEFI through Debian's signed shim, GRUB and
// kernel, so that it boots with Secure Boot enforced; El Torito, casper/), a
// busybox probe instead of the installer. Byte-reproducible on a given day
// (the signed boot files are the tools image's archive's current ones).
func (l *Lab) StandinIso() *dagger.File {
	m := l.Root
	c := m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", standinSDE).
		WithMountedDirectory("/in", m.probeBoot())
	return runScript(c, "standin-iso.sh").File("/out/base.iso").WithName("ubuntu-24.04.3-live-server-amd64-standin.iso")
}

// standinCloudCfg configures the stand-in's cloud-init: networking stays
// with systemd-networkd (Ubuntu uses netplan), only NoCloud seeds are read,
// and the first-boot host key is ed25519 only (RSA keys take long under TCG).
const standinCloudCfg = `# stand-in image only
network: {config: disabled}
datasource_list: [NoCloud, None]
ssh_genkeytypes: [ed25519]
`

// guestModules are the stand-in kernel's modules Docker needs in the guest
// (overlay, bridge, veth, netfilter), for /usr/lib/modules.
func (m *UnisonPlatform) guestModules() *dagger.Directory {
	return runScript(m.tools(), "guest-modules.sh").Directory("/out")
}

// standinPackages are what the stand-in adds to the OS image: what an Ubuntu
// cloud image has that the platform's first boot and QA use (growpart and
// resize2fs grow the root to the disk; systemd-networkd and systemd-resolved,
// the guest's DNS, are packages of their own from Debian 13 on).
const standinPackages = "systemd-sysv udev kmod iproute2 ca-certificates cloud-init cloud-guest-utils e2fsprogs openssh-server sudo curl ufw unattended-upgrades"

// Builds a stand-in for the Ubuntu 24.04 cloud image (qcow2), for tests and offline demos.
//
// The OS image (--os-image: Ubuntu 24.04, or Debian 13 whose archive ships
// the same Docker and Compose v2) with systemd, cloud-init (NoCloud, default
// user ubuntu), OpenSSH, ufw and unattended-upgrades (inactive, as on
// Ubuntu), and no Docker: first boot installs it from the archive or the
// offline medium, as on Ubuntu. The probe kernel's modules for Docker's
// defaults (overlay2, bridge network, iptables) are in /usr/lib/modules.
// An ext4 root labelled cloudimg-rootfs in a GPT disk with Ubuntu's partition
// layout (root is #1 but not first on disk). Boot it with the probe kernel
// and initrd (probe-boot) and a NoCloud seed (nocloud-seed).
func (l *Lab) StandinCloudImage(
	ctx context.Context,
	// Also install Docker with Compose v2 from the archive (the packages an offline medium carries for the OS): the installed system as subiquity leaves it before late-commands, for qa-late-commands --target-image.
	// +optional
	docker bool,
) (*dagger.File, error) {
	m := l.Root
	base := amd64().From(m.OsImage).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec(aptInstall(standinPackages + " $(for p in systemd-networkd systemd-resolved; do apt-cache show $p >/dev/null 2>&1 && echo $p; done)"))
	if docker {
		// on the plain stand-in's packages (one install of those for both)
		osr, err := osRelease(ctx, m.OsImage)
		if err != nil {
			return nil, err
		}
		dp, err := offline.Packages(osr)
		if err != nil {
			return nil, err
		}
		base = base.WithExec(aptInstall(strings.Join(dp, " ")))
	}
	rootfs := base.
		WithDirectory("/usr/lib/modules", m.guestModules()).
		// networking like a cloud image: DHCP on the first NIC (qa-smoke forwards ports to it)
		WithNewFile("/etc/systemd/network/20-wired.network", "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n").
		WithNewFile("/etc/cloud/cloud.cfg.d/05-standin.cfg", standinCloudCfg).
		// like Ubuntu's cloud images: the default user is ubuntu; host keys are made at first boot
		WithExec([]string{"sed", "-i", "s/^\\(     *name: \\)debian$/\\1ubuntu/", "/etc/cloud/cloud.cfg"}).
		WithExec([]string{"sh", "-c", "grep -q 'name: ubuntu' /etc/cloud/cloud.cfg && rm -f /etc/ssh/ssh_host_*"}).
		WithExec([]string{"systemctl", "enable", "systemd-networkd.service", "systemd-resolved.service"}).
		Rootfs()
	c := m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", standinSDE).
		WithMountedDirectory("/rootfs", rootfs)
	return runScript(c, "standin-cloud.sh").File("/out/cloud.qcow2").WithName("ubuntu-24.04-server-cloudimg-amd64-standin.qcow2"), nil
}

// aptInstall is the exec that installs packages (a shell word list) from the
// image's archive and leaves no package lists behind.
func aptInstall(pkgs string) []string {
	return []string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends " + pkgs +
		" >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*"}
}

// Returns the kernel (vmlinuz) and busybox probe initrd (initrd.gz) that boot the stand-in images in QEMU.
func (l *Lab) ProbeBoot() *dagger.Directory {
	m := l.Root
	return m.probeBoot()
}
