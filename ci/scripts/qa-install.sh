#!/bin/bash
# qa-install: installs /in/qa.iso (the ISO with the QA user-data: shutdown
# poweroff, the QA key) onto a blank disk /out/disk.qcow2 of DISK_SIZE by
# booting its installer kernel and initrd (/in/vmlinuz, /in/initrd) with
# KERNEL_ARGS, and waits up to INSTALL_TIMEOUT for the machine to power off.
# The install passes when it did and the disk holds a partition table.
# Results in /report (see qa_install.go).
set -u
mkdir -p /report /w /out; : > /report/results.tsv; : > /report/serial-install.log
date +%s > /report/started
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> /report/results.tsv; }
qemu-img create -q -f qcow2 /out/disk.qcow2 "$DISK_SIZE"
set -- -accel "$ACCEL" -machine pc -m "$MEMORY" -smp 2 -cdrom /in/qa.iso \
  -drive file=/out/disk.qcow2,if=virtio,format=qcow2 \
  -kernel /in/vmlinuz -initrd /in/initrd -append "$KERNEL_ARGS" \
  -netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
  -display none -monitor none -serial file:/report/serial-install.log -no-reboot
if [ "$ACCEL" = kvm ]; then set -- "$@" -cpu host; fi
echo "qa-install: qemu $ACCEL, install timeout ${INSTALL_TIMEOUT}s"
T0=$(now)
timeout -s KILL "$INSTALL_TIMEOUT" qemu-system-x86_64 "$@" > /w/qemu.log 2>&1
rc=$?
if [ $rc = 137 ]; then
  record install fail "$(since "$T0")" "timeout: the installer did not power the machine off within ${INSTALL_TIMEOUT}s"
  exit 0
fi
qemu-img convert -O raw /out/disk.qcow2 /w/disk.raw
parts=$(sfdisk -J /w/disk.raw 2>/dev/null | jq '.partitiontable.partitions | length' 2>/dev/null)
rm -f /w/disk.raw
if [ "${parts:-0}" -gt 0 ]; then
  record install pass "$(since "$T0")" "the installer powered the machine off after $(since "$T0")s; the disk holds $parts partitions"
else
  record install fail "$(since "$T0")" "the machine stopped after $(since "$T0")s (qemu exit $rc) but the disk has no partition table: nothing was installed"
fi
exit 0
