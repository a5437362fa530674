#!/bin/sh
# Stand-in image only (standin-cloud-image): Ubuntu's docker CLI with compose
# v2, as far as the platform uses it. `compose ... up` starts the platform
# stand-in (the health and inference endpoints of the project's
# services.json, on 127.0.0.1 like the real services), `compose ... down`
# stops it; everything else is logged and succeeds.
echo "docker $*" >> /var/log/docker-standin.log
[ "${1:-}" = compose ] || exit 0
shift
dir=/opt/unison-platform
cmd=""
while [ $# -gt 0 ]; do
  case $1 in
    --project-directory) dir=$2; shift 2 ;;
    --env-file|-f|--file|-p|--project-name) shift 2 ;;
    version) echo "Docker Compose version v2.24.6 (stand-in)"; exit 0 ;;
    up|down|pull|ps|config) cmd=$1; shift ;;
    *) shift ;;
  esac
done
case $cmd in
  up)
    pkill -f compose-standin.py
    setsid /usr/local/lib/unison-standin/compose-standin.py "$dir/services.json" >> /var/log/compose-standin.log 2>&1 < /dev/null &
    echo "compose-standin: started for $dir/services.json" > /dev/console 2>/dev/null ;;
  down) pkill -f compose-standin.py ;;
esac
exit 0
