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
         lib/crc16 fs/mbcache fs/jbd2/jbd2 crypto/crc32c_generic lib/libcrc32c fs/ext4/ext4; do
  cp $M/$m.ko $D/mods/
done
cat > $D/init <<'EOS'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ld() { for m in "$@"; do insmod /mods/$m.ko || echo "PROBE-INSMOD-FAILED $m"; done; }
waitdev() { i=0; while [ ! -b "$1" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done; }
if grep -q 'probe=disk' /proc/cmdline; then
  ld virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic libcrc32c ext4
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
