#!/bin/sh
# contract-probe.sh URL TIMEOUT: the service contract's health check from
# outside the container: GET URL must answer 200 within TIMEOUT seconds.
# Prints one report line: "ok health: ..." or "FAIL health: ...".
set -eu
url=$1
timeout=$2
end=$(($(date +%s) + timeout))
code=""
while :; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)
	if [ "$code" = 200 ]; then
		echo "ok health: GET $url answered 200"
		exit 0
	fi
	if [ "$(date +%s)" -ge "$end" ]; then
		echo "FAIL health: GET $url answered ${code:-nothing} (want 200 within ${timeout}s): the service must answer its health path when it can serve"
		exit 0
	fi
	sleep 1
done
