#!/usr/bin/env bash
# Lifecycle tests of the air-gapped mode (root; `make test-airgap`): a start
# that fails at any step leaves the host as it was, pid files naming foreign
# processes are never signalled, status tells the truth, and a tampered
# Dagger source is refused. A running engine is stopped first and started
# again at the end.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
A=$HERE/airgap.sh
D=${UNISON_AIRGAP_DIR:-/var/cache/unison-airgap}
RUN=$D/run
fails=0
ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

[ "$(id -u)" = 0 ] || { echo "lifecycle tests need root (as the air-gapped engine does)"; exit 1; }
was_running=0
if "$A" status >/dev/null 2>&1; then was_running=1; "$A" stop; fi
fwd_orig=$(cat /proc/sys/net/ipv4/ip_forward)
decoys=()
cleanup() {
  echo "$fwd_orig" > /proc/sys/net/ipv4/ip_forward
  for p in "${decoys[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ "$was_running" = 1 ]; then "$A" start; fi
}
trap cleanup EXIT

no_veth() { ! ip link show vunison0 >/dev/null 2>&1; }
ipt() { chroot "$D/engine-rootfs" iptables-legacy "$@"; }
no_nat() { ! ipt -t nat -S POSTROUTING 2>/dev/null | grep -q 10.213.7.0/30; }
no_filter() { ! ipt -S 2>/dev/null | grep -qE 'UNISON-|unison-airgap|vunison0'; }
no_procs() { ! pgrep -f 'dagger-engine|/unison-airgap/bin/localreg' >/dev/null; }
no_mounts() { ! grep -q unison-airgap /proc/mounts; }
host_clean() {
  local f ok=0
  for f in no_veth no_nat no_filter no_procs no_mounts; do
    if ! "$f"; then echo "     ($f failed)"; ok=1; fi
  done
  if ! no_procs; then pgrep -af 'dagger-engine|/unison-airgap/bin/localreg' | cut -c1-120; fi
  return $ok
}

# 1. a start forced to fail after each step undoes what it did; ip_forward as it was
"$A" build >/dev/null 2>&1
for fwd in 0 1; do
  for step in netns veth egress nat registry engine; do
    echo "$fwd" > /proc/sys/net/ipv4/ip_forward
    if out=$(UNISON_AIRGAP_FAIL_AFTER=$step "$A" start 2>&1); then
      bad "start failing after $step exited 0"; "$A" stop >/dev/null 2>&1 || true; continue
    fi
    check "start failing after $step (ip_forward $fwd) names the step" grep -q "start failed after step: $step" <<<"$out"
    check "start failing after $step (ip_forward $fwd) leaves no veth, NAT or filter rule, process or mount" host_clean
    check "start failing after $step leaves ip_forward at $fwd" [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$fwd" ]
  done
done
echo "$fwd_orig" > /proc/sys/net/ipv4/ip_forward

# 2. stale pid files naming foreign processes survive start, status and stop
mkdir -p "$RUN"
sleep 3600 & decoys+=($!)
sleep 3600 & decoys+=($!)
echo "${decoys[0]}" > "$RUN/netns.pid"                                  # an older airgap.sh's format
echo "${decoys[1]} 1 $(cat /proc/sys/kernel/random/boot_id)" > "$RUN/engine.pid" # right boot, wrong start time
status=$("$A" status 2>&1 || true)
check "status reports the stale engine pid file as not running" grep -q "engine: not running (stale pid file" <<<"$status"
echo 0 > /proc/sys/net/ipv4/ip_forward  # as on a host that routes nothing (restored at the end)
# (and a CIDR allowed: TEST-NET-1, which nothing here answers)
env -u UNISON_AIRGAP_TEST_FAULTS UNISON_AIRGAP_ALLOW=192.0.2.0/24 "$A" start >/dev/null 2>&1 || bad "start with stale pid files"
check "the decoys survive start" kill -0 "${decoys[0]}" "${decoys[1]}"
check "status: running after start" "$A" status
# a start without UNISON_AIRGAP_TEST_FAULTS=1 has no fault endpoint; the mirror is read-only
read -r nspid _ < "$RUN/netns.pid"
http() { nsenter -t "$nspid" -n curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "no fault token without the test flag" bash -c "! '$A' env | grep -q FAULT_TOKEN"
check "no fault endpoint without the test flag (404)" [ "$(http -X POST 'http://127.0.0.1:5001/_unison/fault?count=1')" = 404 ]
check "the mirror refuses an anonymous PUT (405)" [ "$(http -X PUT http://127.0.0.1:5000/v2/library/debian/manifests/bookworm)" = 405 ]
check "the shared registry refuses an anonymous POST (401)" [ "$(http -X POST http://127.0.0.1:5001/v2/x/y/blobs/uploads/)" = 401 ]
# 2b. egress: the Go proxy is reachable, link-local and other addresses are
# refused by the engine's rules (their counters move), the host's services too
counter() { ipt -L UNISON-EGRESS -v -x -n | awk -v d="$1" '$3=="REJECT" && $9==d {print $1}'; }
proxy=$(go env GOPROXY | cut -d, -f1)
check "engine containers reach the Go module proxy" [ "$(http -m 30 "$proxy/golang.org/x/mod/@v/list")" = 200 ]
for dst in 169.254.0.0/16 0.0.0.0/0; do
  before=$(counter "$dst")
  target=169.254.169.254; [ "$dst" = 0.0.0.0/0 ] && target=198.51.100.7  # TEST-NET-2: an address nobody allowed
  http -m 5 "http://$target/" >/dev/null || true
  check "egress to $target refused by the engine's rule ($dst)" [ "$(counter "$dst")" -gt "${before:-0}" ]
done
cidr_rule() { ipt -S UNISON-EGRESS | grep -qx -- '-A UNISON-EGRESS -d 192.0.2.0/24 -j ACCEPT'; }
check "a CIDR of UNISON_AIRGAP_ALLOW is allowed whole" cidr_rule
# the Go proxy's address is allowed at its URL's port only: another port of it is refused
proxy_ip=$(getent ahostsv4 "$(printf '%s' "$proxy" | sed 's|^[a-z]*://||; s|[/:].*||')" | awk '{print $1; exit}')
before=$(counter 0.0.0.0/0)
http -m 5 "http://$proxy_ip:8443/" >/dev/null || true
check "the Go proxy's address on another port is refused ($proxy_ip:8443)" [ "$(counter 0.0.0.0/0)" -gt "${before:-0}" ]
port=47123
perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalPort=>'"$port"',Listen=>5,ReuseAddr=>1) or die; while($c=$s->accept){close $c}' & decoys+=($!)
sleep 0.5
check "the host's test service answers on the host" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
check "the host's services are refused from the engine's network" bash -c "! nsenter -t $nspid -n timeout 5 bash -c 'exec 3<>/dev/tcp/10.213.7.1/$port' 2>/dev/null"
fwd_only() { ipt -S FORWARD | grep -q unison-airgap; }
check "forwarding was off: the host forwards for the engine's veth only" fwd_only
check "ip_forward is on while the engine runs" [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
# 3. status tells the truth about a dead engine
read -r epid _ < "$RUN/engine.pid"
kill -KILL "$epid"; sleep 1
check "status: a killed engine is not running" bash -c "! '$A' status >/dev/null 2>&1"
"$A" stop >/dev/null 2>&1
echo "${decoys[0]} 1 $(cat /proc/sys/kernel/random/boot_id)" > "$RUN/localreg.pid"
"$A" stop >/dev/null 2>&1
check "the decoys survive stop" kill -0 "${decoys[0]}" "${decoys[1]}"
check "stop leaves the host clean" host_clean
check "stop restores ip_forward (0)" [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ]

# 4. a tampered Dagger source is refused, naming both hashes
src=$(mktemp -d)
mod=$(GOFLAGS=-modcacherw go env GOMODCACHE)/github.com/dagger/dagger@v0.19.7
if [ -d "$mod" ]; then
  cp -r "$mod/." "$src/"; chmod -R u+w "$src"
  "$D/bin/modhash" -sums "$HERE/dagger.sum" -module github.com/dagger/dagger@v0.19.7 -dir "$src" >/dev/null ||
    bad "the module cache's dagger source does not match its pin"
  echo "// tampered" >> "$src/cmd/engine/main.go"
  if out=$("$D/bin/modhash" -sums "$HERE/dagger.sum" -module github.com/dagger/dagger@v0.19.7 -dir "$src" 2>&1); then
    bad "a tampered dagger source was accepted"
  else
    check "a tampered dagger source is refused with both hashes" grep -q "hashes to h1:.* pins h1:" <<<"$out"
  fi
else
  bad "no dagger source in the module cache ($mod): airgap.sh build downloads it"
fi
rm -rf "$src"

# 5. Docker mode (docker.sh): a start failing after each of its steps undoes
# them (dockerd and all it ran, veth, rules, mounts, socket)
DK=$HERE/docker.sh
docker_clean() {
  local ok=0
  ip link show vunison2 >/dev/null 2>&1 && { echo "     (veth vunison2 left)"; ok=1; }
  pgrep -f 'dockerd|containerd|/bin/gitserve' >/dev/null && { echo "     (process left)"; pgrep -af 'dockerd|containerd|/bin/gitserve' | cut -c1-120; ok=1; }
  [ -e /var/run/docker.sock ] && { echo "     (socket left)"; ok=1; }
  ipt -t nat -S POSTROUTING 2>/dev/null | grep -q 10.213.8.0/30 && { echo "     (NAT rule left)"; ok=1; }
  ipt -S 2>/dev/null | grep -qE 'UNISON-DOCKER|vunison2' && { echo "     (filter rule left)"; ok=1; }
  grep -qE "$D/docker|run-docker" /proc/mounts && { echo "     (mount left)"; ok=1; }
  return $ok
}
if "$DK" status >/dev/null 2>&1; then
  echo "skip Docker mode's lifecycle: it runs (./airgap/docker.sh stop first)"
else
  for step in netns egress nat dockerd registry; do
    if out=$(UNISON_AIRGAP_FAIL_AFTER=$step "$DK" start 2>&1); then
      bad "Docker mode: start failing after $step exited 0"; "$DK" stop >/dev/null 2>&1 || true; continue
    fi
    check "Docker mode: start failing after $step names the step" grep -q "start failed after step: $step" <<<"$out"
    check "Docker mode: start failing after $step leaves no dockerd, veth, rule, mount or socket" docker_clean
  done
fi

if [ "$fails" != 0 ]; then echo "lifecycle: $fails failed"; exit 1; fi
echo "lifecycle: all passed"
