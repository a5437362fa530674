#!/bin/bash
# qa-late-commands: runs the autoinstall late-commands of /in/late-commands.txt
# (one shell line each, in order, stopping at the first failure like the
# installer) with /cdrom/nocloud from /in/installer.iso and /target from the
# root filesystem (at byte OFFSET) of /in/target.qcow2, then checks what
# they must leave in the target. Results in /report (see qa_late.go).
set -u
mkdir -p /report /w /cdrom /target; : > /report/results.tsv; : > /report/late-commands.log
date +%s > /report/started
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> /report/results.tsv; }
T0=$(now)
xorriso -osirrox on -indev /in/installer.iso -extract /nocloud /cdrom/nocloud > /w/xorriso.log 2>&1 \
  || { record "medium" fail "$(since "$T0")" "cannot read /nocloud of the ISO: $(tail -1 /w/xorriso.log)"; exit 0; }
qemu-img convert -O raw /in/target.qcow2 /w/target.raw
debugfs -R "rdump / /target" "/w/target.raw?offset=$OFFSET" > /w/debugfs.log 2>&1; rm -f /w/target.raw
[ -x /target/bin/sh ] || { record "target" fail "$(since "$T0")" "no root filesystem from the target image: $(tail -1 /w/debugfs.log)"; exit 0; }
mkdir -p /target/dev /target/proc /target/tmp /target/run
[ -e /target/dev/null ] || mknod -m 0666 /target/dev/null c 1 3
# what the late-commands are responsible for starts out undone (cloud images
# and package defaults may have done some of it), so every check below
# proves that the commands did it
WANTS=/target/etc/systemd/system/multi-user.target.wants
rm -f /target/etc/apt/apt.conf.d/20auto-upgrades "$WANTS/unattended-upgrades.service" "$WANTS/docker.service" "$WANTS/unison-platform.service"
[ ! -f /target/etc/ufw/ufw.conf ] || sed -i 's/^ENABLED=.*/ENABLED=no/' /target/etc/ufw/ufw.conf
[ ! -f /target/etc/default/ufw ] || sed -i 's/^DEFAULT_INPUT_POLICY=.*/DEFAULT_INPUT_POLICY="ACCEPT"/' /target/etc/default/ufw
chroot /target dpkg -s docker.io > /dev/null 2>&1 && DOCKER_BEFORE=installed || DOCKER_BEFORE=absent
record "medium and target" pass "$(since "$T0")" "/cdrom/nocloud: $(find /cdrom/nocloud -type f | wc -l) files; /target from the target image"
n=0; failed=0
while IFS= read -r cmd; do
  n=$((n + 1)); T1=$(now)
  if [ $failed = 1 ]; then record "late-command $n" fail 0 "not run: an earlier late-command failed ($cmd)"; continue; fi
  { echo "### $n: $cmd"; } >> /report/late-commands.log
  sh -c "$cmd" >> /report/late-commands.log 2>&1 < /dev/null
  rc=$?
  if [ $rc = 0 ]; then record "late-command $n" pass "$(since "$T1")" "$cmd"
  else failed=1; record "late-command $n" fail "$(since "$T1")" "exit $rc: $cmd ($(tail -1 /report/late-commands.log))"; fi
done < /in/late-commands.txt
check() { # name, message when it holds, test...
  local name=$1 msg=$2; shift 2
  if "$@" > /dev/null 2>&1; then record "$name" pass 0 "$msg"; else record "$name" fail 0 "not so: $msg"; fi
}
check "bundle installed" "/opt/unison-platform holds compose.yaml, services.json and the installer" \
  test -f /target/opt/unison-platform/compose.yaml -a -f /target/opt/unison-platform/services.json -a -x /target/opt/unison-platform/installer/install-docker.sh
check "platform unit" "unison-platform.service installed and enabled" \
  sh -c 'test -f /target/etc/systemd/system/unison-platform.service && [ -L /target/etc/systemd/system/multi-user.target.wants/unison-platform.service ]'
check "platform.env" "/etc/unison/platform.env written by the installer, mode 0600" \
  test "$(stat -c %a /target/etc/unison/platform.env 2>/dev/null)" = 600
check "docker enabled" "docker.service enabled" test -L "$WANTS/docker.service"
check "firewall" "ufw enabled at boot, incoming denied, OpenSSH allowed" \
  sh -c 'grep -qx "ENABLED=yes" /target/etc/ufw/ufw.conf && grep -qx "DEFAULT_INPUT_POLICY=\"DROP\"" /target/etc/default/ufw && grep -q "dport 22 " /target/etc/ufw/user.rules'
check "unattended upgrades" "apt in the target reads Unattended-Upgrade 1 and the service is enabled" \
  sh -c 'chroot /target apt-config dump | grep -qx "APT::Periodic::Unattended-Upgrade \"1\";" && [ -L /target/etc/systemd/system/multi-user.target.wants/unattended-upgrades.service ]'
# keys only: sshd in the target reads the drop-in first (when the medium writes it: stable, public, keys)
if grep -q 05-unisonos-keys-only.conf /in/late-commands.txt 2>/dev/null; then
  # shellcheck disable=SC2317 # called through check
  keys_only() {
    set -- /target/etc/ssh/sshd_config.d/*.conf
    grep -qx "PasswordAuthentication no" /target/etc/ssh/sshd_config.d/05-unisonos-keys-only.conf && [ "$1" = /target/etc/ssh/sshd_config.d/05-unisonos-keys-only.conf ]
  }
  check "ssh keys only" "sshd_config.d/05-unisonos-keys-only.conf: PasswordAuthentication no, read before any other drop-in" keys_only
fi
# an offline medium: Docker came from its packages, and the unit loads its images before compose up
if [ -d /target/opt/unison-platform/offline ]; then
  # shellcheck disable=SC2317 # called through check
  from_medium() { [ "$DOCKER_BEFORE" = absent ] && chroot /target dpkg -s docker.io; }
  check "docker from the medium" "docker.io installed from the medium's packages (before the commands: $DOCKER_BEFORE)" from_medium
  check "images loaded at start" "unison-platform.service loads the medium's images before compose up" \
    grep -q "^ExecStartPre=/bin/sh /opt/unison-platform/installer/offline.sh images$" /target/etc/systemd/system/unison-platform.service
fi
exit 0
