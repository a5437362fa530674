package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/vm"
)

// Builds unisonos-linux-vm-<version>.qcow2 (and optionally .vmdk) from the
// Ubuntu 24.04 cloud image, customized without KVM, root or loop devices:
// the root partition is found by its label (cloudimg-rootfs), and the
// platform bundle (/opt/unison-platform), the first-boot unit and script,
// cloud-init defaults (admin user with SSH keys, no password login, host
// name, root grown on first boot) and optional extra files are written into
// its ext4 filesystem with debugfs. The disk is resized (sparse) and written
// as a compressed qcow2; a .sha256 accompanies each output.
func (m *UnisonPlatform) LinuxVm(
	ctx context.Context,
	// Version label.
	// +optional
	// +default="0.0.0-dev"
	version string,
	// SSH public keys of the admin user (ed25519 recommended); at least one, password login is off.
	// +optional
	sshAuthorizedKeys []string,
	// A file of SSH public keys, one per line.
	// +optional
	sshAuthorizedKeysFile *dagger.File,
	// Host name.
	// +optional
	// +default="unisonos"
	hostname string,
	// Admin user name.
	// +optional
	// +default="unison"
	adminUser string,
	// Virtual disk size (sparse); the root filesystem grows to it on first boot.
	// +optional
	// +default="32G"
	diskSize string,
	// Also write a streamOptimized .vmdk.
	// +optional
	vmdk bool,
	// Extra files copied into the root filesystem (paths relative to /).
	// +optional
	extraFiles *dagger.Directory,
	// Model flavor of the bundle.
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
	// Commit time, RFC 3339: SOURCE_DATE_EPOCH of the customization.
	// +optional
	// +default="1970-01-01T00:00:00Z"
	commitTime string,
	// Base cloud image (qcow2 or raw); default: the pinned Ubuntu 24.04 cloud image.
	// +optional
	baseImage *dagger.File,
	// Expected SHA-256 of --base-image (checked when given).
	// +optional
	baseImageSha256 string,
	// Build inputs (ubuntu.yaml pins, models.yaml, compat.yaml).
	// +defaultPath="/images"
	images *dagger.Directory,
	// The installers.
	// +defaultPath="/installer"
	installer *dagger.Directory,
) (*dagger.Directory, error) {
	keys, err := collectKeys(ctx, sshAuthorizedKeys, sshAuthorizedKeysFile)
	if err != nil {
		return nil, err
	}
	cfg := vm.Config{Hostname: hostname, AdminUser: adminUser, SSHAuthorizedKeys: keys, Version: version}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if err := vm.CheckSize(diskSize); err != nil {
		return nil, err
	}
	tree, created, err := m.bundleTree(ctx, bundleOpts{Version: version, Flavor: flavor, PlatformVersion: platformVersion,
		Commit: commit, CommitTime: commitTime, Images: images, Installer: installer})
	if err != nil {
		return nil, err
	}
	base, err := m.verifiedPin(ctx, images, "cloud_image", "base-image", baseImage, baseImageSha256)
	if err != nil {
		return nil, err
	}

	// 1. find the root partition (by label, never by number)
	root, sector, err := m.rootPartition(ctx, base)
	if err != nil {
		return nil, err
	}

	// 2. what goes into the root filesystem
	stage := dag.Directory().
		WithDirectory("opt/unison-platform", tree).
		WithNewFile("opt/unison-platform/bin/unisonos-firstboot", vm.FirstbootScript, dagger.DirectoryWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("etc/systemd/system/unisonos-firstboot.service", vm.FirstbootUnit).
		WithNewFile("etc/cloud/cloud.cfg.d/99-unisonos.cfg", cfg.CloudInit()).
		WithNewFile("etc/ssh/sshd_config.d/90-unisonos.conf", vm.SSHDConfig)
	if extraFiles != nil {
		stage = stage.WithDirectory(".", extraFiles)
	}

	// 3. inject with debugfs (userspace: no mount, no loop, no appliance), convert, check
	qcow := vm.FileName(version, "qcow2")
	script := `set -e
mkdir -p /w /out
qemu-img convert -O raw /in/base.img /w/disk.raw
FS="/w/disk.raw?offset=$OFFSET"
find /stage -type f -name '*.sh' -exec chmod 0755 {} +
: > /w/cmds
cd /stage
find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
  t=${p#.}
  if [ -L "$p" ]; then
    echo "rm $t"; echo "symlink $t $(readlink "$p")"
  elif [ -d "$p" ]; then
    echo "mkdir $t"
  else
    echo "rm $t"; echo "write $p $t"; echo "sif $t mode 0100$(stat -c %a "$p")"
  fi
  [ -L "$p" ] || { echo "sif $t uid 0"; echo "sif $t gid 0"; }
done >> /w/cmds
echo "mkdir /etc/systemd/system/multi-user.target.wants" >> /w/cmds
echo "rm /etc/systemd/system/multi-user.target.wants/unisonos-firstboot.service" >> /w/cmds
echo "symlink /etc/systemd/system/multi-user.target.wants/unisonos-firstboot.service /etc/systemd/system/unisonos-firstboot.service" >> /w/cmds
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f /w/cmds "$FS" > /w/debugfs.log 2>&1 || { cat /w/debugfs.log; exit 1; }
# expected chatter: command echo, "Allocated inode", mkdir of existing folders, rm of new files
if grep -vE '^debugfs|^Allocated inode: [0-9]+$|already exists|File not found by ext2_lookup' /w/debugfs.log | grep -q .; then
  echo "debugfs reported errors:"; grep -vE '^debugfs|^Allocated inode: [0-9]+$|already exists|File not found by ext2_lookup' /w/debugfs.log; exit 1
fi
e2fsck -fn "$FS" > /w/fsck.log 2>&1 || { cat /w/fsck.log; echo "e2fsck found problems after injection"; exit 1; }
qemu-img convert -c -O qcow2 /w/disk.raw "/out/$QCOW"
rm -f /w/disk.raw
qemu-img resize -q "/out/$QCOW" "$SIZE"
qemu-img check -q "/out/$QCOW"
if [ "$VMDK" = 1 ]; then
  qemu-img convert -O vmdk -o subformat=streamOptimized "/out/$QCOW" "/out/${QCOW%.qcow2}.vmdk"
  qemu-img check -q "/out/${QCOW%.qcow2}.vmdk"
fi
cd /out && for f in *; do sha256sum "$f" > "$f.sha256"; done`
	vmdkFlag := "0"
	if vmdk {
		vmdkFlag = "1"
	}
	return m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", fmt.Sprint(created.Unix())).
		WithEnvVariable("OFFSET", fmt.Sprint(root.Start*sector)).
		WithEnvVariable("QCOW", qcow).
		WithEnvVariable("SIZE", diskSize).
		WithEnvVariable("VMDK", vmdkFlag).
		WithMountedFile("/in/base.img", base).
		WithDirectory("/stage", stage).
		WithMountedDirectory("/out", dag.Directory()). // its own snapshot: no copy out of the root filesystem
		WithExec([]string{"sh", "-c", script}).
		Directory("/out"), nil
}

// rootPartition finds the root partition of a disk image (qcow2 or raw): the
// one labelled cloudimg-rootfs, whatever its number. It returns the partition
// and the sector size.
func (m *UnisonPlatform) rootPartition(ctx context.Context, image *dagger.File) (vm.Partition, int64, error) {
	inspect := m.tools().WithMountedFile("/in/base.img", image).
		WithExec([]string{"sh", "-c", `set -e; mkdir -p /w /o
qemu-img convert -O raw /in/base.img /w/disk.raw
sfdisk --json /w/disk.raw > /o/parts.json
jq -r '.partitiontable.partitions[] | "\(.node) \(.start)"' /o/parts.json | while read -r node start; do
  n=$(echo "$node" | sed 's/.*[^0-9]\([0-9]*\)$/\1/')
  echo "$n $(blkid -p -O $((start*512)) -s LABEL -o value /w/disk.raw 2>/dev/null || true)"
done > /o/labels.txt
rm -f /w/disk.raw`})
	partsJSON, err := inspect.File("/o/parts.json").Contents(ctx)
	if err != nil {
		return vm.Partition{}, 0, err
	}
	labels, err := inspect.File("/o/labels.txt").Contents(ctx)
	if err != nil {
		return vm.Partition{}, 0, err
	}
	parts, sector, err := vm.ParsePartitions([]byte(partsJSON))
	if err != nil {
		return vm.Partition{}, 0, err
	}
	for _, l := range strings.Split(labels, "\n") {
		var idx int
		var label string
		if n, _ := fmt.Sscan(l, &idx, &label); n == 2 {
			for i := range parts {
				if parts[i].Index == idx {
					parts[i].Label = label
				}
			}
		}
	}
	root, err := vm.FindRoot(parts)
	return root, sector, err
}
