#!/usr/bin/env bash
# The project's whole check: build (typecheck), lint, then every test against a real Kafka broker.
# Starts two embedded brokers for the run unless KAFKA_BROKERS names one.
set -euo pipefail
cd "$(dirname "$0")/.."

# The system packages, the broker's jars and Schemathesis beside the build: neither needs the other.
bash scripts/ensure-system-packages.sh &
ensure_pid=$!
npx tsc -p tsconfig.json
wait "$ensure_pid"
# Lint beside the tests (it needs only the sources); its verdict counts at the end.
lint_output="$(mktemp)"
npx eslint . >"$lint_output" 2>&1 &
lint_pid=$!

# Files on one broker hear each other's drivers and orchestrators, so two streams of the suite's own files
# get a broker each; with KAFKA_BROKERS given, they take turns on it.
started_kafka=""
second_brokers=""
suite_kafka_dir=".stampede/test-kafka"
second_kafka_dir=".stampede/test-kafka-2"
if [ -z "${KAFKA_BROKERS:-}" ]; then
  port="${STAMPEDE_TEST_KAFKA_PORT:-19092}"
  # port + 2 and port + 4 are the outage files' brokers (test/helpers/processes.ts, restartableBrokerPort).
  second_port=$((port + 6))
  started_kafka="yes"
  # A broker's JVM writes its class archive when it stops cleanly (src/broker/classArchive.ts), and every
  # later start maps it: the suite starts dozens of brokers, each then about 1.5 CPU-seconds cheaper.
  if ! compgen -G 'infra/kafka/lib/kafka-classes-*.jsa' >/dev/null; then
    node bin/stampede.js kafka start --port "$port" --data-dir "$suite_kafka_dir" >/dev/null
    node bin/stampede.js kafka stop --data-dir "$suite_kafka_dir" >/dev/null
  fi
  node bin/stampede.js kafka start --port "$second_port" --data-dir "$second_kafka_dir" &
  second_kafka_pid=$!
  node bin/stampede.js kafka start --port "$port" --data-dir "$suite_kafka_dir"
  wait "$second_kafka_pid"
  export KAFKA_BROKERS="127.0.0.1:$port"
  second_brokers="127.0.0.1:$second_port"
fi
cleanup() {
  if [ -n "$started_kafka" ]; then
    node bin/stampede.js kafka stop --data-dir "$suite_kafka_dir" || true
    node bin/stampede.js kafka stop --data-dir "$second_kafka_dir" || true
  fi
}
trap cleanup EXIT

# Two phases. The first runs four streams at once, since most files wait on brokers, processes and
# timers (a clean-clone run of 7 December used 105 % of this machine's 200 % over its 12 minutes):
# - the suite's own files on the first broker (the dashboard's staleness test needs that broker quiet but
#   for its own drivers, so the demo's drivers are here too, never beside: CI failed so on 7 December), and
#   the four hosts in network namespaces (a broker of their own);
# - on the second broker, the orchestrator, driver and test-data files whose bounds are seconds, not
#   milliseconds;
# - the outage files and `stampede kafka` (their own brokers; mostly waiting through outages) and the files
#   that need no broker at all (the unit tier and the decoders' property test);
# - Schemathesis (its own broker and an orchestrator that must see no driver), the three-broker cluster
#   (ten broker kills) and the secured broker.
# The second phase runs alone: the files whose assertions are about time (start skew within 20 ms,
# steering skew within 50 ms, the capacity search's verdicts, started = planned per second, pacing, 20
# drivers never lost, compare's p99 gate). A fine-timing file that started while Schemathesis still ran
# failed its timing once, and three failed when they ran beside a busy machine (load average 13).
mapfile -t brokerless < <(find dist/test/unit -name '*.test.js' | sort; echo dist/test/protocolProperties.test.js)
waiting=(dist/test/outage.test.js dist/test/chaos.test.js dist/test/broker.test.js "${brokerless[@]}")
busy=(dist/test/api/schemathesis.test.js dist/test/cluster.test.js dist/test/kafkaSecurity.test.js)
own_brokers=("${waiting[@]}" "${busy[@]}")
mapfile -t suite < <(find dist/test -name '*.test.js' | sort | grep -v -x -F "${own_brokers[@]/#/-e}")
timed_pattern='^dist/test/(driver/(pacers|schedule|tsunami|avalanche|driverNode|maxDuration)|orchestrator/(startTogether|steering|capacitySearch|intendedStartBins|loadShapesEndToEnd|figures)|loadShapes|scale|cli/compare)\.test\.js$'
mapfile -t timed < <(printf '%s\n' "${suite[@]}" | grep -E "$timed_pattern")
mapfile -t seconds_bound < <(printf '%s\n' "${suite[@]}" | grep -v -E "$timed_pattern" | grep -E '^dist/test/(driver/|orchestrator/|data)')
mapfile -t first < <(printf '%s\n' "${suite[@]}" | grep -v -x -F "${timed[@]/#/-e}" "${seconds_bound[@]/#/-e}")

# Node 20 calls its MockTimers (the schedule, pacer and load-shape tests' injected clocks) experimental and
# says so on stderr in every file that uses them: a passing suite prints no such line.
run_tests() { node --disable-warning=ExperimentalWarning --test --test-concurrency=1 --test-reporter=spec --import ./dist/test/helpers/quietLogs.js "$@"; }
run_tests_on_second_broker() { KAFKA_BROKERS="$second_brokers" run_tests "$@"; }
outputs=()
pids=()
# Runs a stream in the background, its output kept for the end.
beside() {
  local output
  output="$(mktemp)"
  outputs+=("$output")
  "$@" >"$output" 2>&1 &
  pids+=($!)
}
beside run_tests "${waiting[@]}"
beside run_tests "${busy[@]}"
if [ -n "$second_brokers" ]; then
  beside run_tests_on_second_broker "${seconds_bound[@]}"
else
  first+=("${seconds_bound[@]}")
fi
status=0
run_tests "${first[@]}" || status=$?
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
run_tests "${timed[@]}" || status=$?
echo "--- the streams beside the first: ${waiting[*]} | ${busy[*]} | ${second_brokers:+${seconds_bound[*]}}"
cat "${outputs[@]}"
rm -f "${outputs[@]}"
lint_status=0
wait "$lint_pid" || lint_status=$?
cat "$lint_output"
rm -f "$lint_output"
if [ "$lint_status" -ne 0 ]; then echo "eslint found problems (above)"; exit "$lint_status"; fi
exit "$status"
