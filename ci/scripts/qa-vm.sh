#!/bin/bash
# qa-smoke of a VM disk: boots /in/image.qcow2 (a throwaway overlay) with the
# NoCloud seed /in/seed.iso, waits for READY_MARKER, logs in over SSH with
# /in/qa-key as QA_USER and runs the health and inference checks of
# /in/plan.tsv inside the guest against 127.0.0.1; from outside, every
# service port must not answer. Results in /report (see qa.go).
set -u
mkdir -p /report /w; : > /report/results.tsv; : > /report/serial.log; : > /report/guest.log
date +%s > /report/started # qa.go tells a fresh run from a replayed one
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> /report/results.tsv; }
cp /in/qa-key /w/key; chmod 0600 /w/key
SSH_PORT=2222
FWD=",hostfwd=tcp:127.0.0.1:$SSH_PORT-:22"; for p in $PORTS; do FWD="$FWD,hostfwd=tcp:127.0.0.1:$p-:$p"; done
# isolated: the guest reaches nothing (no route out of QEMU's user network); the forwards still reach it
if [ "${ISOLATED:-0}" = 1 ]; then FWD=",restrict=on$FWD"; fi
set -- -accel "$ACCEL" -machine pc -m "$MEMORY" -smp 2 \
  -drive file=/in/image.qcow2,if=virtio,format=qcow2,snapshot=on \
  -drive file=/in/seed.iso,if=virtio,format=raw,readonly=on \
  -netdev "user,id=n0$FWD" -device virtio-net-pci,netdev=n0 \
  -display none -monitor none -serial file:/report/serial.log -no-reboot
if [ "$ACCEL" = kvm ]; then set -- "$@" -cpu host; fi
if [ -f /boot-files/vmlinuz ]; then set -- "$@" -kernel /boot-files/vmlinuz -initrd /boot-files/initrd.gz -append "$KERNEL_ARGS"; fi
echo "qa-smoke: qemu $ACCEL, ssh on $SSH_PORT, service ports $PORTS"
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
guest() {
  ssh -n -q -i /w/key -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 \
    -o ControlMaster=auto -o ControlPath=/w/ssh-control -o ControlPersist=900 "$QA_USER@127.0.0.1" "$@"
}
hend=$(( $(date +%s) + HEALTH_TIMEOUT ))
ssh_ok=0
if [ $booted = 1 ]; then
  T1=$(now)
  until guest true 2>/w/ssh.err; do
    [ "$(date +%s)" -ge "$hend" ] && break
    sleep 2
  done
  if guest true 2>>/w/ssh.err; then ssh_ok=1; record ssh pass "$(since "$T1")" "logged in as $QA_USER with the QA key from the NoCloud seed"
  else record ssh fail "$(since "$T1")" "no SSH login as $QA_USER within ${HEALTH_TIMEOUT}s: $(tail -1 /w/ssh.err)"; fi
fi
while IFS="$(printf '\t')" read -r kind port path name; do
  [ -n "$kind" ] || continue
  T1=$(now)
  if [ $booted != 1 ]; then record "$name" fail 0 "not run: the VM did not boot"; continue; fi
  url="http://127.0.0.1:$port$path"
  case $kind in
  exposure)
    # from outside the guest (QEMU forwards the port to its network card): no HTTP answer allowed
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$url" 2>/dev/null); code=${code:-000}
    if [ "$code" = 000 ]; then record "$name" pass "$(since "$T1")" "port $port does not answer from outside the VM"
    else record "$name" fail "$(since "$T1")" "GET :$port$path from outside the VM -> $code: the service listens beyond 127.0.0.1"; fi ;;
  health)
    if [ $ssh_ok != 1 ]; then record "$name" fail 0 "not run: no SSH login"; continue; fi
    code=000
    while :; do
      code=$(guest curl -s -m 5 -o /dev/null -w '%{http_code}' "$url" 2>/dev/null); code=${code:-000}
      [ "$code" = 200 ] && break
      [ "$(date +%s)" -ge "$hend" ] && break
      sleep 2
    done
    if [ "$code" = 200 ]; then record "$name" pass "$(since "$T1")" "in the guest: GET 127.0.0.1:$port$path -> 200"
    else record "$name" fail "$(since "$T1")" "in the guest: GET 127.0.0.1:$port$path -> $code, no HTTP 200 within ${HEALTH_TIMEOUT}s (service down?)"; fi ;;
  inference)
    if [ $ssh_ok != 1 ]; then record "$name" fail 0 "not run: no SSH login"; continue; fi
    guest curl -s -m 60 -X POST -H "'Content-Type: application/json'" -d "'{\"prompt\":\"Say hello.\",\"max_tokens\":8}'" \
      -w "'\n%{http_code}'" "$url" > /w/out 2>/dev/null
    code=$(tail -n 1 /w/out); code=${code:-000}; sed '$d' /w/out > /w/body
    body=$(head -c 200 /w/body 2>/dev/null | tr '\n\t' '  ')
    if [ "$code" = 200 ] && jq -e 'type == "object" and (has("response") or has("result"))' /w/body >/dev/null 2>&1; then
      record "$name" pass "$(since "$T1")" "in the guest: POST 127.0.0.1:$port$path -> 200 with a response"
    else
      record "$name" fail "$(since "$T1")" "in the guest: POST 127.0.0.1:$port$path -> $code, want 200 and a response or result field; body: $body"
    fi ;;
  esac
done < /in/plan.tsv
# what first boot did and what runs (guest.log, always in the report)
if [ $ssh_ok = 1 ]; then
  guest 'sudo journalctl -b --no-pager -o cat -u unisonos-firstboot -u unison-platform -u docker; echo "--- docker ps"; sudo docker ps --format "{{.Names}} {{.Image}} {{.Status}}" 2>&1; echo "--- network"; ip route 2>&1' > /report/guest.log 2>&1
fi
ssh -O exit -o ControlPath=/w/ssh-control "$QA_USER@127.0.0.1" 2>/dev/null
kill $QPID 2>/dev/null; wait $QPID 2>/dev/null
exit 0
