#!/bin/sh
# A QEMU whose guest kernel prints its first line on the serial console, as a
# kernel booted with working KVM does (kvm-probe.sh must answer "kvm").
for a in "$@"; do
  case $a in file:*) echo "Linux version 6.1.0-test (probe)" > "${a#file:}" ;; esac
done
