#!/bin/sh
# Converts one small qcow2 to streamOptimized VMDKs with the same name until
# qemu-img has written at least one CID of fewer than 8 hex digits (one time
# in sixteen; at least 8 conversions, at most 400), then gives each the CID
# 0123abcd with vmdk-cid.sh. Prints the counts for the test to check: the
# conversions, the short CIDs among them, the distinct files before and after.
set -eu
qemu-img create -q -f qcow2 /w/d.qcow2 64M
n=0 short=0
while [ $n -lt 400 ] && { [ $short -eq 0 ] || [ $n -lt 8 ]; }; do
  n=$((n + 1))
  mkdir -p "/w/$n"
  qemu-img convert -O vmdk -o subformat=streamOptimized /w/d.qcow2 "/w/$n/disk.vmdk"
  line=$(grep -a -m1 '^CID=' "/w/$n/disk.vmdk")
  [ ${#line} -lt 12 ] && short=$((short + 1))
done
echo "converted $n"
echo "short $short"
echo "distinct-before $(sha256sum /w/*/disk.vmdk | cut -d' ' -f1 | sort -u | wc -l)"
for d in /w/*/; do
  /tmp/vmdk-cid.sh "$d/disk.vmdk" 0123abcd
  qemu-img check -q "$d/disk.vmdk"
done
echo "distinct-after $(sha256sum /w/*/disk.vmdk | cut -d' ' -f1 | sort -u | wc -l)"
dd if=/w/1/disk.vmdk bs=512 skip=1 count=1 status=none | tr -d '\000' | head -4
