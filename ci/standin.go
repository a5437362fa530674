package main

import (
	_ "embed"

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

// composeStandin is what the stand-in's docker CLI (scripts/docker-standin.sh)
// runs for `docker compose up`: the services' endpoints on 127.0.0.1.
//
//go:embed standin/compose-standin.py
var composeStandin string

// composePlugin is the stand-in's compose v2 CLI plugin for the real docker
// CLI (offline builds install docker.io from the medium; Debian 12 has no
// compose v2 package).
//
//go:embed standin/compose-plugin.py
var composePlugin string

// dockerDaemonStandin configures the real Docker of offline builds for the
// stand-in kernel (no overlay, bridge or netfilter modules in the image).
const dockerDaemonStandin = `{"storage-driver": "vfs", "iptables": false, "ip6tables": false, "bridge": "none"}
`

// dockerServiceStandin is the stand-in's docker.service (the installer
// enables it, as it does Ubuntu's).
const dockerServiceStandin = `[Unit]
Description=Docker stand-in (stand-in image only)

[Service]
Type=oneshot
ExecStart=/bin/true
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
`

// standinCloudCfg configures the stand-in's cloud-init: networking stays
// with systemd-networkd (Ubuntu uses netplan), only NoCloud seeds are read,
// and the first-boot host key is ed25519 only (RSA keys take long under TCG).
const standinCloudCfg = `# stand-in image only
network: {config: disabled}
datasource_list: [NoCloud, None]
ssh_genkeytypes: [ed25519]
`

// Builds a stand-in for the Ubuntu 24.04 cloud image (qcow2), for tests and offline demos.
//
// Debian with systemd, cloud-init (NoCloud, default user ubuntu), OpenSSH,
// ufw and unattended-upgrades (inactive, as on Ubuntu) and a docker CLI
// stand-in whose `compose up` serves the services' endpoints on 127.0.0.1,
// on an ext4 root labelled cloudimg-rootfs, in a GPT disk with Ubuntu's
// partition layout (root is #1 but not first on disk). Boot it with the probe
// kernel and initrd (probe-boot) and a NoCloud seed (nocloud-seed).
func (m *UnisonPlatform) StandinCloudImage() *dagger.File {
	rootfs := amd64().From(m.ToolsImage).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends " +
			"systemd-sysv udev python3 cloud-init openssh-server sudo curl ufw unattended-upgrades >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*"}).
		// Ubuntu's docker.io puts the CLI at /usr/bin/docker (the platform unit runs it from there)
		WithNewFile("/usr/bin/docker", script("docker-standin.sh"), dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("/usr/local/lib/unison-standin/compose-standin.py", composeStandin, dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("/lib/systemd/system/docker.service", dockerServiceStandin).
		WithNewFile("/usr/libexec/docker/cli-plugins/docker-compose", composePlugin, dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("/etc/docker/daemon.json", dockerDaemonStandin).
		// networking like a cloud image: DHCP on the first NIC (qa-smoke forwards ports to it)
		WithNewFile("/etc/systemd/network/20-wired.network", "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n").
		WithNewFile("/etc/cloud/cloud.cfg.d/05-standin.cfg", standinCloudCfg).
		// like Ubuntu's cloud images: the default user is ubuntu; host keys are made at first boot
		WithExec([]string{"sed", "-i", "s/^\\(     *name: \\)debian$/\\1ubuntu/", "/etc/cloud/cloud.cfg"}).
		WithExec([]string{"sh", "-c", "grep -q 'name: ubuntu' /etc/cloud/cloud.cfg && rm -f /etc/ssh/ssh_host_*"}).
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
