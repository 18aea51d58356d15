#!/usr/bin/env bash
# Starts a standalone stock-tsdb in the background and waits until it is healthy.
#   deploy_standalone.sh --config FILE [--run-dir DIR] [-- extra stock-tsdb flags]
#   deploy_standalone.sh --stop [--run-dir DIR]
# The pid goes to RUN_DIR/stock-tsdb.pid (default ./run), the console output to RUN_DIR/stock-tsdb.out.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/utils/process.sh"
config="$root/config/standalone_performance.lua" run_dir="./run" stop=0 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config="$2"; shift ;;
    --run-dir) run_dir="$2"; shift ;;
    --stop) stop=1 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "deploy_standalone.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$run_dir"
pidfile="$run_dir/stock-tsdb.pid"
if [ "$stop" = 1 ]; then
  [ -f "$pidfile" ] || { echo "not running (no $pidfile)"; exit 0; }
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do process_running "$pid" || break; sleep 0.1; done
  rm -f "$pidfile"
  echo "stopped stock-tsdb (pid $pid)"
  exit 0
fi
[ -x "$root/node_modules/.bin/bun" ] || bash "$root/scripts/install.sh"
if [ -f "$pidfile" ] && process_running "$(cat "$pidfile")"; then
  echo "already running (pid $(cat "$pidfile"))" >&2; exit 1
fi
nohup "$root/bin/stock-tsdb" --config "$config" "${extra[@]}" >"$run_dir/stock-tsdb.out" 2>&1 &
echo $! >"$pidfile"
# The startup line names the ports actually bound.
for _ in $(seq 1 300); do
  line="$(grep -m1 'listening data=' "$run_dir/stock-tsdb.out" 2>/dev/null || true)"
  [ -n "$line" ] && break
  process_running "$(cat "$pidfile")" || { cat "$run_dir/stock-tsdb.out" >&2; rm -f "$pidfile"; exit 1; }
  sleep 0.1
done
[ -n "$line" ] || { echo "stock-tsdb did not start in 30 s; see $run_dir/stock-tsdb.out" >&2; exit 1; }
metrics="${line##*metrics=}"
"$root/scripts/utils/health_check.sh" --url "http://$metrics"
echo "$line (pid $(cat "$pidfile"))"
