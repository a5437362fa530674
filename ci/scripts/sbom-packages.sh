#!/bin/sh
# Reads what an SBOM lists from a built artifact /in/artifact:
#   rootfs  a root filesystem tar.gz: its dpkg status and os-release
#   disk    a disk image (qcow2): the same, from the root file system at byte OFFSET
#   iso     an Ubuntu ISO: its casper/*.manifest package lists and .disk/info
# Writes /out/packages and /out/release (os-release, or the ISO's .disk/info).
set -eu
kind=$1
mkdir -p /out /w
case $kind in
rootfs)
  tar -xzOf /in/artifact --wildcards --no-anchored 'var/lib/dpkg/status' > /out/packages
  tar -xzOf /in/artifact --wildcards --no-anchored 'usr/lib/os-release' > /out/release
  ;;
disk)
  qemu-img convert -O raw /in/artifact /w/disk.raw
  debugfs -R "cat /var/lib/dpkg/status" "/w/disk.raw?offset=$OFFSET" > /out/packages 2>/w/debugfs.log
  debugfs -R "cat /usr/lib/os-release" "/w/disk.raw?offset=$OFFSET" > /out/release 2>>/w/debugfs.log
  rm -f /w/disk.raw
  ;;
iso)
  # the manifests only (not casper's squashfs layers: gigabytes of disk for kilobytes read)
  mkdir -p /w/casper
  xorriso -osirrox on -indev /in/artifact -iso_rr_pattern on -cpx '/casper/*.manifest' /w/casper/ > /w/xorriso.log 2>&1 || true
  xorriso -osirrox on -indev /in/artifact -extract /.disk/info /out/release >> /w/xorriso.log 2>&1 \
    || { echo "the ISO has no /.disk/info: is it an Ubuntu ISO?" >&2; tail -3 /w/xorriso.log >&2; exit 1; }
  find /w/casper -name '*.manifest' -type f | sort | xargs -r cat > /out/packages
  ;;
*)
  echo "sbom-packages.sh: unknown kind $kind" >&2; exit 2 ;;
esac
[ -s /out/packages ] || { echo "no package list found in the $kind artifact" >&2; exit 1; }
