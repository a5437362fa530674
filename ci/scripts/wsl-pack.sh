#!/bin/sh
# Packs the WSL root filesystem as /out/$ROOTFS (wsl --import) and
# /out/$WSLFILE (wsl --install --from-file): the base's gzip member
# /in/base.tar.gz (wsl-base.sh) followed by one for the platform bundle
# mounted at /ov$BUNDLE_DIR, which ends the tar. Then the bundle /out/$BUNDLE
# (metadata and README from /meta, the platform bundle, install-wsl.sh).
# Byte-reproducible, a .sha256 for each.
set -e
mkdir -p /out
cd /ov
find ".$BUNDLE_DIR" -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
{
  cat /in/base.tar.gz
  { rtar --xattrs --xattrs-include='security.capability' -cf - ".$BUNDLE_DIR" || : > /tmp/tar-failed; } | pigz -n -6
} > "/out/$ROOTFS"
if [ -e /tmp/tar-failed ]; then echo "wsl-pack: tar of $BUNDLE_DIR failed" >&2; exit 1; fi
# the same bytes under the name wsl --install --from-file takes: a link, not
# a second copy, and one checksum for both
ln "/out/$ROOTFS" "/out/$WSLFILE"
sha256 "/out/$ROOTFS" "$WSLFILE"
mkdir -p /b/unisonos-wsl
cp /meta/* /in/unison-platform-bundle.tar.gz /b/unisonos-wsl/
install -m 0755 /opt-installer/install-wsl.sh /opt-installer/common.sh /b/unisonos-wsl/
find /b -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
chmod 0644 /b/unisonos-wsl/metadata.json /b/unisonos-wsl/README.md /b/unisonos-wsl/unison-platform-bundle.tar.gz
cd /b && rtar --owner=0 --group=0 -cf - unisonos-wsl | gzip -n -9 > "/out/$BUNDLE"
sha256 "/out/$BUNDLE"
