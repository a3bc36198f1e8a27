#!/usr/bin/env bash
# The project's whole check: build (typecheck), lint, then every test against a real Kafka broker.
# Starts an embedded broker once for the run unless KAFKA_BROKERS names one.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system-packages.sh
npx tsc -p tsconfig.json
# Lint beside the tests (it needs only the sources); its verdict counts at the end.
lint_output="$(mktemp)"
npx eslint . >"$lint_output" 2>&1 &
lint_pid=$!

started_kafka=""
second_brokers=""
if [ -z "${KAFKA_BROKERS:-}" ]; then
  port="${STAMPEDE_TEST_KAFKA_PORT:-19092}"
  node bin/stampede.js kafka start --port "$port" --data-dir .stampede/test-kafka
  export KAFKA_BROKERS="127.0.0.1:$port"
  started_kafka="yes"
  # A second broker for the last phase's second stream (below), started while the first phase runs.
  second_port=$((port + 2))
  node bin/stampede.js kafka start --port "$second_port" --data-dir .stampede/test-kafka-2 &
  second_kafka_pid=$!
  second_brokers="127.0.0.1:$second_port"
fi
cleanup() {
  if [ -n "$started_kafka" ]; then
    node bin/stampede.js kafka stop --data-dir .stampede/test-kafka || true
    node bin/stampede.js kafka stop --data-dir .stampede/test-kafka-2 || true
  fi
}
trap cleanup EXIT

# Files that run beside the rest, in two node --test streams of their own: each of the outage files runs its
# own brokers and spends most of its 80-120 s waiting through their outages; Schemathesis (about 90 s
# fuzzing an orchestrator that must see no driver) and a few files that only wait on brokers and
# processes of their own (their own broker, network namespaces) go in the other stream. The demo runs on
# the suite's broker, so it stays with the first group: its drivers' heartbeats beside would break the quiet
# that the dashboard's staleness test waits for (CI failed so on 7 December). The
# files that time things finely (driver pacing, orchestrator end to end, load shapes, scale, compare) go
# last, once the streams beside have ended and the machine is theirs again: a fine-timing file that
# started while Schemathesis still ran failed its timing once. In a clean-clone run of 7 December the
# first group took 353 s beside one stream of 350 s; split so, 296 s beside 222 s and 281 s, then 293 s of
# fine-timing files.
# Beside the outages, the files that need no broker at all (the unit tier and the pure property and store
# tests): a file there must not touch the suite's broker, whose quiet the dashboard test waits for.
mapfile -t brokerless < <(find dist/test/unit -name '*.test.js' | sort; printf '%s\n' dist/test/protocolProperties.test.js dist/test/protocol.test.js dist/test/stats.test.js dist/test/store.test.js dist/test/signature.test.js)
beside_waiting=(dist/test/outage.test.js dist/test/chaos.test.js "${brokerless[@]}")
beside_busy=(dist/test/api/schemathesis.test.js dist/test/cluster.test.js dist/test/broker.test.js dist/test/fourHosts.test.js dist/test/kafkaSecurity.test.js)
beside=("${beside_waiting[@]}" "${beside_busy[@]}")
mapfile -t rest < <(find dist/test -name '*.test.js' | sort | grep -v -x -F "${beside[@]/#/-e}")
mapfile -t fine_timing < <(printf '%s\n' "${rest[@]}" | grep -E '^dist/test/(driver/|orchestrator/|loadShapes|scale|cli/compare)')
mapfile -t first < <(printf '%s\n' "${rest[@]}" | grep -v -x -F "${fine_timing[@]/#/-e}")
# The last phase in two streams, each on a broker of its own (files on one broker hear each other's drivers
# and orchestrators): the files whose assertions are about time (start skew, steering skew, the capacity
# search's verdicts, rates per second, pacing) in one, the rest beside them. A clean-clone run of 7 December
# used 105 % of this machine's 200 % over its 12 minutes, and the last phase ran one file at a time for 324 s.
timed_pattern='^dist/test/(driver/(pacers|schedule|tsunami|avalanche|driverNode|maxDuration)|orchestrator/(startTogether|steering|capacitySearch|intendedStartBins|loadShapesEndToEnd|figures)|loadShapes|scale)\.test\.js$'
mapfile -t fine_timed < <(printf '%s\n' "${fine_timing[@]}" | grep -E "$timed_pattern")
mapfile -t fine_apart < <(printf '%s\n' "${fine_timing[@]}" | grep -v -E "$timed_pattern")

# Node 20 calls its MockTimers (the schedule, pacer and load-shape tests' injected clocks) experimental and
# says so on stderr in every file that uses them: a passing suite prints no such line.
run_tests() { node --disable-warning=ExperimentalWarning --test --test-concurrency=1 --test-reporter=spec --import ./dist/test/helpers/quietLogs.js "$@"; }
waiting_output="$(mktemp)"
busy_output="$(mktemp)"
run_tests "${beside_waiting[@]}" >"$waiting_output" 2>&1 &
waiting_pid=$!
run_tests "${beside_busy[@]}" >"$busy_output" 2>&1 &
busy_pid=$!
status=0
# Two runs, because node --test sorts the files it is given: in one, the fine-timing files would run
# among the others, beside the outages.
run_tests "${first[@]}" || status=$?
beside_status=0
wait "$waiting_pid" || beside_status=$?
wait "$busy_pid" || beside_status=$?
apart_output="$(mktemp)"
if [ -n "$second_brokers" ]; then
  wait "$second_kafka_pid"
  KAFKA_BROKERS="$second_brokers" run_tests "${fine_apart[@]}" >"$apart_output" 2>&1 &
  apart_pid=$!
  run_tests "${fine_timed[@]}" || status=$?
  wait "$apart_pid" || status=$?
else
  run_tests "${fine_timing[@]}" || status=$?
fi
echo "--- beside the rest: ${beside[*]}"
echo "--- beside the timed files, on a broker of their own: ${fine_apart[*]}"
cat "$waiting_output" "$busy_output" "$apart_output"
rm -f "$waiting_output" "$busy_output" "$apart_output"
lint_status=0
wait "$lint_pid" || lint_status=$?
cat "$lint_output"
rm -f "$lint_output"
if [ "$lint_status" -ne 0 ]; then echo "eslint found problems (above)"; exit "$lint_status"; fi
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$beside_status"
