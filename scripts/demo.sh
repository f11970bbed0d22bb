#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs the exporter's main job on an
# embedded default — a local 3-node ZooKeeper ensemble with a sample tree (Kafka- and Dubbo-shaped),
# the exporter walking it, and a real Prometheus scraping the exporter — then shows a few live values.
# Everything binds to 127.0.0.1 on free ports. Ctrl-C stops it all. DEMO_SECONDS=N stops after N seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)" --target zookeeper_exporter zk_ensemble

DEMO=${DEMO_DIR:-$ROOT/.demo}
rm -rf "$DEMO" && mkdir -p "$DEMO/prometheus-data"
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo; echo "stopping demo..."
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

free_port() {  # first port >= $1 nobody listens on (loopback)
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
wait_for() {  # wait_for <seconds> <description> <command...>
  local deadline=$(( $(date +%s) + $1 )); local what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.5
  done
}

echo "== starting a 3-node ZooKeeper ensemble with a sample tree (logs: $DEMO/zk)"
build/dev/tests/support/zk_ensemble --dir "$DEMO/zk" --servers 3 --sample-tree demo --ephemeral-brokers \
  > "$DEMO/zk_ensemble.log" 2>&1 &
pids+=($!)
wait_for 120 "the ensemble" test -s "$DEMO/zk/connect_string"
ZK=$(cat "$DEMO/zk/connect_string")
echo "   ensemble: $ZK"

EXPORTER_PORT=$(free_port 9141)
echo "== starting zookeeper_exporter on 127.0.0.1:$EXPORTER_PORT"
build/dev/exporter/zookeeper_exporter --zookeeper.hosts="$ZK" --config.file=deploy/examples/config.yml \
  --web.listen-address="127.0.0.1:$EXPORTER_PORT" > "$DEMO/exporter.log" 2>&1 &
pids+=($!)
wait_for 60 "the exporter to be ready" curl -fsS "http://127.0.0.1:$EXPORTER_PORT/readyz"

PROM_PORT=$(free_port 9090)
cat > "$DEMO/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: zookeeper_exporter
    static_configs:
      - targets: ['127.0.0.1:$EXPORTER_PORT']
YAML
echo "== starting Prometheus on 127.0.0.1:$PROM_PORT"
prometheus --config.file="$DEMO/prometheus.yml" --storage.tsdb.path="$DEMO/prometheus-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" > "$DEMO/prometheus.log" 2>&1 &
pids+=($!)
PROM="http://127.0.0.1:$PROM_PORT"
wait_for 60 "Prometheus to scrape the exporter" \
  sh -c "promtool query instant '$PROM' 'zookeeper_subtree_znodes' | grep -q root"

show() {  # show <title> <promql>
  echo "-- $1"
  echo "   $2"
  promtool query instant "$PROM" "$2" | sed 's/^/   /'
}
echo
echo "== live values, read back through Prometheus"
show "registered Kafka brokers" 'zookeeper_znode_children{path="/brokers/ids"}'
show "znodes per subtree" 'zookeeper_subtree_znodes'
show "largest znode per subtree (bytes)" 'zookeeper_subtree_largest_znode_bytes'
show "the exporter's session" 'zookeeper_session_state == 1'
show "collector health" 'zookeeper_exporter_collector_success'
cat <<TXT

== where to look
   exporter landing page  http://127.0.0.1:$EXPORTER_PORT/
   exporter metrics       http://127.0.0.1:$EXPORTER_PORT/metrics
   Prometheus             $PROM/graph?g0.expr=zookeeper_subtree_znodes
   logs                   $DEMO/*.log
Press Ctrl-C to stop.
TXT
if [ -n "${DEMO_SECONDS:-}" ]; then sleep "$DEMO_SECONDS"; else while true; do sleep 3600; done; fi
