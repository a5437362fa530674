#!/bin/sh
# Extracts /boot/grub of the base ISO /in/base.iso into /cfg/grub.
set -e
mkdir -p /cfg
xorriso -osirrox on -indev /in/base.iso -extract /boot/grub /cfg/grub >/dev/null 2>&1 || true
[ -f /cfg/grub/grub.cfg ] || { echo "base-iso: no /boot/grub/grub.cfg: not an Ubuntu live-server ISO" >&2; exit 1; }
