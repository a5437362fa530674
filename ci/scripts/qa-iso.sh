#!/bin/bash
# qa-smoke of an installer ISO: boots /in/installer.iso BIOS and UEFI (El
# Torito, its own boot loader) and with QEMU direct kernel boot of the default
# entry's kernel and initrd (KERNEL_PATH, INITRD_PATH on the ISO) with
# KERNEL_ARGS, which carry console=ttyS0 as real media need, the ISO attached;
# looks for the lines of /in/markers.txt on the serial console (see qa.go).
# The El Torito boots are skipped when ELTORITO_SERIAL is not 1 (the entry
# prints nothing on a serial console). The boots run side by side (one vCPU
# each); the results come in the order bios, uefi, kernel.
set -u
mkdir -p /report /w; : > /report/results.tsv
date +%s > /report/started # qa.go tells a fresh run from a replayed one
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# record FW NAME RESULT SECONDS DETAIL: into the boot's own results file
record() { printf '%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" >> "/w/results-$1.tsv"; }
xorriso -osirrox on -indev /in/installer.iso -extract "$KERNEL_PATH" /w/vmlinuz -extract "$INITRD_PATH" /w/initrd > /w/xorriso.log 2>&1

# boot FW: one boot and its markers
boot() {
  local fw=$1 LOG=/report/serial-$1.log marker rc T0
  : > "$LOG"; : > "/w/results-$fw.tsv"
  set -- -accel tcg -machine pc -m "$MEMORY" -smp 1 -cdrom /in/installer.iso -boot d \
    -display none -monitor none -serial "file:$LOG" -no-reboot -net none
  if [ "$fw" != kernel ] && [ "$ELTORITO_SERIAL" != 1 ]; then
    while IFS= read -r marker; do
      [ -n "$marker" ] && record "$fw" "$fw: $marker" skip 0 "its default entry has no console=ttyS0 (as on Ubuntu's media): nothing to read on a serial console; the kernel boot checks it"
    done < /in/markers.txt
    return 0
  fi
  if [ "$fw" = kernel ]; then
    if [ ! -s /w/vmlinuz ] || [ ! -s /w/initrd ]; then
      while IFS= read -r marker; do
        [ -n "$marker" ] && record "$fw" "$fw: $marker" fail 0 "no $KERNEL_PATH and $INITRD_PATH on the ISO: $(tail -1 /w/xorriso.log)"
      done < /in/markers.txt
      return 0
    fi
    set -- "$@" -kernel /w/vmlinuz -initrd /w/initrd -append "$KERNEL_ARGS"
  fi
  if [ "$fw" = uefi ]; then
    cp /usr/share/OVMF/OVMF_VARS_4M.fd /w/vars.fd
    set -- "$@" -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,unit=1,file=/w/vars.fd
  fi
  T0=$(now)
  timeout "$BOOT_TIMEOUT" qemu-system-x86_64 "$@" > "/w/qemu-$fw.log" 2>&1
  rc=$?
  while IFS= read -r marker; do
    [ -n "$marker" ] || continue
    if grep -qF -- "$marker" "$LOG"; then record "$fw" "$fw: $marker" pass "$(since "$T0")" "seen on the serial console"
    elif [ $rc = 124 ]; then record "$fw" "$fw: $marker" fail "$(since "$T0")" "timeout after ${BOOT_TIMEOUT}s without it on the serial console"
    else record "$fw" "$fw: $marker" fail "$(since "$T0")" "not on the serial console (qemu exit $rc)"; fi
  done < /in/markers.txt
}
for fw in bios uefi kernel; do boot "$fw" & done
wait
cat /w/results-bios.tsv /w/results-uefi.tsv /w/results-kernel.tsv > /report/results.tsv
exit 0
