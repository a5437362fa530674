#!/bin/sh
# Can this container run guests with KVM? Boots the tools container's kernel
# under -accel kvm for at most PROBE_SECONDS and looks for its first line on
# the serial console (an unusable /dev/kvm can open fine and then never run
# the guest). Prints "kvm" or "tcg: <reason>"; always exits 0 (see qa.go).
set -u
if [ ! -e /dev/kvm ]; then echo "tcg: no /dev/kvm in the engine's containers"; exit 0; fi
if ! { exec 3<>/dev/kvm; } 2>/dev/null; then echo "tcg: /dev/kvm cannot be opened for writing"; exit 0; fi
exec 3>&-
K=$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort | tail -1)
[ -n "$K" ] || { echo "tcg: no kernel in the tools container to probe KVM with"; exit 0; }
timeout -s KILL "${PROBE_SECONDS:-20}" qemu-system-x86_64 -accel kvm -machine pc -m 256 -nodefaults \
  -display none -monitor none -serial file:/tmp/kvm-probe.log -no-reboot \
  -kernel "$K" -append "console=ttyS0 panic=-1" > /tmp/kvm-probe.qemu 2>&1
if grep -q "Linux version" /tmp/kvm-probe.log 2>/dev/null; then echo kvm; exit 0; fi
echo "tcg: a kernel booted with KVM printed nothing within ${PROBE_SECONDS:-20}s ($(grep -v warning /tmp/kvm-probe.qemu | tail -1))"
