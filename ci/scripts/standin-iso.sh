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
# shellcheck disable=SC2016 # a GRUB variable, not a shell one
printf 'search --file --set=root /.disk/info\nset prefix=($root)/boot/grub\n' > "$B"/early.cfg
grub-mkimage -O x86_64-efi -p /boot/grub -c "$B"/early.cfg -o "$B"/BOOTX64.EFI "$@" efi_gop efi_uga
mkfs.fat -C --invariant -n ESP "$B"/efi.img 4096 >/dev/null
mmd -i "$B"/efi.img ::/EFI ::/EFI/BOOT
touch -d "@$SOURCE_DATE_EPOCH" "$B"/BOOTX64.EFI
mcopy -m -i "$B"/efi.img "$B"/BOOTX64.EFI ::/EFI/BOOT/BOOTX64.EFI
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
