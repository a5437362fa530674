#!/bin/sh
# A QEMU that refuses KVM, as qemu-system-x86_64 does when the ioctls fail.
echo "qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied" >&2
exit 1
