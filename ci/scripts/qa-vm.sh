#!/bin/bash
# qa-smoke of a VM disk: boots /in/image.qcow2 (through a throwaway overlay)
# with the NoCloud seed /in/seed.iso, waits for READY_MARKER, logs in over SSH
# with /in/qa-key as QA_USER and runs the health and inference checks of
# /in/plan.tsv inside the guest against 127.0.0.1; from outside, every
# service port must not answer. Then what compose and Docker report of the
# platform's containers and what listens in the guest (judged in qa.go),
# and a reboot: the platform must come back on its own and the first-boot
# unit must not run again. Results in /report.
set -u
mkdir -p /report /w; : > /report/results.tsv; : > /report/serial.log; : > /report/serial-reboot.log; : > /report/guest.log
date +%s > /report/started # qa.go tells a fresh run from a replayed one
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> /report/results.tsv; }
cp /in/qa-key /w/key; chmod 0600 /w/key
qemu-img create -q -f qcow2 -b /in/image.qcow2 -F qcow2 /w/overlay.qcow2
SSH_PORT=2222
FWD=",hostfwd=tcp:127.0.0.1:$SSH_PORT-:22"; for p in $PORTS; do FWD="$FWD,hostfwd=tcp:127.0.0.1:$p-:$p"; done
# isolated: the guest reaches nothing (no route out of QEMU's user network); the forwards still reach it
if [ "${ISOLATED:-0}" = 1 ]; then FWD=",restrict=on$FWD"; fi
# qemu_start SERIAL_LOG: boots the overlay (it keeps the guest's disk across a reboot)
qemu_start() {
  set -- "$1" -accel "$ACCEL" -machine pc -m "$MEMORY" -smp 2 \
    -drive file=/w/overlay.qcow2,if=virtio,format=qcow2 \
    -drive file=/in/seed.iso,if=virtio,format=raw,readonly=on \
    -netdev "user,id=n0$FWD" -device virtio-net-pci,netdev=n0 \
    -display none -monitor none -no-reboot
  local log=$1; shift
  set -- "$@" -serial "file:$log"
  if [ "$ACCEL" = kvm ]; then set -- "$@" -cpu host; fi
  if [ -f /boot-files/vmlinuz ]; then set -- "$@" -kernel /boot-files/vmlinuz -initrd /boot-files/initrd.gz -append "$KERNEL_ARGS"; fi
  qemu-system-x86_64 "$@" > /w/qemu.log 2>&1 &
  QPID=$!
}
echo "qa-smoke: qemu $ACCEL, ssh on $SSH_PORT, service ports $PORTS"
T0=$(now)
qemu_start /report/serial.log
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
# wait_ssh DEADLINE: until a login works
wait_ssh() {
  until guest true 2>/w/ssh.err; do
    [ "$(date +%s)" -ge "$1" ] && return 1
    sleep 2
  done
}
hend=$(( $(date +%s) + HEALTH_TIMEOUT ))
ssh_ok=0
if [ $booted = 1 ]; then
  T1=$(now)
  if wait_ssh "$hend"; then ssh_ok=1; record ssh pass "$(since "$T1")" "logged in as $QA_USER with the QA key from the NoCloud seed"
  else record ssh fail "$(since "$T1")" "no SSH login as $QA_USER within ${HEALTH_TIMEOUT}s: $(tail -1 /w/ssh.err)"; fi
fi
up=1 # every health endpoint answered (else the container checks wait no longer)
P=/opt/unison-platform
COMPOSE="sudo docker compose --env-file /etc/unison/platform.env --project-directory $P -f $P/compose.yaml"
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
    else up=0; record "$name" fail "$(since "$T1")" "in the guest: GET 127.0.0.1:$port$path -> $code, no HTTP 200 within ${HEALTH_TIMEOUT}s (service down?)"; fi ;;
  inference)
    if [ $ssh_ok != 1 ]; then record "$name" fail 0 "not run: no SSH login"; continue; fi
    svc=${name% *}
    guest curl -s -m 60 -X POST -H "'Content-Type: application/json'" -d "'{\"prompt\":\"Say hello.\",\"max_tokens\":8}'" \
      -w "'\n%{http_code}'" "$url" > /w/out 2>/dev/null
    code=$(tail -n 1 /w/out); code=${code:-000}; sed '$d' /w/out > /w/body
    body=$(head -c 200 /w/body 2>/dev/null | tr '\n\t' '  ')
    # the models metadata as the service's container sees it (the contract's mount)
    models=""
    if guest "$COMPOSE cp $svc:/unison/models/models.json -" 2>/dev/null | tar -xO > /w/models.json 2>/dev/null && [ -s /w/models.json ]; then
      models=$(jq -r '[.text_model] + (.models // []) | map(select(. != null and . != "")) | unique | join("\n")' /w/models.json 2>/dev/null)
    fi
    if [ "$code" != 200 ] || ! jq -e 'type == "object" and (has("response") or has("result"))' /w/body >/dev/null 2>&1; then
      record "$name" fail "$(since "$T1")" "in the guest: POST 127.0.0.1:$port$path -> $code, want 200 and a response or result field; body: $body"
    elif [ -z "$models" ]; then
      record "$name" pass "$(since "$T1")" "in the guest: POST 127.0.0.1:$port$path -> 200 with a response (no models.json in the $svc container)"
    elif model=$(jq -r '.model // ""' /w/body) && [ -n "$model" ] && printf '%s\n' "$models" | grep -qxF -- "$model"; then
      record "$name" pass "$(since "$T1")" "in the guest: POST 127.0.0.1:$port$path -> 200, answered by $model of the models.json mounted in the $svc container"
    else
      record "$name" fail "$(since "$T1")" "in the guest: POST 127.0.0.1:$port$path -> 200 but its model field '${model:-}' names none of the mounted models.json's models ($(printf '%s' "$models" | tr '\n' ' ')); body: $body"
    fi ;;
  esac
done < /in/plan.tsv
# collect PHASE: what compose and Docker report of the platform's containers (qa.Containers judges them)
collect() {
  guest "$COMPOSE ps -a --format json" > "/report/$1-ps.json" 2>/dev/null
  guest "$COMPOSE ps -aq | xargs -r sudo docker inspect" > "/report/$1-inspect.json" 2>/dev/null
}
# wait_healthy DEADLINE: until compose reports every container healthy
wait_healthy() {
  while :; do
    guest "$COMPOSE ps -a --format json" 2>/dev/null | jq -se 'flatten | length > 0 and all(.Health == "healthy")' >/dev/null 2>&1 && return 0
    [ "$(date +%s)" -ge "$1" ] && return 1
    sleep 3
  done
}
if [ $ssh_ok = 1 ]; then
  # Docker's own health checks run every 10 s: give them the time the endpoints took, once they answer
  [ $up = 1 ] && wait_healthy "$(( $(date +%s) + HEALTH_TIMEOUT ))"
  collect up
  guest "sudo ss -Htuln" > /report/listeners.txt 2>/dev/null
  # the firewall and unattended upgrades (qa.Hardening's script and judge)
  guest "echo $(base64 -w0 /in/hardening.sh) | base64 -d | sudo sh" > /report/hardening.txt 2>&1
  # what first boot did and what runs (guest.log, always in the report)
  guest "sudo journalctl -b --no-pager -o cat -u unisonos-firstboot -u unison-platform -u docker; echo '--- compose ps'; $COMPOSE ps -a 2>&1; echo '--- network'; ip route 2>&1" > /report/guest.log 2>&1
  # a reboot: the unit and the restart policy bring the platform back
  T1=$(now)
  if [ $up != 1 ]; then
    record reboot fail 0 "not run: the platform was not up before the reboot"
  else
  guest "sudo systemctl poweroff" 2>/dev/null
  for _ in $(seq 1 120); do kill -0 $QPID 2>/dev/null || break; sleep 1; done
  kill $QPID 2>/dev/null; wait $QPID 2>/dev/null
  ssh -O exit -o ControlPath=/w/ssh-control "$QA_USER@127.0.0.1" 2>/dev/null; rm -f /w/ssh-control
  qemu_start /report/serial-reboot.log
  rend=$(( $(date +%s) + BOOT_TIMEOUT ))
  if ! wait_ssh "$rend"; then
    record reboot fail "$(since "$T1")" "after a reboot: no SSH login within ${BOOT_TIMEOUT}s ($(tail -1 /w/ssh.err))"
  elif wait_healthy "$(( $(date +%s) + HEALTH_TIMEOUT ))"; then
    collect reboot
    record reboot pass "$(since "$T1")" "after a reboot: compose reports every container healthy again (unit and restart policy)"
  else
    collect reboot
    record reboot fail "$(since "$T1")" "after a reboot: not every container healthy within ${HEALTH_TIMEOUT}s: $(jq -rs 'flatten | map(.Service + " " + .State + " " + .Health) | join(", ")' /report/reboot-ps.json 2>/dev/null)"
  fi
  guest "echo '--- after the reboot'; sudo journalctl -b --no-pager -o cat -u unison-platform -u docker | tail -40; $COMPOSE ps -a 2>&1" >> /report/guest.log 2>&1
  # the first-boot unit ran at the first boot only: its done marker skips it since
  T1=$(now)
  cond=$(guest "systemctl show -p ConditionResult --value unisonos-firstboot.service" 2>/dev/null)
  if grep -qF "UNISON-FIRSTBOOT: start" /report/serial-reboot.log; then
    record "first boot once" fail "$(since "$T1")" "after a reboot: the first-boot unit ran again (UNISON-FIRSTBOOT: start on the console)"
  elif [ "$cond" = no ]; then
    record "first boot once" pass "$(since "$T1")" "after a reboot: the first-boot unit was skipped (its condition, the done marker, held)"
  else
    record "first boot once" fail "$(since "$T1")" "after a reboot: unisonos-firstboot.service ConditionResult=${cond:-unknown}, want no (skipped by its done marker)"
  fi
  fi
fi
ssh -O exit -o ControlPath=/w/ssh-control "$QA_USER@127.0.0.1" 2>/dev/null
kill $QPID 2>/dev/null; wait $QPID 2>/dev/null
exit 0
