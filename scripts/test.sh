#!/usr/bin/env bash
# The project's whole check: build (typecheck), lint, then every test against a real Kafka broker.
# Starts three embedded brokers for the run unless KAFKA_BROKERS names one.
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

# Files on one broker hear each other's drivers and orchestrators, so each stream of the suite's own files
# gets a broker of its own; with KAFKA_BROKERS given, they take turns on it.
started_kafka=""
extra_brokers=()
if [ -z "${KAFKA_BROKERS:-}" ]; then
  port="${STAMPEDE_TEST_KAFKA_PORT:-19092}"
  started_kafka="yes"
  # port + 2 and port + 4 are the outage files' brokers (test/helpers/processes.ts, restartableBrokerPort).
  starting=()
  for offset in 6 8; do
    node bin/stampede.js kafka start --port "$((port + offset))" --data-dir ".stampede/test-kafka-$offset" &
    starting+=($!)
    extra_brokers+=("127.0.0.1:$((port + offset))")
  done
  node bin/stampede.js kafka start --port "$port" --data-dir .stampede/test-kafka
  for pid in "${starting[@]}"; do wait "$pid"; done
  export KAFKA_BROKERS="127.0.0.1:$port"
fi
cleanup() {
  if [ -n "$started_kafka" ]; then
    for dir in .stampede/test-kafka .stampede/test-kafka-6 .stampede/test-kafka-8; do node bin/stampede.js kafka stop --data-dir "$dir" || true; done
  fi
}
trap cleanup EXIT

# Two phases. The first runs seven streams at once, since most files wait on brokers, processes and
# timers (a clean-clone run of 8 December with four streams used 100 % of this machine's 200 % over 11
# minutes, its longest stream 474 s):
# - the suite's own files on the first broker (the dashboard's staleness test needs that broker quiet but
#   for its own drivers, so the demo's drivers are here too, never beside: CI failed so on 7 December), and
#   the four hosts in network namespaces (a broker of their own);
# - on a second and a third broker, the orchestrator, driver, `stampede run` and test-data files whose
#   bounds are seconds, not milliseconds, in two halves;
# - the two outage files (their own brokers; mostly waiting through outages), one a stream, with
#   `stampede kafka` and the files that need no broker at all (the unit tier, the property, store and
#   protocol tests);
# - Schemathesis (its own broker and an orchestrator that must see no driver) with the secured broker;
# - the three-broker cluster (ten broker kills).
# The second phase runs alone: the files whose assertions are about time (start skew within 20 ms,
# steering skew within 50 ms, the capacity search's verdicts, started = planned per second, pacing, 20
# drivers never lost, a p99 gate of compare). A fine-timing file that started while Schemathesis still
# ran failed its timing once, and three failed when they ran beside a busy machine (load average 13).
mapfile -t brokerless < <(find dist/test/unit -name '*.test.js' | sort; printf '%s\n' dist/test/protocolProperties.test.js dist/test/protocol.test.js dist/test/stats.test.js dist/test/store.test.js dist/test/signature.test.js)
outage=(dist/test/outage.test.js "${brokerless[@]}")
chaos=(dist/test/chaos.test.js dist/test/broker.test.js)
fuzzing=(dist/test/api/schemathesis.test.js dist/test/kafkaSecurity.test.js)
cluster=(dist/test/cluster.test.js)
own_brokers=("${outage[@]}" "${chaos[@]}" "${fuzzing[@]}" "${cluster[@]}")
mapfile -t suite < <(find dist/test -name '*.test.js' | sort | grep -v -x -F "${own_brokers[@]/#/-e}")
timed_pattern='^dist/test/(driver/(pacers|schedule|tsunami|avalanche|driverNode|maxDuration)|orchestrator/(startTogether|steering|capacitySearch|intendedStartBins|loadShapesEndToEnd|figures)|loadShapes|scale|cli/compare)\.test\.js$'
mapfile -t timed < <(printf '%s\n' "${suite[@]}" | grep -E "$timed_pattern")
mapfile -t seconds_bound < <(printf '%s\n' "${suite[@]}" | grep -v -E "$timed_pattern" | grep -E '^dist/test/(driver/|orchestrator/|cli/run|data)')
mapfile -t first < <(printf '%s\n' "${suite[@]}" | grep -v -x -F "${timed[@]/#/-e}" "${seconds_bound[@]/#/-e}")
# The two halves alternate through the sorted list, so each gets some of every folder.
seconds_halves=("" "")
for i in "${!seconds_bound[@]}"; do seconds_halves[i % 2]+="${seconds_bound[i]} "; done

# Node 20 calls its MockTimers (the schedule, pacer and load-shape tests' injected clocks) experimental and
# says so on stderr in every file that uses them: a passing suite prints no such line.
run_tests() { node --disable-warning=ExperimentalWarning --test --test-concurrency=1 --test-reporter=spec --import ./dist/test/helpers/quietLogs.js "$@"; }
# `run_tests_on BROKERS FILE...`
run_tests_on() { KAFKA_BROKERS="$1" run_tests "${@:2}"; }
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
beside run_tests "${outage[@]}"
beside run_tests "${chaos[@]}"
beside run_tests "${fuzzing[@]}"
beside run_tests "${cluster[@]}"
if [ "${#extra_brokers[@]}" -eq 2 ]; then
  # shellcheck disable=SC2086 # the halves are lists of paths without spaces
  for half in 0 1; do beside run_tests_on "${extra_brokers[half]}" ${seconds_halves[half]}; done
else
  first+=("${seconds_bound[@]}")
fi
status=0
run_tests "${first[@]}" || status=$?
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
run_tests "${timed[@]}" || status=$?
echo "--- the streams beside the first, in this order: ${outage[*]} | ${chaos[*]} | ${fuzzing[*]} | ${cluster[*]} | ${extra_brokers[*]:+${seconds_bound[*]}}"
cat "${outputs[@]}"
rm -f "${outputs[@]}"
lint_status=0
wait "$lint_pid" || lint_status=$?
cat "$lint_output"
rm -f "$lint_output"
if [ "$lint_status" -ne 0 ]; then echo "eslint found problems (above)"; exit "$lint_status"; fi
exit "$status"
