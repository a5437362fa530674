#!/bin/bash
# platform-host.sh: runs the UnisonOS platform on a machine with real Docker
# Engine and Compose v2 (Debian 13's docker.io and docker-compose), the way
# an installed system does, and prints what a user would check, one
# "CHECK <name>: ok|FAIL <detail>" line each, then "CHECKS DONE".
#
# The bundle is unpacked in /b; /etc/docker/daemon.json and the registry
# login are the test's. Steps: install-docker.sh --pull (real compose pulls),
# the unit's own ExecStartPre and ExecStart lines (no systemd in a container),
# every service healthy by compose's own account, the contract as Docker
# applied it, loopback-only ports, answers from the host, a restart of the
# Docker daemon (the restart policy brings the platform back), then two
# broken machines: models.json missing, models.json unreadable by the
# services' user.
set -uo pipefail
B=/b/unison-platform
UNIT=/etc/systemd/system/unison-platform.service
COMPOSE=(docker compose --env-file /etc/unison/platform.env --project-directory /opt/unison-platform -f /opt/unison-platform/compose.yaml)
prefix() { sed "s/^/$1: /"; }
check() { if [ "$2" = ok ]; then echo "CHECK $1: ok"; else echo "CHECK $1: FAIL ${*:2}"; fi; }

dockerd_up() {
  local t0=$SECONDS
  dockerd >> /var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    if timeout 5 docker info >/dev/null 2>&1; then echo "dockerd up in $((SECONDS - t0))s"; return 0; fi
    sleep 1
  done
  echo "dockerd did not start within $((SECONDS - t0))s: $(timeout 5 docker info 2>&1 | tail -3)"
  grep -vE 'level=(info|debug)' /var/log/dockerd.log | tail -20; return 1
}
dockerd_down() {
  pkill dockerd
  for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || return 0; sleep 1; done
  pkill -9 dockerd containerd
}

# healthy SECONDS: wait until compose reports every service running and healthy
healthy() {
  local n want
  want=$(grep -c '^  [a-z][a-z0-9-]*:$' /opt/unison-platform/compose.yaml)
  for _ in $(seq 1 "$1"); do
    n=$("${COMPOSE[@]}" ps --format json | jq -s 'flatten | map(select(.State == "running" and .Health == "healthy")) | length')
    [ "$n" = "$want" ] && return 0
    sleep 1
  done
  "${COMPOSE[@]}" ps --format json | jq -c -s 'flatten | .[] | {Service, State, Health}'
  return 1
}

# run the unit as systemd would: its ExecStartPre, then its ExecStart
unit_start() {
  local line
  while IFS= read -r line; do
    bash -c "${line#*=}" || return 1
  done < <(grep -E '^ExecStart(Pre)?=' "$UNIT")
}

dockerd_up || exit 1
docker version --format 'docker {{.Server.Version}}'
docker compose version
echo "storage $(docker info --format '{{.Driver}}'), networks $(docker network ls --format '{{.Name}}' | sort | tr '\n' ' ')"
[ -n "${REGISTRY:-}" ] && docker login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" < /run/secrets/registry-password >/dev/null

out=$("$B"/installer/install-docker.sh --pull 2>&1); rc=$?
prefix install <<< "$out"
check install "$([ $rc = 0 ] && echo ok || echo "install-docker.sh exit $rc")"
out=$(unit_start 2>&1); rc=$?
prefix unit <<< "$out"
check unit-start "$([ $rc = 0 ] && echo ok || echo "the unit's ExecStartPre/ExecStart failed ($rc)")"
if healthy 120; then check healthy ok; else check healthy "not every service healthy within 120s"; fi
"${COMPOSE[@]}" ps --format json | jq -c -s 'flatten | .[] | {Service, State, Health, Publishers: [.Publishers[] | "\(.URL):\(.PublishedPort)"]}' | prefix ps

# what Docker reports, for the contract's judge (pipelines/qa.Containers): json-<phase>-<what>: one line each
dump() {
  echo "json-$1-ps: $("${COMPOSE[@]}" ps -a --format json | jq -c -s flatten)"
  local ids
  mapfile -t ids < <("${COMPOSE[@]}" ps -a -q)
  echo "json-$1-inspect: $(docker inspect "${ids[@]}" | jq -c .)"
}
echo "json-services: $(jq -c . "$B/services.json")"
dump up

# the contract, as Docker applied it to each container
for c in $("${COMPOSE[@]}" ps -q); do
  docker inspect "$c" | jq -r '.[0] | "inspect: \(.Config.Labels["com.docker.compose.service"]) image=\(.Config.Image) user=\(.Config.User) readonly=\(.HostConfig.ReadonlyRootfs) capdrop=\(.HostConfig.CapDrop | join(",")) secopt=\(.HostConfig.SecurityOpt | join(",")) log=\(.HostConfig.LogConfig.Type):\(.HostConfig.LogConfig.Config["max-size"]) network=\(.HostConfig.NetworkMode) mounts=\([.Mounts[] | "\(.Source)->\(.Destination):\(if .RW then "rw" else "ro" end)"] | join(","))"'
done
# listening sockets: published ports on loopback only (docker-proxy)
ss -ltnH | awk '{print "listen: " $4}' | sort -u
bad=$(ss -ltnH | awk '{print $4}' | grep -vE '^(127\.[0-9.]+|\[::1\]):' | tr '\n' ' ')
check loopback-only "$([ -z "$bad" ] && echo ok || echo "listening beyond loopback: $bad")"

# answers from the machine: every health endpoint, an inference answer naming the flavor's model
while read -r svc port health; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$health")
  check "health-$svc" "$([ "$code" = 200 ] && echo ok || echo "GET 127.0.0.1:$port$health -> $code")"
done < <(jq -r '.services[] | "\(.name) \(.port) \(.health)"' "$B/services.json")
model=$(jq -r .text_model "$B/models.json")
read -r port path < <(jq -r '.services[] | select(.inference) | "\(.port) \(.inference)"' "$B/services.json")
answer=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"prompt":"hello"}' "http://127.0.0.1:$port$path")
echo "inference: $answer"
check inference-model "$([ "$(jq -r .model <<< "$answer")" = "$model" ] && echo ok || echo "want the model of models.json ($model)")"

# the Docker daemon restarts (a reboot, as far as containers know): the restart policy brings the platform back
dockerd_down; dockerd_up
if healthy 120; then check after-restart ok; else check after-restart "the platform did not come back healthy"; fi

# a machine whose models.json is missing: compose refuses to start inference (and what waits for it)
"${COMPOSE[@]}" down >/dev/null 2>&1
mv /opt/unison-platform/models.json /tmp/models.json
out=$(unit_start 2>&1); rc=$?
tail -3 <<< "$out" | prefix missing-models
check missing-models-refused "$([ $rc != 0 ] && grep -q 'models.json' <<< "$out" && echo ok || echo "started without models.json (exit $rc)")"
"${COMPOSE[@]}" down >/dev/null 2>&1
mv /tmp/models.json /opt/unison-platform/models.json

# models.json the services' user cannot read: inference is unhealthy, the orchestrator never starts
chmod 600 /opt/unison-platform/models.json
out=$(unit_start 2>&1); rc=$?
tail -3 <<< "$out" | prefix unreadable-models
state=$("${COMPOSE[@]}" ps -a --format json | jq -r -s 'flatten | map("\(.Service)=\(.State)/\(.Health)") | sort | join(" ")')
echo "unreadable-models: $state"
dump unreadable
check unreadable-models-refused "$([ $rc != 0 ] && grep -q 'inference=running/unhealthy' <<< "$state" && ! grep -q 'orchestrator=running' <<< "$state" && echo ok || echo "exit $rc, $state")"
chmod 644 /opt/unison-platform/models.json
"${COMPOSE[@]}" down >/dev/null 2>&1
dockerd_down
echo "CHECKS DONE"
