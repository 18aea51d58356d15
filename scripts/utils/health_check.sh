#!/usr/bin/env bash
# Checks a stock-tsdb node: /health on the metrics port (default http://127.0.0.1:9090).
#   health_check.sh [--url http://HOST:PORT] [--retries N]
# Prints the health answer; exit 0 when healthy, 1 otherwise.
set -euo pipefail
url="http://127.0.0.1:9090" retries=20
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift ;;
    --host) url="http://$2:9090"; shift ;;
    --retries) retries="$2"; shift ;;
    -h|--help) sed -n 2,4p "$0"; exit 0 ;;
    *) echo "health_check.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
for i in $(seq 1 "$retries"); do
  if body="$(curl -fsS --max-time 3 "$url/health" 2>/dev/null)"; then
    echo "healthy: $body"
    exit 0
  fi
  [ "$i" -lt "$retries" ] && sleep 0.5
done
echo "unhealthy: $url/health did not answer 200: $(curl -sS --max-time 3 "$url/health" 2>&1 || true)" >&2
exit 1
