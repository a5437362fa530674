#!/usr/bin/env bash
# runc-bounded: the OCI runtime the lab's dockerd runs containers with (Docker
# mode, airgap/docker.sh). It drops from the container's spec the capabilities
# this machine's capability bounding set lacks, then runs runc unchanged.
#
# Why: a privileged container (the dagger CLI starts its engine with
# --privileged) asks for every capability the daemon knows; stock runc fails
# to create it when the host's bounding set lacks one ("operation not
# permitted" on CAP_SYS_RESOURCE on the lab machines). That is a fact of
# these sandboxed machines, not of users' laptops or GitHub runners, whose
# bounding set is full: there this wrapper changes nothing (no capability
# is missing) and docker.sh is not used anyway.
set -euo pipefail
RUNC=${UNISON_RUNC:-/usr/sbin/runc}

# capability numbers (linux/capability.h) to the names OCI specs use
CAPS=(CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID
  CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW
  CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT
  CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD
  CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG
  CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE)

# the spec runc reads: a create or run reads the bundle's config.json
# (containerd's shim passes --bundle DIR), an exec its --process file
bundle=""
process=""
prev=""
for a in "$@"; do
  case "$prev" in --bundle | -b) bundle=$a ;; --process | -p) process=$a ;; esac
  case "$a" in --bundle=*) bundle=${a#--bundle=} ;; --process=*) process=${a#--process=} ;; esac
  prev=$a
done

# bounded FILE FILTER: drop the missing capabilities from the capability lists FILTER names
bounded() {
  jq --argjson drop "$list" "if $2 then $2 |= with_entries(.value |= map(select(. as \$c | \$drop | index(\$c) | not))) else . end" \
    "$1" > "$1.bounded"
  mv "$1.bounded" "$1"
}

if [ -n "$bundle$process" ]; then
  bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  drop=()
  for i in "${!CAPS[@]}"; do
    (( (16#$bnd >> i) & 1 )) || drop+=("${CAPS[i]}")
  done
  if [ ${#drop[@]} -gt 0 ]; then
    list=$(printf '%s\n' "${drop[@]}" | jq -R . | jq -cs .)
    if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then bounded "$bundle/config.json" .process.capabilities; fi
    if [ -n "$process" ] && [ -f "$process" ]; then bounded "$process" .capabilities; fi
  fi
fi
exec "$RUNC" "$@"
