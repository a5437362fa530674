#!/bin/sh
# qa-install, first step: reads from /in/installer.iso what the QA copy and
# its checks need: /out/user-data, /out/volid, /out/services.json (of the
# bundle on the medium), /out/vmlinuz and /out/initrd (KERNEL_PATH,
# INITRD_PATH of the default entry).
set -eu
mkdir -p /out /w
xorriso -osirrox on -indev /in/installer.iso -extract /nocloud/user-data /out/user-data \
  -extract "/nocloud/$BUNDLE_FILE" /w/bundle.tar.gz -extract "$KERNEL_PATH" /out/vmlinuz -extract "$INITRD_PATH" /out/initrd >/w/x.log 2>&1 ||
  { echo "iso: cannot read the payload or the installer kernel (not a UnisonOS ISO?): $(tail -1 /w/x.log)" >&2; exit 1; }
tar -xzOf /w/bundle.tar.gz unison-platform/services.json > /out/services.json
xorriso -indev /in/installer.iso -pvd_info 2>/dev/null | sed -n "s/^Volume Id *: *//p" > /out/volid
