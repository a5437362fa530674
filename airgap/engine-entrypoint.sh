#!/bin/bash
# The entrypoint of Docker mode's engine image (airgap/docker.sh), as the
# official registry.dagger.io/engine image has one: cgroup v2 nesting, a
# higher open-file limit, then the engine with the CLI's arguments (--debug).
set -e
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2: move this group's processes to /init, then enable the controllers for the children
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control
fi
ulimit -n 1048576 || echo "cannot raise the open-file limit, going on"
exec /usr/local/bin/dagger-engine --config /etc/dagger/engine.toml "$@"
