#!/usr/bin/env bash
# Builds, makes sure the peers (wrk, nginx, autocannon, vegeta, hey, Locust) and a Kafka broker are there, then runs
# the benchmarks one at a time (load generator and target share the machine's cores). Each prints a
# markdown table. Usage: scripts/bench.sh [benchmark ...]   (default: all, in the order below)
set -euo pipefail
cd "$(dirname "$0")/.."

all_benchmarks=(driverSpeed httpEngine smallTests throughput flowCost dataRows startSkew steerSkew rateAccuracy tsunamiGap latencyTruth driverCost ingest endToEnd storeScale brokerStart)
benchmarks=("${@:-${all_benchmarks[@]}}")

bash scripts/ensure-system-packages.sh
npx tsc -p tsconfig.json

# Go peers, built once into GOPATH/bin: vegeta (the fixed-rate peer) and hey (a closed-loop peer beside
# wrk and autocannon in driverSpeed).
if command -v go >/dev/null 2>&1; then export PATH="$PATH:$(go env GOPATH)/bin"; fi
go_peer() {
  local command="$1" module="$2" version="$3"
  if command -v "$command" >/dev/null 2>&1; then return; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "error: $command is missing and Go is not installed to build it (https://go.dev/dl/)" >&2
    exit 1
  fi
  echo "installing $command $version (go install)"
  go install "$module@$version" >/dev/null 2>&1
}
go_peer vegeta github.com/tsenart/vegeta/v12 v12.13.0
go_peer hey github.com/rakyll/hey v0.1.5

# Locust is the Python peer (driverSpeed); pinned, in its own virtualenv so it never meets Schemathesis's.
LOCUST_VERSION=2.47.0
LOCUST_VENV=.stampede/locust-venv
if [ "$("$LOCUST_VENV/bin/locust" --version 2>/dev/null | cut -d' ' -f1-2)" != "locust $LOCUST_VERSION" ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "error: python3 is missing; the Locust peer needs it" >&2
    exit 1
  fi
  echo "installing Locust $LOCUST_VERSION (PyPI) into $LOCUST_VENV"
  locust_log="$(mktemp)"
  if ! { python3 -m venv "$LOCUST_VENV" && "$LOCUST_VENV/bin/pip" install -q --disable-pip-version-check "locust==$LOCUST_VERSION"; } >"$locust_log" 2>&1; then
    echo "error: installing Locust failed:" >&2
    tail -n 20 "$locust_log" >&2
    rm -f "$locust_log"
    exit 1
  fi
  rm -f "$locust_log"
fi

# The staged-rate peer: vegeta's attacker with a staged pacer (its CLI has only a constant -rate).
if [ ! -x .stampede/bin/vegeta-staged ]; then
  echo "building the staged vegeta peer (go build)"
  mkdir -p .stampede/bin
  (cd bench/support/vegetaStaged && go build -o ../../../.stampede/bin/vegeta-staged .)
fi

started_kafka=""
if [ -z "${KAFKA_BROKERS:-}" ]; then
  port="${STAMPEDE_BENCH_KAFKA_PORT:-19092}"
  # A broker already on the port (e.g. the tests') is used and left running.
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    node bin/stampede.js kafka start --port "$port" --data-dir .stampede/test-kafka
    started_kafka="yes"
  fi
  export KAFKA_BROKERS="127.0.0.1:$port"
fi
cleanup() { if [ -n "$started_kafka" ]; then node bin/stampede.js kafka stop --data-dir .stampede/test-kafka || true; fi; }
trap cleanup EXIT

echo "# Stampede benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, Node $(node --version)"
for benchmark in "${benchmarks[@]}"; do
  # Other work on the machine skews every figure: the load average says how busy it was.
  echo -e "\n(load average before $benchmark: $(cut -d' ' -f1-3 /proc/loadavg))"
  node "dist/bench/$benchmark.js"
done
