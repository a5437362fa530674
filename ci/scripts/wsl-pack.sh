#!/bin/sh
# Packs the WSL root filesystem /rootfs as /out/$ROOTFS (wsl --import) and
# /out/$WSLFILE (wsl --install --from-file), and the bundle /out/$BUNDLE
# (metadata and README from /meta, the platform bundle, install-wsl.sh);
# byte-reproducible, a .sha256 for each.
set -e
mkdir -p /out
cd /rootfs
find ".$BUNDLE_DIR" usr/lib/wsl usr/share/wsl etc/wsl.conf etc/wsl-distribution.conf -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
rtar --xattrs --xattrs-include='security.capability' \
  --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./run/*' --exclude='./tmp/*' \
  --exclude='./var/log/*' --exclude='./var/cache/apt/*' --exclude='./var/lib/apt/lists/*' \
  --exclude=./var/cache/ldconfig/aux-cache --exclude='./var/cache/debconf/*-old' --exclude=./etc/resolv.conf \
  --exclude=./.dockerenv -cf - . | pigz -n -6 > "/out/$ROOTFS"
# the same bytes under the name wsl --install --from-file takes: a link, not a second copy
ln "/out/$ROOTFS" "/out/$WSLFILE"
mkdir -p /b/unisonos-wsl
cp /meta/* /in/unison-platform-bundle.tar.gz /b/unisonos-wsl/
install -m 0755 /opt-installer/install-wsl.sh /opt-installer/common.sh /b/unisonos-wsl/
find /b -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
chmod 0644 /b/unisonos-wsl/metadata.json /b/unisonos-wsl/README.md /b/unisonos-wsl/unison-platform-bundle.tar.gz
cd /b && rtar --owner=0 --group=0 -cf - unisonos-wsl | gzip -n -9 > "/out/$BUNDLE"
cd /out && for f in "$ROOTFS" "$WSLFILE" "$BUNDLE"; do sha256sum "$f" > "$f.sha256"; done
