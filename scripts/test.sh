#!/usr/bin/env bash
# The project's whole check: build (typecheck), lint, then every test against a real Kafka broker.
# Starts an embedded broker once for the run unless KAFKA_BROKERS names one.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system-packages.sh
npx tsc -p tsconfig.json
npx eslint .

started_kafka=""
if [ -z "${KAFKA_BROKERS:-}" ]; then
  port="${STAMPEDE_TEST_KAFKA_PORT:-19092}"
  node bin/stampede.js kafka start --port "$port" --data-dir .stampede/test-kafka
  export KAFKA_BROKERS="127.0.0.1:$port"
  started_kafka="yes"
fi
cleanup() { if [ -n "$started_kafka" ]; then node bin/stampede.js kafka stop --data-dir .stampede/test-kafka || true; fi; }
trap cleanup EXIT

mapfile -t files < <(find dist/test -name '*.test.js' | sort)
node --test --test-concurrency=1 --test-reporter=spec --import ./dist/test/helpers/quietLogs.js "${files[@]}"
