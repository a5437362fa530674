#!/bin/bash
# qa-smoke of a VM disk: boots /in/image.qcow2, waits for READY_MARKER, runs
# the checks of /in/plan.tsv; results in /report (see qa.go).
set -u
mkdir -p /report /w; : > /report/results.tsv; : > /report/serial.log
date +%s > /report/started # qa.go tells a fresh run from a replayed one
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> /report/results.tsv; }
ACCEL=tcg
if [ "$ACCEL_MODE" = kvm ] || { [ "$ACCEL_MODE" = auto ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then ACCEL=kvm; fi
FWD=""; for p in $PORTS; do FWD="$FWD,hostfwd=tcp:127.0.0.1:$p-:$p"; done
set -- -accel "$ACCEL" -machine pc -m "$MEMORY" -smp 2 \
  -drive file=/in/image.qcow2,if=virtio,format=qcow2,snapshot=on \
  -netdev "user,id=n0$FWD" -device virtio-net-pci,netdev=n0 \
  -display none -monitor none -serial file:/report/serial.log -no-reboot
if [ -f /boot-files/vmlinuz ]; then set -- "$@" -kernel /boot-files/vmlinuz -initrd /boot-files/initrd.gz -append "$KERNEL_ARGS"; fi
echo "qa-smoke: qemu $ACCEL, ports $PORTS"
T0=$(now)
qemu-system-x86_64 "$@" > /w/qemu.log 2>&1 &
QPID=$!
booted=0; end=$(( $(date +%s) + BOOT_TIMEOUT ))
while [ "$(date +%s)" -lt "$end" ]; do
  if grep -qF "$READY_MARKER" /report/serial.log; then booted=1; break; fi
  kill -0 $QPID 2>/dev/null || break
  sleep 1
done
if [ $booted = 1 ]; then
  record boot pass "$(since "$T0")" "serial marker after $(since "$T0")s ($ACCEL)"
elif ! kill -0 $QPID 2>/dev/null; then
  record boot fail "$(since "$T0")" "the VM stopped before printing '$READY_MARKER' ($(tail -1 /w/qemu.log))"
else
  record boot fail "$(since "$T0")" "timeout: no '$READY_MARKER' on the serial console within ${BOOT_TIMEOUT}s"
fi
hend=$(( $(date +%s) + HEALTH_TIMEOUT ))
while IFS="$(printf '\t')" read -r kind port path name; do
  [ -n "$kind" ] || continue
  T1=$(now)
  if [ $booted != 1 ]; then record "$name" fail 0 "not run: the VM did not boot"; continue; fi
  if [ "$kind" = health ]; then
    code=000
    while :; do
      code=$(curl -s -m 5 -o /w/body -w '%{http_code}' "http://127.0.0.1:$port$path" 2>/dev/null); code=${code:-000}
      [ "$code" = 200 ] && break
      [ "$(date +%s)" -ge "$hend" ] && break
      sleep 2
    done
    if [ "$code" = 200 ]; then record "$name" pass "$(since "$T1")" "GET :$port$path -> 200"
    else record "$name" fail "$(since "$T1")" "GET :$port$path -> $code, no HTTP 200 within ${HEALTH_TIMEOUT}s (service down?)"; fi
  else
    code=$(curl -s -m 60 -o /w/body -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      -d '{"prompt":"Say hello.","max_tokens":8}' "http://127.0.0.1:$port$path" 2>/dev/null); code=${code:-000}
    body=$(head -c 200 /w/body 2>/dev/null | tr '\n\t' '  ')
    if [ "$code" = 200 ] && jq -e 'type == "object" and (has("response") or has("result"))' /w/body >/dev/null 2>&1; then
      record "$name" pass "$(since "$T1")" "POST :$port$path -> 200 with a response"
    else
      record "$name" fail "$(since "$T1")" "POST :$port$path -> $code, want 200 and a response or result field; body: $body"
    fi
  fi
done < /in/plan.tsv
kill $QPID 2>/dev/null; wait $QPID 2>/dev/null
exit 0