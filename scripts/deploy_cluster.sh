#!/usr/bin/env bash
# Starts a local stock-tsdb cluster whose membership comes from Consul (names from the original doc).
#   deploy_cluster.sh --nodes 3 --consul 127.0.0.1:8500 [--config config/cluster_scalable.lua]
#                     [--base-port 6400] [--run-dir ./run/cluster] [--token T]
#   deploy_cluster.sh --add [--run-dir D]          start one more node (the ring rebalances onto it)
#   deploy_cluster.sh --remove node-N [--run-dir D] move node-N's vnodes away, then stop it
#   deploy_cluster.sh --stop [--run-dir D]          stop every node
# Node i listens on 127.0.0.1:(base+2i) (data) and :(base+2i+1) (metrics). When nothing answers at
# --consul and it is a loopback address, a Consul dev agent is started there (scripts/build-consul.sh).
# The nodes share this machine: unless the config sets performance.worker_threads, each node gets
# cores ÷ nodes codec workers (at least 1), not one per core each (that oversubscribes the cores).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/utils/process.sh"
bun="$root/node_modules/.bin/bun"
nodes=0 consul="127.0.0.1:8500" config="$root/config/cluster_scalable.lua" base=6400 run_dir="./run/cluster" token="" action=deploy target=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift ;;
    --consul) consul="$2"; shift ;;
    --config) config="$2"; shift ;;
    --base-port) base="$2"; shift ;;
    --run-dir) run_dir="$2"; shift ;;
    --token) token="$2"; shift ;;
    --add) action=add ;;
    --remove) action=remove; target="$2"; shift ;;
    --stop) action=stop ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "deploy_cluster.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$run_dir"
state="$run_dir/cluster.env"
[ -x "$bun" ] || bash "$root/scripts/install.sh"
if [ -f "$state" ] && [ "$action" != deploy ]; then . "$state"; fi
token="${token:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

ensure_consul() {
  if curl -fsS --max-time 2 "http://$consul/v1/status/leader" >/dev/null 2>&1; then return; fi
  case "$consul" in 127.*|localhost:*) ;; *) echo "no Consul answers at $consul" >&2; exit 1 ;; esac
  local bin port; bin="$(bash "$root/scripts/build-consul.sh" | tail -1)"; port="${consul##*:}"
  nohup "$bin" agent -dev -bind 127.0.0.1 -client 127.0.0.1 -http-port "$port" -dns-port -1 -grpc-port -1 \
    >"$run_dir/consul.out" 2>&1 &
  echo $! >"$run_dir/consul.pid"
  for _ in $(seq 1 100); do curl -fsS --max-time 1 "http://$consul/v1/status/leader" 2>/dev/null | grep -q : && return; sleep 0.2; done
  echo "Consul dev agent did not start; see $run_dir/consul.out" >&2; exit 1
}

start_node() {
  local i="$1" dir="$run_dir/node-$1" port=$((base + 2 * $1)) mport=$((base + 2 * $1 + 1))
  mkdir -p "$dir"
  # Per-node config: the given file's settings plus this node's identity, ports and Consul.
  "$bun" -e "
    const { loadConfig } = await import('$root/data-plane/src/config/load-config.ts');
    const { config } = await loadConfig('$config');
    const c = JSON.parse(JSON.stringify(config));
    c.storage.data_dir = '$dir/data'; c.logging.dir = '$dir/logs';
    c.network.bind_address = '127.0.0.1'; c.network.port = $port; c.monitoring.metrics_port = $mport;
    c.cluster.enabled = true; c.cluster.node_id = 'node-$i'; c.cluster.advertise_address = '127.0.0.1:$port';
    c.cluster.token = '$token'; c.cluster.service_discovery.provider = 'consul'; c.cluster.service_discovery.servers = ['$consul'];
    c.cluster.members = [];
    if (c.performance.worker_threads === 0) c.performance.worker_threads = ${workers:-0};
    await Bun.write('$dir/config.json', JSON.stringify(c, null, 2));"
  nohup "$root/bin/stock-tsdb" --config "$dir/config.json" >"$dir/stock-tsdb.out" 2>&1 &
  echo $! >"$dir/pid"
  if ! "$root/scripts/utils/health_check.sh" --url "http://127.0.0.1:$mport" --retries 60 >/dev/null; then
    # Say why: the node's own output (a port in use, a bad config) is in its log.
    echo "node-$i did not become healthy; the end of $dir/stock-tsdb.out:" >&2
    tail -n 20 "$dir/stock-tsdb.out" >&2 || true
    exit 1
  fi
  # Registered and passing in Consul (its check runs every second).
  for _ in $(seq 1 150); do
    # (no `curl | grep -q` here: under pipefail grep's early exit makes the pipeline fail)
    passing="$(curl -fsS "http://$consul/v1/health/service/stock-tsdb?passing" 2>/dev/null | tr -d " \n" || true)"
    case "$passing" in *"\"ID\":\"node-$i\""*) break ;; esac
    sleep 0.2
  done
  echo "node-$i: data 127.0.0.1:$port, metrics 127.0.0.1:$mport (pid $(cat "$dir/pid"))"
}

stop_node() {
  local dir="$run_dir/$1"
  [ -f "$dir/pid" ] || return 0
  kill -TERM "$(cat "$dir/pid")" 2>/dev/null || true
  for _ in $(seq 1 300); do process_running "$(cat "$dir/pid")" || break; sleep 0.1; done
  rm -f "$dir/pid"
}

case "$action" in
  deploy)
    [ "$nodes" -ge 1 ] || { echo "deploy_cluster.sh: --nodes N (N >= 1) is required" >&2; exit 2; }
    ensure_consul
    workers=$(( $(nproc) / nodes )); [ "$workers" -ge 1 ] || workers=1
    printf 'consul=%q\nconfig=%q\nbase=%q\ntoken=%q\ncount=%q\nworkers=%q\n' "$consul" "$config" "$base" "$token" "$nodes" "$workers" >"$state"
    for i in $(seq 1 "$nodes"); do start_node "$i"; done
    echo "cluster up; check: curl http://$consul/v1/health/service/stock-tsdb ; ring: curl -H 'X-Cluster-Token: $token' http://127.0.0.1:$((base + 2))/admin/ring" ;;
  add)
    [ -f "$state" ] || { echo "no cluster in $run_dir" >&2; exit 1; }
    count=$((count + 1))
    sed -i "s/^count=.*/count=$count/" "$state"
    start_node "$count" ;;
  remove)
    [ -f "$state" ] || { echo "no cluster in $run_dir" >&2; exit 1; }
    n="${target#node-}" port=$((base + 2 * ${target#node-}))
    curl -fsS -XPOST -H "X-Cluster-Token: $token" "http://127.0.0.1:$port/admin/leave" >/dev/null
    echo "$target is leaving; waiting until it owns no vnode..."
    for _ in $(seq 1 1200); do
      owners="$(curl -fsS -H "X-Cluster-Token: $token" "http://127.0.0.1:$((base + 2))/admin/ring" 2>/dev/null || true)"
      if [ -n "$owners" ] && ! printf '%s' "$owners" | "$bun" -e "const r=JSON.parse(await Bun.stdin.text()); process.exit(r.pending.length===0 && !r.placement.nodes.includes('$target') ? 1 : 0)"; then break; fi
      sleep 0.5
    done
    stop_node "$target"
    curl -fsS -XPUT "http://$consul/v1/agent/service/deregister/$target" >/dev/null || true
    echo "$target removed" ;;
  stop)
    for d in "$run_dir"/node-*; do [ -d "$d" ] && stop_node "$(basename "$d")"; done
    if [ -f "$run_dir/consul.pid" ]; then kill "$(cat "$run_dir/consul.pid")" 2>/dev/null || true; rm -f "$run_dir/consul.pid"; fi
    echo "cluster stopped" ;;
esac
