#!/usr/bin/env bash
# Online backup and offline restore of a stock-tsdb node (names from the original deployment doc).
#   backup_restore.sh --backup  --output X.tar.gz [--host 127.0.0.1] [--port 6379] [--token T]
#   backup_restore.sh --restore --input  X.tar.gz [--data-dir DIR | --config FILE]
# Backup runs while the server serves writes: the archive holds exactly the writes acknowledged
# before the snapshot point. Restore writes into an EMPTY data directory (stop the server first);
# start the server on it afterwards. Progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bun="$root/node_modules/.bin/bun"
mode="" out="" in="" host="127.0.0.1" port="6379" token="${STOCK_TSDB_TOKEN:-}" dir="" config=""
while [ $# -gt 0 ]; do
  case "$1" in
    --backup) mode=backup ;;
    --restore) mode=restore ;;
    --output) out="$2"; shift ;;
    --input) in="$2"; shift ;;
    --host) host="$2"; shift ;;
    --port) port="$2"; shift ;;
    --token) token="$2"; shift ;;
    --data-dir) dir="$2"; shift ;;
    --config) config="$2"; shift ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "backup_restore.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case "$mode" in
  backup)
    [ -n "$out" ] || { echo "backup_restore.sh: --backup needs --output X.tar.gz" >&2; exit 2; }
    exec "$bun" "$root/data-plane/src/ops/backup-cli.ts" backup --url "http://$host:$port" --output "$out" ${token:+--token "$token"} ;;
  restore)
    [ -n "$in" ] || { echo "backup_restore.sh: --restore needs --input X.tar.gz" >&2; exit 2; }
    if [ -z "$dir" ]; then
      cfg="${config:-$root/config/standalone_performance.lua}"
      dir="$("$bun" -e "const {loadConfig}=await import('$root/data-plane/src/config/load-config.ts'); console.log((await loadConfig('$cfg')).config.storage.data_dir)")"
    fi
    exec "$bun" "$root/data-plane/src/ops/backup-cli.ts" restore --input "$in" --data-dir "$dir" ;;
  *) echo "usage: backup_restore.sh --backup --output X.tar.gz | --restore --input X.tar.gz [--data-dir DIR]" >&2; exit 2 ;;
esac
