#!/bin/sh
# Builds the busybox probe initrd and copies the kernel that boot the stand-ins
# (see standin.go); writes /out/vmlinuz and /out/initrd.gz.
set -eu
KV=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf "%f\n" | sort | tail -1)
M=/lib/modules/$KV/kernel
D=$(mktemp -d)
mkdir -p "$D"/bin "$D"/dev "$D"/proc "$D"/sys "$D"/cdrom "$D"/newroot "$D"/mods
cp /bin/busybox "$D"/bin/busybox
for a in sh mount umount insmod sleep cat echo poweroff ls switch_root mkdir grep sed findfs blkid; do ln -s busybox "$D"/bin/$a; done
for m in drivers/scsi/scsi_common drivers/scsi/scsi_mod drivers/ata/libata drivers/ata/ata_piix drivers/ata/libahci drivers/ata/ahci \
         drivers/cdrom/cdrom drivers/scsi/sr_mod fs/isofs/isofs \
         drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
         drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk \
         lib/crc16 fs/mbcache fs/jbd2/jbd2 crypto/crc32c_generic lib/libcrc32c fs/ext4/ext4 \
         net/core/failover drivers/net/net_failover drivers/net/virtio_net; do
  cp "$M"/$m.ko "$D"/mods/
done
cat > "$D"/init <<'EOS'
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
  ld virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic libcrc32c ext4 failover net_failover virtio_net cdrom isofs
  waitdev /dev/vda
  sleep 0.5
  ROOT=$(findfs LABEL=cloudimg-rootfs 2>/dev/null || echo /dev/vda1)
  echo "PROBE-ROOT: $ROOT"
  mount -t ext4 "$ROOT" /newroot || { echo "PROBE: cannot mount $ROOT"; poweroff -f; }
  umount /proc /sys; mount --move /dev /newroot/dev 2>/dev/null || umount /dev
  exec switch_root /newroot /sbin/init
fi
ld scsi_common scsi_mod libata ata_piix libahci ahci cdrom sr_mod isofs # ahci: the CD of a q35 machine (the Secure Boot boot)
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
chmod +x "$D"/init
find "$D" -exec touch -h -d @0 {} +
mkdir -p /out
(cd "$D" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n > /out/initrd.gz
cp "/boot/vmlinuz-$KV" /out/vmlinuz
