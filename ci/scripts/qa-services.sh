#!/bin/sh
# Reads services.json of the bundle out of the root filesystem (at byte
# OFFSET) of /in/image.qcow2 into /services.json.
set -e
qemu-img convert -O raw /in/image.qcow2 /w.raw
debugfs -R "cat $BUNDLE_DIR/services.json" "/w.raw?offset=$OFFSET" > /services.json 2>/dev/null
rm -f /w.raw
[ -s /services.json ] || { echo "image: no $BUNDLE_DIR/services.json (not built by linux-vm?); pass --services" >&2; exit 1; }
