#!/usr/bin/env bash
# Front-loads everything the tests, the demo and the benchmarks need beyond npm: Debian's kcat (an
# independent Kafka client), chromium (browser tests), nginx and wrk (benchmark peers), Java and Maven
# (the embedded broker), the Kafka broker jars (Maven Central, into infra/kafka/lib), and Schemathesis
# (PyPI, into a virtualenv under .stampede/; the OpenAPI conformance test runs it).
# Idempotent, and silent when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# command → the Debian package that provides it
declare -A package_of=([kcat]=kcat [chromium]=chromium [nginx]=nginx [wrk]=wrk [java]=default-jre-headless [mvn]=maven)

has_command() {
  # nginx lives in /usr/sbin, which is not on every user's PATH.
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]
}

# Runs a noisy command with its output kept aside, shown only when it fails.
run_quietly() {
  local output
  output="$(mktemp)"
  if ! "$@" >"$output" 2>&1; then
    echo "ensure-system-packages: failed: $*" >&2
    tail -n 20 "$output" >&2
    rm -f "$output"
    return 1
  fi
  rm -f "$output"
}

install_missing_packages() {
  local missing=() command
  for command in "${!package_of[@]}"; do
    has_command "$command" || missing+=("${package_of[$command]}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0

  if ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: apt-get not found; install these yourself: ${missing[*]}" >&2
    return 0
  fi
  local as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "warning: not root and no sudo; install these yourself: ${missing[*]}" >&2
      return 0
    fi
    as_root=(sudo)
  fi
  echo "installing Debian packages: ${missing[*]}"
  run_quietly "${as_root[@]}" apt-get update -q
  run_quietly "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

fetch_kafka_jars() {
  compgen -G 'infra/kafka/lib/kafka_2.13-*.jar' >/dev/null && return 0
  if ! has_command mvn; then
    echo "warning: mvn not found; the Kafka jars will be fetched by the first \`stampede kafka start\`" >&2
    return 0
  fi
  echo "fetching the Kafka broker jars from Maven Central into infra/kafka/lib"
  (cd infra/kafka && run_quietly mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib)
}

# Pinned: a new release may add checks, and the suite must not change verdict by itself.
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV=.stampede/schemathesis-venv

install_schemathesis() {
  local st="$SCHEMATHESIS_VENV/bin/st"
  [ -x "$st" ] && [ "$("$st" --version 2>/dev/null)" = "st, version $SCHEMATHESIS_VERSION" ] && return 0
  if ! command -v python3 >/dev/null 2>&1; then
    echo "warning: python3 not found; the OpenAPI conformance test needs it (Schemathesis)" >&2
    return 0
  fi
  echo "installing Schemathesis $SCHEMATHESIS_VERSION (PyPI) into $SCHEMATHESIS_VENV"
  run_quietly python3 -m venv "$SCHEMATHESIS_VENV"
  run_quietly "$SCHEMATHESIS_VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

install_missing_packages
fetch_kafka_jars
install_schemathesis
