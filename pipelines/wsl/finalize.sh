#!/bin/sh
# Last step of the WSL root filesystem build; the units to mask are the arguments.
set -e
# the out-of-box experience creates uid 1000: drop one the base image ships (ubuntu:24.04 has "ubuntu")
u=$(awk -F: '$3 == 1000 { print $1 }' /etc/passwd)
if [ -n "$u" ]; then userdel --remove "$u" 2>/dev/null || userdel "$u"; fi
# no password hashes and no empty passwords: lock every account that is not locked yet
awk -F: 'BEGIN{OFS=":"} { if ($2 == "" || $2 !~ /^[!*]/) $2 = "!*"; print }' /etc/shadow > /etc/shadow.new
cat /etc/shadow.new > /etc/shadow && rm -f /etc/shadow.new /etc/shadow- /etc/gshadow-
for u in "$@"; do ln -sfn /dev/null "/etc/systemd/system/$u"; done
rm -f /boot/vmlinuz* /boot/initrd* /.dockerenv
# per machine, made at first boot: no build's random machine ID (dbus's postinst writes one) in the image
: > /etc/machine-id
if [ -e /var/lib/dbus/machine-id ] || [ -L /var/lib/dbus/machine-id ]; then ln -sfn /etc/machine-id /var/lib/dbus/machine-id; fi

