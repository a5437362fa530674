#!/bin/sh
# Prints the versions of the main tools of the tools container.
set -e
printf 'xorriso: %s\n' "$(xorriso -version 2>/dev/null | head -1)"
printf 'qemu-img: %s\n' "$(qemu-img --version | head -1)"
printf 'qemu-system-x86_64: %s\n' "$(qemu-system-x86_64 --version | head -1)"
printf 'debugfs: %s\n' "$(debugfs -V 2>&1 | head -1)"
printf 'git: %s\n' "$(git --version)"
