#!/bin/sh
# Writes /out/seed.iso: a NoCloud seed (ISO 9660 volume labelled cidata, what
# cloud-localds makes) from /in/seed/{user-data,meta-data}; every timestamp
# is SOURCE_DATE_EPOCH, so the same files give the same bytes (see nocloud.go).
set -eu
mkdir -p /w/seed /out
cp /in/seed/user-data /in/seed/meta-data /w/seed/
chmod 0644 /w/seed/*
touch -d "@$SOURCE_DATE_EPOCH" /w/seed/* /w/seed
xorriso -as mkisofs -quiet -output /out/seed.iso -volid "$VOLUME_ID" -joliet -rock /w/seed
