#!/bin/sh
# Can this container run guests with KVM? Boots the tools container's kernel
# under -accel kvm for at most PROBE_SECONDS and looks for its first line on
# the serial console (an unusable /dev/kvm can open fine and then never run
# the guest). Prints "kvm" or "tcg: <reason>" and always exits 0 (qa.go
# falls back to TCG with the reason): no device, a device that cannot be
# opened, an open or a boot that hangs, a QEMU that fails or crashes.
# KVM_DEVICE and QEMU name the device and the emulator (default /dev/kvm and
# qemu-system-x86_64).
set -u
dev=${KVM_DEVICE:-/dev/kvm} qemu=${QEMU:-qemu-system-x86_64} secs=${PROBE_SECONDS:-20}
tcg() { echo "tcg: $*"; exit 0; }
last() { grep -v warning "$1" 2>/dev/null | tail -1; }
[ -e "$dev" ] || tcg "no $dev in the engine's containers"
[ -c "$dev" ] || tcg "$dev is not a character device"
# open it read-write as QEMU does, in a child shell (in dash a failed
# redirection of a special built-in ends the shell), bounded in time (on some
# hosts the open never returns)
# shellcheck disable=SC2016 # $1 is the child shell's
timeout -s KILL 10 sh -c ': <>"$1"' sh "$dev" 2>/tmp/kvm-probe.open
case $? in
  0) ;;
  137) tcg "opening $dev did not return within 10s" ;;
  *) tcg "$dev cannot be opened for reading and writing ($(last /tmp/kvm-probe.open))" ;;
esac
K=$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort | tail -1)
[ -n "$K" ] || tcg "no kernel in the tools container to probe KVM with"
rm -f /tmp/kvm-probe.log
timeout -s KILL "$secs" "$qemu" -accel kvm -machine pc -m 256 -nodefaults \
  -display none -monitor none -serial file:/tmp/kvm-probe.log -no-reboot \
  -kernel "$K" -append "console=ttyS0 panic=-1" > /tmp/kvm-probe.qemu 2>&1
rc=$?
if grep -q "Linux version" /tmp/kvm-probe.log 2>/dev/null; then echo kvm; exit 0; fi
case $rc in
  137) tcg "a kernel booted with KVM printed nothing within ${secs}s" ;;
  0) tcg "QEMU with KVM ended and the kernel printed nothing ($(last /tmp/kvm-probe.qemu))" ;;
  12[6-7]) tcg "$qemu cannot be run (exit $rc)" ;;
  1[3-9][0-9]|2[0-5][0-9]) tcg "QEMU with KVM was killed by signal $((rc - 128)) before the kernel printed anything" ;;
  *) tcg "QEMU with KVM failed (exit $rc: $(last /tmp/kvm-probe.qemu))" ;;
esac
