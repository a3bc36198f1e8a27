#!/usr/bin/env bash
# Installs what the tests and benchmarks need beyond npm: Debian's kcat (an independent Kafka client),
# chromium (browser tests), nginx and wrk (benchmark peers), and the Kafka jars (Maven Central).
# Idempotent and silent when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A package_of=([kcat]=kcat [chromium]=chromium [nginx]=nginx [wrk]=wrk)
missing=()
for command in "${!package_of[@]}"; do
  command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || missing+=("${package_of[$command]}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: apt-get not found; install these yourself: ${missing[*]}" >&2
  fi
fi

if ! ls infra/kafka/lib/kafka_2.13-*.jar >/dev/null 2>&1; then
  echo "fetching the Kafka broker jars from Maven Central"
  (cd infra/kafka && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory=lib)
fi
