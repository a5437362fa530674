#!/bin/sh
# A stand-in with the boot layout of Ubuntu 22.04/24.04 live-server ISOs, from
# the probe kernel and initrd in /in; writes /out/base.iso (see standin.go).
set -eu
T=$(mktemp -d); B=$(mktemp -d)
mkdir -p "$T"/casper "$T"/boot/grub/i386-pc "$T"/.disk
cp /in/vmlinuz "$T"/casper/vmlinuz
cp /in/initrd.gz "$T"/casper/initrd
echo 'Ubuntu-Server 24.04.3 LTS "Noble Numbat" - Release amd64 (UnisonOS stand-in)' > "$T"/.disk/info
# the package list of the live system, in the format of Ubuntu's casper/*.manifest (what release SBOMs read)
dpkg-query -W -f '${Package}:${Architecture}\t${Version}\n' | sort > "$T"/casper/ubuntu-server-minimal.manifest
cat > "$T"/boot/grub/grub.cfg <<'G'
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
cat > "$T"/boot/grub/loopback.cfg <<'G'
menuentry "Try or Install Ubuntu Server" {
	set gfxpayload=keep
	linux	/casper/vmlinuz  iso-scan/filename=${iso_path} --- console=ttyS0
	initrd	/casper/initrd
}
G
set -- normal configfile linux search search_fs_file search_fs_uuid search_label iso9660 part_gpt part_msdos fat echo test serial terminal loadenv ls cat true gzio
grub-mkimage -O i386-pc-eltorito -p /boot/grub -o "$T"/boot/grub/i386-pc/eltorito.img "$@" biosdisk
# UEFI: the signed chain Ubuntu's media have, from Debian's packages: shim
# (signed by Microsoft's UEFI CA, what OVMF's Secure Boot variables trust)
# loads GRUB's CD image (signed by Debian; it finds /.disk/info and reads
# /boot/grub/grub.cfg), which loads the kernel only when its signature
# verifies (the probe kernel is Debian's signed one): the ISO boots with
# Secure Boot enforced, as Ubuntu's does
S=$(mktemp -d)
(cd "$S" && apt-get update -q >/dev/null && apt-get download -q shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed >/dev/null)
for d in "$S"/*.deb; do dpkg-deb -x "$d" "$S/x"; done
mkfs.fat -C --invariant -n ESP "$B"/efi.img 8192 >/dev/null
mmd -i "$B"/efi.img ::/EFI ::/EFI/BOOT
cp "$S"/x/usr/lib/shim/shimx64.efi.signed "$B"/BOOTX64.EFI
cp "$S"/x/usr/lib/shim/mmx64.efi.signed "$B"/mmx64.efi
cp "$S"/x/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed "$B"/grubx64.efi
for f in BOOTX64.EFI mmx64.efi grubx64.efi; do
  touch -d "@$SOURCE_DATE_EPOCH" "$B/$f"
  mcopy -m -i "$B"/efi.img "$B/$f" "::/EFI/BOOT/$f"
done
find "$T" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p /out
xorriso -as mkisofs -r -J -joliet-long -V "Ubuntu-Server 24.04.3 LTS amd64" -o /out/base.iso \
  --modification-date="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S00)" \
  --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
  --protective-msdos-label -partition_cyl_align off -partition_offset 16 --mbr-force-bootable \
  -append_partition 2 28732ac11ff8d211ba4b00a0c93ec93b "$B"/efi.img -appended_part_as_gpt \
  -iso_mbr_part_type a2a0d0ebe5b9334487c068b6b72699c7 \
  -c /boot.catalog \
  -b /boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table --grub2-boot-info \
  -eltorito-alt-boot -e '--interval:appended_partition_2:all::' -no-emul-boot \
  "$T" 2>/out/xorriso.log || { cat /out/xorriso.log; exit 1; }
