#!/bin/bash
# qa-smoke of an installer ISO: boots /in/installer.iso BIOS, UEFI and UEFI
# with Secure Boot enforced (El Torito, its own boot loader; OVMF with
# Microsoft's keys enrolled: only a signed chain boots) and with QEMU direct
# kernel boot of the default entry's kernel and initrd (KERNEL_PATH,
# INITRD_PATH on the ISO) with KERNEL_ARGS, which carry console=ttyS0 as real
# media need, the ISO attached; looks for the lines of /in/markers.txt on the
# serial console (see qa.go), and, under Secure Boot, for the kernel's
# "Secure boot enabled". The El Torito boots are skipped when ELTORITO_SERIAL
# is not 1 (the entry prints nothing on a serial console). The boots run side
# by side (one vCPU each); the results come in the order bios, uefi, uefi-sb,
# kernel.
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
  local fw=$1 LOG=/report/serial-$1.log marker rc T0 machine=pc
  : > "$LOG"; : > "/w/results-$fw.tsv"
  # Secure Boot needs SMM (q35)
  [ "$fw" = uefi-sb ] && machine=q35,smm=on
  set -- -accel tcg -machine "$machine" -m "$MEMORY" -smp 1 -cdrom /in/installer.iso -boot d \
    -display none -monitor none -serial "file:$LOG" -no-reboot -net none
  if [ "$fw" != kernel ] && [ "$ELTORITO_SERIAL" != 1 ]; then
    local why="its default entry has no console=ttyS0 (as on Ubuntu's media): nothing to read on a serial console"
    while IFS= read -r marker; do
      [ -n "$marker" ] && record "$fw" "$fw: $marker" skip 0 "$why; the kernel boot checks it"
    done < /in/markers.txt
    [ "$fw" = uefi-sb ] && record "$fw" "uefi-sb: Secure Boot enforced" skip 0 "$why"
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
    cp /usr/share/OVMF/OVMF_VARS_4M.fd /w/vars-uefi.fd
    set -- "$@" -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,unit=1,file=/w/vars-uefi.fd
  fi
  if [ "$fw" = uefi-sb ]; then
    # the secure-boot build of OVMF (its flash writable from SMM only); the
    # .ms variables have Microsoft's keys enrolled and Secure Boot on
    cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd /w/vars-sb.fd
    set -- "$@" -global driver=cfi.pflash01,property=secure,value=on \
      -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd -drive if=pflash,format=raw,unit=1,file=/w/vars-sb.fd
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
  if [ "$fw" = uefi-sb ]; then
    if grep -qF "Secure boot enabled" "$LOG"; then record "$fw" "uefi-sb: Secure Boot enforced" pass "$(since "$T0")" "the kernel says: Secure boot enabled (shim, GRUB and kernel verified)"
    else record "$fw" "uefi-sb: Secure Boot enforced" fail "$(since "$T0")" "no \"Secure boot enabled\" from the kernel: the signed chain did not boot (qemu exit $rc)"; fi
  fi
}
for fw in bios uefi uefi-sb kernel; do boot "$fw" & done
wait
cat /w/results-bios.tsv /w/results-uefi.tsv /w/results-uefi-sb.tsv /w/results-kernel.tsv > /report/results.tsv
exit 0
