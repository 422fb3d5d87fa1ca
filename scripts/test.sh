#!/usr/bin/env bash
# Runs the test suite against real buses: starts Kafka and Redis unless KAFKA_BROKERS or
# REDIS_URL name existing ones, runs ctest, and stops whatever it started.
# The exit status is ctest's. Arguments are passed on to ctest (e.g. -R unit).
#
# Environment:
#   BUILD_DIR            build directory (build)
#   CTEST_TIMEOUT        per-test timeout in seconds (300)
#   CTEST_PARALLEL_LEVEL parallel tests (the number of CPUs; bus tests hold a lock and run alone)
#   KAFKA_BROKERS        use this Kafka instead of starting one
#   REDIS_URL            use this Redis instead of starting one
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO"
BUILD_DIR="${BUILD_DIR:-build}"
[[ -f "$BUILD_DIR/CTestTestfile.cmake" ]] || die "no tests in $BUILD_DIR; run 'make build' first"

started=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    env -u KAFKA_BROKERS -u REDIS_URL "$REPO/scripts/${started[i]}.sh" stop || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A service that already ran before the tests is left running afterwards.
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  if ! scripts/kafka.sh status >/dev/null; then
    started+=(kafka)
  fi
  scripts/kafka.sh start
  export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}"
fi
if [[ -z "${REDIS_URL:-}" ]]; then
  if ! scripts/redis.sh status >/dev/null; then
    started+=(redis)
  fi
  scripts/redis.sh start
  export REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}"
fi
say "KAFKA_BROKERS=$KAFKA_BROKERS REDIS_URL=$REDIS_URL"

set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error --timeout "${CTEST_TIMEOUT:-300}" \
  --parallel "${CTEST_PARALLEL_LEVEL:-$(nproc)}" "$@"
status=$?
set -e
exit "$status"
