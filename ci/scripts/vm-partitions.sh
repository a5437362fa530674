#!/bin/sh
# Lists the partitions of the disk image /in/base.img (qcow2 or raw):
# /o/parts.json (sfdisk) and /o/labels.txt ("<number> <filesystem label>").
set -e
mkdir -p /w /o
qemu-img convert -O raw /in/base.img /w/disk.raw
sfdisk --json /w/disk.raw > /o/parts.json
jq -r '.partitiontable.partitions[] | "\(.node) \(.start)"' /o/parts.json | while read -r node start; do
  n=$(echo "$node" | sed 's/.*[^0-9]\([0-9]*\)$/\1/')
  echo "$n $(blkid -p -O $((start*512)) -s LABEL -o value /w/disk.raw 2>/dev/null || true)"
done > /o/labels.txt
rm -f /w/disk.raw
