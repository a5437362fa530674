#!/bin/sh
set -u
STAMP=/var/lib/unisonos/firstboot.done
P=/opt/unison-platform
log() { echo "UNISON-FIRSTBOOT: $*"; }
if [ -f "$STAMP" ]; then log "already done"; exit 0; fi
log "start version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$P"/metadata.json | head -1)"
# the seed's hardening, as the ISO's late-commands set it: the firewall denies
# incoming traffic but SSH, and unattended upgrades are on (both packages are
# in Ubuntu's cloud image)
if ! command -v ufw >/dev/null 2>&1; then
  log "FAILED: no ufw on this image: the firewall stays off"
elif { ufw default deny incoming && { ufw allow OpenSSH || ufw allow 22/tcp; } && ufw --force enable; } > /run/unisonos-ufw.log 2>&1; then
  log "firewall on: incoming traffic denied but SSH"
else
  # a half-loaded rule set could deny SSH too: off, and said (qa-smoke's firewall check fails)
  log "FAILED: could not turn the firewall (ufw) on: $(grep -v '^$' /run/unisonos-ufw.log | tail -3 | tr '\n' ' ')"
  ufw --force disable >/dev/null 2>&1
fi
printf 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n' > /etc/apt/apt.conf.d/20auto-upgrades
# an offline medium: Docker from its packages (checked against their SHA-256 first), no network
if ! UNISON_LOG_PREFIX=UNISON-FIRSTBOOT: /bin/sh "$P/installer/offline.sh" debs; then exit 1; fi
# Docker with Compose v2 from the archive: the packages, without recommends, an
# offline medium carries (pipelines/offline.Packages, scripts/offline-debs.sh)
case $(sed -n 's/^ID=//p' /etc/os-release | tr -d '"') in
  debian) PKGS="docker.io docker-cli docker-compose apparmor" ;;
  *) PKGS="docker.io docker-compose-v2" ;;
esac
if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
  log "installing $PKGS"
  # shellcheck disable=SC2086 # a list of package names
  if ! { apt-get -o DPkg::Lock::Timeout=300 update -q && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends $PKGS; }; then
    log "FAILED: could not install Docker (no network?); will retry at next boot"
    exit 1
  fi
fi
if [ -d "$P/offline/images" ]; then
  systemctl start docker.service
  if ! UNISON_LOG_PREFIX=UNISON-FIRSTBOOT: /bin/sh "$P/installer/offline.sh" images; then exit 1; fi
fi
if ! "$P/installer/install-docker.sh"; then log "FAILED: platform installer"; exit 1; fi
systemctl enable docker.service unison-platform.service >/dev/null 2>&1 || true
if /bin/bash "$P/installer/common.sh" check-env /etc/unison/platform.env; then
  systemctl start --no-block unison-platform.service
  log "unison-platform.service started"
else
  log "not starting unison-platform.service: edit /etc/unison/platform.env, then systemctl start unison-platform"
fi
mkdir -p /var/lib/unisonos && touch "$STAMP"
log "done"
if grep -qw unison.test_poweroff /proc/cmdline; then systemctl --no-block poweroff; fi
exit 0
