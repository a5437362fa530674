#!/bin/sh
# contract-probe.sh URL TIMEOUT PORT USER: the service contract's health check
# from outside the container: GET URL must answer 200 within TIMEOUT seconds.
# Prints one report line: "ok health: ...", "FAIL health: ..." (it answered,
# not 200) or "FAIL start: ..." (nothing answered at all).
set -eu
url=$1
timeout=$2
port=$3
user=$4
end=$(($(date +%s) + timeout))
code=""
while :; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)
	if [ "$code" = 200 ]; then
		echo "ok health: GET $url answered 200"
		exit 0
	fi
	if [ "$(date +%s)" -ge "$end" ]; then
		if [ -z "$code" ] || [ "$code" = 000 ]; then
			echo "FAIL start: the image did not start listening on 0.0.0.0:$port as $user with the contract's environment: nothing answered GET $url within ${timeout}s"
		else
			echo "FAIL health: GET $url answered $code (want 200 within ${timeout}s): the service must answer its health path when it can serve"
		fi
		exit 0
	fi
	sleep 1
done
