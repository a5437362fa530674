#!/bin/sh
# A QEMU that never returns and never boots (a /dev/kvm that opens but runs no guest).
exec sleep 600
