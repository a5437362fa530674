#!/bin/sh
# Packs the base of the WSL root filesystem, /rootfs (everything but the
# platform bundle at $BUNDLE_DIR), as /out/base.tar.gz: one gzip member
# holding a tar without its end-of-archive blocks. wsl-pack.sh appends the
# bundle as a second member, so a changed bundle compresses only itself.
# A gzip file is a series of members (RFC 1952, 2.2): GNU tar, bsdtar (what
# WSL 2 imports with) and Python's tarfile read them as one tar stream.
# Byte-reproducible (rtar, pigz -n).
set -e
mkdir -p /out
cd /rootfs
find usr/lib/wsl usr/share/wsl etc/wsl.conf etc/wsl-distribution.conf -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
# the day of the last password change (useradd and systemd-sysusers write the
# day they ran): the commit's day, as every other date in the tree
day=$((SOURCE_DATE_EPOCH / 86400))
for f in etc/shadow etc/shadow-; do
  if [ -f "$f" ]; then sed -i -E "s/^([^:]*:[^:]*:)[0-9]+:/\1$day:/" "$f"; fi
done
# a 512-byte record (-b 1): the archive then ends in exactly two zero blocks
rtar -b 1 --xattrs --xattrs-include='security.capability' \
  --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./run/*' --exclude='./tmp/*' \
  --exclude='./var/log/*' --exclude='./var/cache/apt/*' --exclude='./var/lib/apt/lists/*' \
  --exclude=./var/cache/ldconfig/aux-cache --exclude='./var/cache/debconf/*-old' --exclude=./etc/resolv.conf \
  --exclude=./.dockerenv --exclude=".$BUNDLE_DIR" -cf /tmp/base.tar .
size=$(stat -c %s /tmp/base.tar)
if [ $((size % 512)) -ne 0 ] || [ "$size" -lt 1024 ] ||
  [ -n "$(tail -c 1024 /tmp/base.tar | od -An -v -tx1 | tr -d ' 0\n')" ]; then
  echo "wsl-base: the tar of the root filesystem does not end in two zero blocks (size $size)" >&2
  exit 1
fi
head -c $((size - 1024)) /tmp/base.tar | pigz -n -6 > /out/base.tar.gz
rm -f /tmp/base.tar
