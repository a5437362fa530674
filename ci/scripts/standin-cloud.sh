#!/bin/sh
# A stand-in with the GPT layout of Ubuntu 24.04 cloud images, from the root
# filesystem in /rootfs; writes /out/cloud.qcow2 (see standin.go).
set -e
mkdir -p /w /out
echo 'LABEL=cloudimg-rootfs / ext4 defaults 0 1' > /rootfs-fstab
export E2FSPROGS_FAKE_TIME="$SOURCE_DATE_EPOCH"
cp -a /rootfs /w/root
cp /rootfs-fstab /w/root/etc/fstab
echo unison-standin > /w/root/etc/hostname
: > /w/root/etc/machine-id
# DNS as on Ubuntu: systemd-resolved's stub (the build's resolv.conf is not the guest's)
ln -sfn ../run/systemd/resolve/stub-resolv.conf /w/root/etc/resolv.conf
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
