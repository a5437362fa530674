#!/bin/sh
# Grows the small cloud image stand-in (small.raw, in the current folder) to
# a real-size one (see media.go): its root partition (#1, START and SECTORS
# in 512-byte sectors) is resized in place to ROOT_MIB with resize2fs and
# given FILES_MIB of files with debugfs (no loop device; every existing file
# keeps its mode and owner), in a RAW_MIB disk with the same GPT layout,
# written as a compressed qcow2 OUT.
#
#   cloud-grow.sh START SECTORS FILES_MIB ROOT_MIB RAW_MIB OUT
set -eu
start=$1 sectors=$2 files_mib=$3 root_mib=$4 raw_mib=$5 out=$6
dd if=small.raw of=root.img bs=512 skip="$start" count="$sectors" status=none
export E2FSPROGS_FAKE_TIME=1700000000
# grown in place (resize2fs, then debugfs writes: every existing file keeps its mode and owner)
resize2fs -f root.img "$root_mib"M >/dev/null 2>&1
mkdir usr && debugfs -R "rdump /usr usr" root.img 2>/dev/null && tar --sort=name --mtime=@1700000000 -C usr -cf usr.tar usr && rm -rf usr
# copies of /usr as tar files (ELF binaries, libraries, text) until the root holds the MiB asked for
echo "mkdir /opt/standin-payload" > cmds
have=$(($(debugfs -R "stats" root.img 2>/dev/null | awk '/^Block count:/ {b=$3} /^Free blocks:/ {f=$3} /^Block size:/ {z=$3} END {print int((b-f)*z/1048576)}') ))
i=0; while [ "$have" -lt "$files_mib" ]; do echo "write usr.tar /opt/standin-payload/usr-$i.tar" >> cmds; have=$((have + $(du -m usr.tar | cut -f1))); i=$((i+1)); done
debugfs -w -f cmds root.img >/dev/null 2>&1
e2fsck -fn root.img >/dev/null
mv root.img root2.img
truncate -s "$raw_mib"M disk.raw
dd if=small.raw of=disk.raw bs=512 count="$start" conv=notrunc,sparse status=none
sfdisk -d small.raw | sed -e "/raw1 :/s/size= *[0-9]*/size=$((root_mib * 2048))/" -e 's/small\.raw/disk.raw/' -e '/^last-lba/d' | sfdisk -q disk.raw
dd if=root2.img of=disk.raw bs=512 seek="$start" conv=notrunc,sparse status=none
rm -f root2.img small.raw usr.tar cmds
qemu-img convert -c -O qcow2 disk.raw "$out".tmp && mv "$out".tmp "$out"
