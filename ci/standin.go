package main

import (
	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// Stand-ins: small inputs with the real Ubuntu layouts, built inside the
// pipeline so tests and offline demos need no download. Production builds
// use the pinned Ubuntu images of images/ubuntu.yaml instead.

// standinSDE fixes every timestamp of the stand-ins: they are byte-reproducible.
const standinSDE = "1700000000"

// probeInitrd is a busybox initrd. On a CD boot it prints the kernel command
// line and the NoCloud user-data it finds on /cdrom, then powers off. With
// probe=disk on the command line it mounts the root filesystem of a disk image
// (/dev/vda1, or the partition labelled cloudimg-rootfs) and hands over to systemd.
const probeInitrdScript = `set -eu
KV=$(ls /lib/modules | sort | tail -1)
M=/lib/modules/$KV/kernel
D=$(mktemp -d)
mkdir -p $D/bin $D/dev $D/proc $D/sys $D/cdrom $D/newroot $D/mods
cp /bin/busybox $D/bin/busybox
for a in sh mount umount insmod sleep cat echo poweroff ls switch_root mkdir grep sed findfs blkid; do ln -s busybox $D/bin/$a; done
for m in drivers/scsi/scsi_common drivers/scsi/scsi_mod drivers/ata/libata drivers/ata/ata_piix \
         drivers/cdrom/cdrom drivers/scsi/sr_mod fs/isofs/isofs \
         drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
         drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk \
         lib/crc16 fs/mbcache fs/jbd2/jbd2 crypto/crc32c_generic lib/libcrc32c fs/ext4/ext4 \
         net/core/failover drivers/net/net_failover drivers/net/virtio_net; do
  cp $M/$m.ko $D/mods/
done
cat > $D/init <<'EOS'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ld() { for m in "$@"; do insmod /mods/$m.ko || echo "PROBE-INSMOD-FAILED $m"; done; }
waitdev() { i=0; while [ ! -b "$1" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done; }
if grep -q 'probe=hang' /proc/cmdline; then
  echo "PROBE-HANG: this boot hangs on purpose (tests of boot timeouts)"
  while :; do sleep 3600; done
fi
if grep -q 'probe=disk' /proc/cmdline; then
  ld virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic libcrc32c ext4 failover net_failover virtio_net
  waitdev /dev/vda
  sleep 0.5
  ROOT=$(findfs LABEL=cloudimg-rootfs 2>/dev/null || echo /dev/vda1)
  echo "PROBE-ROOT: $ROOT"
  mount -t ext4 "$ROOT" /newroot || { echo "PROBE: cannot mount $ROOT"; poweroff -f; }
  umount /proc /sys; mount --move /dev /newroot/dev 2>/dev/null || umount /dev
  exec switch_root /newroot /sbin/init
fi
ld scsi_common scsi_mod libata ata_piix cdrom sr_mod isofs
waitdev /dev/sr0
echo "PROBE-CMDLINE: $(cat /proc/cmdline)"
if mount -t iso9660 -o ro /dev/sr0 /cdrom; then
  echo "PROBE-CDROM-MOUNTED"
  if [ -f /cdrom/nocloud/user-data ]; then
    echo "PROBE-USERDATA-BEGIN"; cat /cdrom/nocloud/user-data; echo "PROBE-USERDATA-END"
    ls /cdrom/nocloud | sed 's/^/PROBE-NOCLOUD-FILE: /'
  else
    echo "PROBE-NO-USERDATA"
  fi
  [ -f /cdrom/autoinstall.yaml ] && echo "PROBE-AUTOINSTALL-YAML-PRESENT"
else
  echo "PROBE-CDROM-MOUNT-FAILED"
fi
echo "PROBE-DONE"
poweroff -f
EOS
chmod +x $D/init
find $D -exec touch -h -d @0 {} +
mkdir -p /out
(cd $D && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n > /out/initrd.gz
cp /boot/vmlinuz-$KV /out/vmlinuz
`

// standinISOScript builds an ISO with the boot layout of Ubuntu 22.04/24.04
// live-server: hybrid MBR, EFI system partition appended as GPT partition 2,
// El Torito BIOS (eltorito.img) and UEFI entries, casper/, .disk/info,
// boot/grub/grub.cfg and loopback.cfg with `---` kernel lines.
const standinISOScript = `set -eu
T=$(mktemp -d); B=$(mktemp -d)
mkdir -p $T/casper $T/boot/grub/i386-pc $T/.disk
cp /in/vmlinuz $T/casper/vmlinuz
cp /in/initrd.gz $T/casper/initrd
echo 'Ubuntu-Server 24.04.3 LTS "Noble Numbat" - Release amd64 (UnisonOS stand-in)' > $T/.disk/info
cat > $T/boot/grub/grub.cfg <<'G'
set timeout=1
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial

menuentry "Try or Install Ubuntu Server" {
	set gfxpayload=keep
	linux	/casper/vmlinuz  --- console=ttyS0
	initrd	/casper/initrd
}
menuentry "Ubuntu Server with the HWE kernel" {
	set gfxpayload=keep
	linux	/casper/vmlinuz  --- console=ttyS0
	initrd	/casper/initrd
}
if [ "$grub_platform" = "efi" ]; then
menuentry 'Boot from next volume' {
	exit 1
}
menuentry 'UEFI Firmware Settings' {
	fwsetup
}
fi
G
cat > $T/boot/grub/loopback.cfg <<'G'
menuentry "Try or Install Ubuntu Server" {
	set gfxpayload=keep
	linux	/casper/vmlinuz  iso-scan/filename=${iso_path} --- console=ttyS0
	initrd	/casper/initrd
}
G
MODS="normal configfile linux search search_fs_file search_fs_uuid search_label iso9660 part_gpt part_msdos fat echo test serial terminal loadenv ls cat true gzio"
grub-mkimage -O i386-pc-eltorito -p /boot/grub -o $T/boot/grub/i386-pc/eltorito.img $MODS biosdisk
printf 'search --file --set=root /.disk/info\nset prefix=($root)/boot/grub\n' > $B/early.cfg
grub-mkimage -O x86_64-efi -p /boot/grub -c $B/early.cfg -o $B/BOOTX64.EFI $MODS efi_gop efi_uga
mkfs.fat -C --invariant -n ESP $B/efi.img 4096 >/dev/null
mmd -i $B/efi.img ::/EFI ::/EFI/BOOT
touch -d @$SOURCE_DATE_EPOCH $B/BOOTX64.EFI
mcopy -m -i $B/efi.img $B/BOOTX64.EFI ::/EFI/BOOT/BOOTX64.EFI
find $T -exec touch -h -d @$SOURCE_DATE_EPOCH {} +
mkdir -p /out
xorriso -as mkisofs -r -J -joliet-long -V "Ubuntu-Server 24.04.3 LTS amd64" -o /out/base.iso \
  --modification-date=$(date -u -d @$SOURCE_DATE_EPOCH +%Y%m%d%H%M%S00) \
  --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
  --protective-msdos-label -partition_cyl_align off -partition_offset 16 --mbr-force-bootable \
  -append_partition 2 28732ac11ff8d211ba4b00a0c93ec93b $B/efi.img -appended_part_as_gpt \
  -iso_mbr_part_type a2a0d0ebe5b9334487c068b6b72699c7 \
  -c /boot.catalog \
  -b /boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table --grub2-boot-info \
  -eltorito-alt-boot -e '--interval:appended_partition_2:all::' -no-emul-boot \
  $T 2>/out/xorriso.log || { cat /out/xorriso.log; exit 1; }
`

// probeBoot returns the stand-in kernel and probe initrd (vmlinuz, initrd.gz).
func (m *UnisonPlatform) probeBoot() *dagger.Directory {
	return m.tools().WithExec([]string{"sh", "-c", probeInitrdScript}).Directory("/out")
}

// Builds a small stand-in for the Ubuntu 24.04 live-server ISO
// (15 MB; same boot layout, a busybox probe instead of the installer) for
// tests and offline demos. Byte-reproducible.
func (m *UnisonPlatform) StandinIso() *dagger.File {
	return m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", standinSDE).
		WithMountedDirectory("/in", m.probeBoot()).
		WithExec([]string{"sh", "-c", standinISOScript}).
		File("/out/base.iso").WithName("ubuntu-24.04.3-live-server-amd64-standin.iso")
}

// dockerStandin stands in for Ubuntu's docker.io in the stand-in cloud image
// (Debian's minimal root has no Docker and the boot test has no network).
const dockerStandin = `#!/bin/sh
# stand-in image only: a fake docker CLI that answers like Docker with compose v2
echo "docker $*" >> /var/log/docker-standin.log
[ "$1 $2" = "compose version" ] && echo "Docker Compose version v2.24.6 (stand-in)"
exit 0
`

// standinCloudScript lays out a GPT disk like Ubuntu 24.04 cloud images:
// BIOS boot (#14), ESP (#15) and /boot (#16) first, the ext4 root labelled
// cloudimg-rootfs (#1) last; everything from fixed UUIDs and SOURCE_DATE_EPOCH.
const standinCloudScript = `set -e
mkdir -p /w /out
echo 'LABEL=cloudimg-rootfs / ext4 defaults 0 1' > /rootfs-fstab
export E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH
cp -a /rootfs /w/root
cp /rootfs-fstab /w/root/etc/fstab
echo unison-standin > /w/root/etc/hostname
: > /w/root/etc/machine-id
mke2fs -q -t ext4 -L cloudimg-rootfs -U 6b1d2f0e-0000-4000-8000-000000000001 \
  -E root_owner=0:0,hash_seed=6b1d2f0e-0000-4000-8000-000000000002 -d /w/root /w/root.img 1024M
mke2fs -q -t ext4 -L BOOT -U 6b1d2f0e-0000-4000-8000-000000000003 -E hash_seed=6b1d2f0e-0000-4000-8000-000000000004 /w/boot.img 64M
mkfs.fat -C --invariant -n UEFI /w/esp.img 32768 >/dev/null
truncate -s 1160M /w/disk.raw
sfdisk -q /w/disk.raw <<P
label: gpt
label-id: 6B1D2F0E-0000-4000-8000-0000000000AA
/w/disk.raw14 : start=2048, size=8192, type=21686148-6449-6E6F-744E-656564454649, uuid=6B1D2F0E-0000-4000-8000-0000000000E1
/w/disk.raw15 : start=10240, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=6B1D2F0E-0000-4000-8000-0000000000E2
/w/disk.raw16 : start=75776, size=131072, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, uuid=6B1D2F0E-0000-4000-8000-0000000000E3
/w/disk.raw1 : start=206848, size=2097152, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=6B1D2F0E-0000-4000-8000-0000000000E4
P
dd if=/w/esp.img of=/w/disk.raw bs=512 seek=10240 conv=notrunc,sparse status=none
dd if=/w/boot.img of=/w/disk.raw bs=512 seek=75776 conv=notrunc,sparse status=none
dd if=/w/root.img of=/w/disk.raw bs=512 seek=206848 conv=notrunc,sparse status=none
qemu-img convert -f raw -O qcow2 /w/disk.raw /out/cloud.qcow2
`

// StandinCloudImage builds a stand-in for the Ubuntu 24.04 cloud image:
// Debian with systemd on an ext4 root labelled cloudimg-rootfs, in a GPT disk
// with Ubuntu's partition layout (root is #1 but not first on disk), as qcow2.
// For tests and offline demos; boot it with the probe kernel and initrd.
func (m *UnisonPlatform) StandinCloudImage() *dagger.File {
	rootfs := dag.Container().From(m.ToolsImage).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends systemd-sysv udev python3 >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*"}).
		WithNewFile("/usr/local/bin/docker", dockerStandin, dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		// networking like a cloud image: DHCP on the first NIC (qa-smoke forwards ports to it)
		WithNewFile("/etc/systemd/network/20-wired.network", "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n").
		WithExec([]string{"systemctl", "enable", "systemd-networkd.service"}).
		Rootfs()
	return m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", standinSDE).
		WithMountedDirectory("/rootfs", rootfs).
		WithExec([]string{"sh", "-c", standinCloudScript}).
		File("/out/cloud.qcow2").WithName("ubuntu-24.04-server-cloudimg-amd64-standin.qcow2")
}

// ProbeBoot returns the kernel (vmlinuz) and busybox probe initrd
// (initrd.gz) that boot the stand-in images in QEMU.
func (m *UnisonPlatform) ProbeBoot() *dagger.Directory {
	return m.probeBoot()
}
